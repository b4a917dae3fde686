package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/devserver"
)

// embedFn lists the files it embeds from tmpl/.
const embedFn = `package handler

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed tmpl
var tmpl embed.FS

func Handler(w http.ResponseWriter, r *http.Request) {
	var names []string
	fs.WalkDir(tmpl, "tmpl", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return nil
	})
	w.Write([]byte(strings.Join(names, " ")))
}
`

// testDevGoEmbed: a file that appears in a folder a function embeds, and
// in a new folder inside it, rebuilds the function.
func testDevGoEmbed(t *testing.T, bin string) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n\ngo 1.22\n")
	write("api/list.go", embedFn)
	write("api/tmpl/index.html", "<h1>hi</h1>")
	d := startDev(t, bin, root, "")
	d.poll("/api/list", "the embedded index.html", func(r reply) bool {
		return r.status == 200 && r.body == "tmpl/index.html"
	})
	d.waitEvent(0, "the inputs of api/list", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventBuildFinished && ev.Function == "api/list"
	})
	for _, name := range []string{"api/tmpl/about.html", "api/tmpl/img/logo.svg"} {
		mark := d.mark()
		write(name, "new")
		want := strings.TrimPrefix(name, "api/")
		d.poll("/api/list", want+" embedded", func(r reply) bool {
			return r.status == 200 && strings.Contains(r.body, want)
		})
		d.waitEvent(mark, "a rebuild for "+name, func(ev devserver.Event) bool {
			return ev.Type == devserver.EventBuildStarted && ev.Function == "api/list" && ev.Reason == "changed "+name
		})
	}
}
