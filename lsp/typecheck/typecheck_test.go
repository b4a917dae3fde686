package typecheck

import (
	"context"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitPos(t *testing.T) {
	for _, tc := range []struct {
		in        string
		file      string
		line, col int
	}{
		{"/a/b.go:3:7", "/a/b.go", 3, 7},
		{"/a/b.go:3", "/a/b.go", 3, 0},
		{"C:/a/b.go:3:7", "C:/a/b.go", 3, 7},
		{"", "", 0, 0},
		{"-", "", 0, 0},
		{"/a/b.go", "/a/b.go", 1, 1},
	} {
		f, l, c := splitPos(tc.in)
		if f != tc.file || l != tc.line || c != tc.col {
			t.Errorf("splitPos(%q) = %q %d %d, want %q %d %d", tc.in, f, l, c, tc.file, tc.line, tc.col)
		}
	}
}

func TestCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/tc\n\ngo 1.22\n",
		// The syntax found Claimed, but its first parameter is not
		// http.ResponseWriter.
		"api/claimed.go": "package handler\n\nimport (\n\t\"io\"\n\t\"net/http\"\n)\n\nfunc Claimed(w io.Writer, r *http.Request) {}\n",
		// No handler by syntax; one by types (a named alias chain).
		"api/alias.go": "package handler\n\nimport \"net/http\"\n\ntype (\n\tRW = http.ResponseWriter\n\tReq = *http.Request\n)\n\nfunc Aliased(w RW, r Req) {}\n",
		// A helper with a type error.
		"api/helper.go": "package handler\n\nvar broken int = \"x\"\n",
		// A good handler behind a renamed import.
		"api/ok.go": "package handler\n\nimport h \"net/http\"\n\nfunc OK(w h.ResponseWriter, r *h.Request) {}\n",
	}
	writeFiles(t, root, files)
	abs := func(rel string) string { return filepath.Join(root, rel) }
	res, err := Check(context.Background(), Request{
		Root:     root,
		Files:    []string{abs("api/ok.go")},
		Handlers: map[string]string{abs("api/claimed.go"): "Claimed", abs("api/alias.go"): "", abs("api/ok.go"): "OK"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 4 {
		t.Errorf("checked files = %v, want the package's 4", res.Files)
	}
	got := map[string]string{}
	for _, d := range res.Diagnostics {
		got[d.File+" "+d.Code] = d.Message
		if d.Range.Start.Line == 0 {
			t.Errorf("diagnostic without a position: %+v", d)
		}
	}
	for key, want := range map[string]string{
		"api/claimed.go go-handler-type":  "its first parameter has type io.Writer",
		"api/alias.go go-handler-alias":   "Aliased has the handler type",
		"api/helper.go go-type-error":     "cannot use \"x\"",
		"api/ok.go go-handler-type":       "",
		"api/ok.go go-handler-alias":      "",
		"api/claimed.go go-handler-alias": "",
	} {
		msg, ok := got[key]
		switch {
		case want == "" && ok:
			t.Errorf("unexpected %s: %s", key, msg)
		case want != "" && !strings.Contains(msg, want):
			t.Errorf("%s = %q, want it to contain %q (all: %v)", key, msg, want, got)
		}
	}
	if codes := res.Replaces["api/alias.go"]; len(codes) != 2 {
		t.Errorf("Replaces = %v", res.Replaces)
	}
}

// A folder of dynamic routes ([id].go), whose file names the go command
// refuses, is checked too: with its imports' types (a package of the
// module included), its helpers, and errors at their place.
func TestCheckDynamicRouteFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	root := t.TempDir()
	files := map[string]string{
		"go.mod":             "module example.com/dyn\n\ngo 1.22\n",
		"lib/greet/greet.go": "package greet\n\nfunc Hello(name string) string { return \"hi \" + name }\n",
		"api/users/util.go":  "package handler\n\nfunc id(r string) string { return r }\n",
		// cgo, when enabled: import "C" is not a package to load.
		"api/users/cgo.go": "package handler\n\n// int two(void) { return 2; }\nimport \"C\"\n\nfunc two() int { return int(C.two()) }\n",
		"api/users/[id].go": "package handler\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\n\t\"example.com/dyn/lib/greet\"\n)\n\n" +
			"func Handler(w http.ResponseWriter, r *http.Request) {\n\tfmt.Fprint(w, greet.Hello(id(r.URL.Query().Get(\"id\"))))\n}\n",
		"api/teams/[team].go": "package handler\n\nimport (\n\t\"io\"\n\t\"net/http\"\n\n\t\"example.com/dyn/lib/greet\"\n)\n\n" +
			"func Handler(w io.Writer, r *http.Request) {\n\tio.WriteString(w, greet.Helo(\"x\"))\n}\n",
	}
	writeFiles(t, root, files)
	abs := func(rel string) string { return filepath.Join(root, rel) }
	res, err := Check(context.Background(), Request{
		Root:     root,
		Files:    []string{abs("api/users/[id].go"), abs("api/teams/[team].go")},
		Handlers: map[string]string{abs("api/users/[id].go"): "Handler", abs("api/teams/[team].go"): "Handler"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantFiles := []string{abs("api/teams/[team].go"), abs("api/users/[id].go"), abs("api/users/util.go")}
	if build.Default.CgoEnabled {
		wantFiles = []string{abs("api/teams/[team].go"), abs("api/users/[id].go"), abs("api/users/cgo.go"), abs("api/users/util.go")}
	}
	if !slices.Equal(res.Files, wantFiles) {
		t.Errorf("checked files = %v, want %v", res.Files, wantFiles)
	}
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, fmt.Sprintf("%s:%d %s %s", d.File, d.Range.Start.Line, d.Code, d.Message))
	}
	want := []string{
		"api/teams/[team].go:10 go-handler-type Handler looks like a handler, but after type checking its first parameter has type io.Writer",
		"api/teams/[team].go:11 go-type-error undefined: greet.Helo",
	}
	slices.Sort(got)
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d = %q, want it to start with %q", i, got[i], want[i])
		}
	}
}

// writeFiles writes files (slash paths relative to root) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
