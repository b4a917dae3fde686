package lsp_test

import (
	"slices"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

const lensProject = `
-- go.mod --
module example.com/app

go 1.22
-- vercel.json --
{
  "functions": {
    "api/users/*.go": { "memory": 512, "maxDuration": 30, "architecture": "arm64" }
  },
  "rewrites": [{ "source": "/u/:id", "destination": "/api/users/[id]" }]
}
-- api/users/[id].go --
package handler

import "net/http"

// User answers one user.
func User(w http.ResponseWriter, r *http.Request) {}
-- api/hello.py --
from http.server import BaseHTTPRequestHandler


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        pass
-- api/_lib/util.go --
package lib
`

func TestCodeLenses(t *testing.T) {
	runTest(t, lensProject, testOpts{}, func(e *env) {
		for _, tc := range []struct {
			file string
			line uint32
			want []string
		}{
			{"api/users/[id].go", 5, []string{"▶ Run dev server", "Build for Lambda"}},
			{"api/hello.py", 3, []string{"▶ Run dev server", "Build for Lambda"}},
			{"vercel.json", 0, []string{"Build all for Lambda", "▶ Run dev server"}},
			{"api/_lib/util.go", 0, nil},
		} {
			ls, err := e.CodeLens(e.ctx, tc.file)
			e.must(err)
			var titles []string
			for _, l := range ls {
				titles = append(titles, l.Command.Title)
				if l.Range.Start.Line != tc.line {
					t.Errorf("%s: lens %q on line %d, want %d", tc.file, l.Command.Title, l.Range.Start.Line, tc.line)
				}
			}
			if !slices.Equal(titles, tc.want) {
				t.Errorf("%s: lenses %q, want %q", tc.file, titles, tc.want)
			}
		}
		build := e.lens("api/users/[id].go", "Build for Lambda")
		if build.Command.Command != "lambdalens.build" || len(build.Command.Arguments) != 1 {
			t.Fatalf("build lens command = %+v", build.Command)
		}
		if args, _ := build.Command.Arguments[0].(map[string]any); args["function"] != "api/users/[id]" {
			t.Errorf("build lens arguments = %v, want function api/users/[id]", build.Command.Arguments)
		}
	})
}

// Lenses follow unsaved edits: a handler moved down moves its lens.
func TestCodeLensFollowsEdits(t *testing.T) {
	runTest(t, lensProject, testOpts{}, func(e *env) {
		e.open("api/users/[id].go")
		e.replace("api/users/[id].go", `// User answers one user.\n`, "// User answers one user.\n// More docs.\n\n")
		if got := e.lens("api/users/[id].go", "▶").Range.Start.Line; got != 7 {
			t.Errorf("lens on line %d after the edit, want 7", got)
		}
	})
}

func TestCodeLensSettings(t *testing.T) {
	t.Run("initializationOptions", func(t *testing.T) {
		o := testOpts{editor: lsptest.Options{InitializationOptions: map[string]any{
			"lambdalens": map[string]any{"codelenses": map[string]any{"build": false, "buildAll": false}},
		}}}
		runTest(t, lensProject, o, func(e *env) {
			if got := e.lenses("api/users/[id].go"); !slices.Equal(got, []string{"▶ Run dev server"}) {
				t.Errorf("lenses = %q, want only the dev lens", got)
			}
			if got := e.lenses("vercel.json"); !slices.Equal(got, []string{"▶ Run dev server"}) {
				t.Errorf("vercel.json lenses = %q, want only the dev lens", got)
			}
		})
	})
	t.Run("workspace/configuration", func(t *testing.T) {
		o := testOpts{editor: lsptest.Options{Configuration: map[string]any{"codelenses": map[string]any{"dev": false}}}}
		runTest(t, lensProject, o, func(e *env) {
			e.eventually("the configured lenses", func() bool {
				return slices.Equal(e.lenses("api/hello.py"), []string{"Build for Lambda"})
			})
			// A pushed setting wins.
			e.must(e.Conn().Notify(e.ctx, protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{
				"settings": map[string]any{"lambdalens": map[string]any{"codelenses": map[string]any{"dev": true, "build": false}}},
			}))
			e.eventually("the pushed lenses", func() bool {
				return slices.Equal(e.lenses("api/hello.py"), []string{"▶ Run dev server"})
			})
		})
	})
	// Issue (review C, bug 5): settings were layered on the previous
	// ones, so a key removed from the section kept its old value; absent
	// means default (with initializationOptions), as the editor plugins
	// promise.
	t.Run("a pushed section replaces the previous one", func(t *testing.T) {
		o := testOpts{editor: lsptest.Options{InitializationOptions: map[string]any{
			"diagnosticsDelay": "1ms", "codelenses": map[string]any{"dev": false},
		}}}
		runTest(t, lensProject, o, func(e *env) {
			push := func(section map[string]any) {
				e.must(e.Conn().Notify(e.ctx, protocol.MethodWorkspaceDidChangeConfiguration, map[string]any{
					"settings": map[string]any{"lambdalens": section},
				}))
			}
			push(map[string]any{"codelenses": map[string]any{"build": false}})
			e.eventually("no build lens", func() bool { return len(e.lenses("api/hello.py")) == 0 })
			push(map[string]any{})
			e.eventually("the build lens back", func() bool {
				return slices.Equal(e.lenses("api/hello.py"), []string{"Build for Lambda"})
			})
		})
	})
	t.Run("bad settings are reported", func(t *testing.T) {
		o := testOpts{editor: lsptest.Options{InitializationOptions: map[string]any{"codelenses": map[string]any{"nope": true}, "diagnosticsDelay": "soon"}}}
		runTest(t, lensProject, o, func(e *env) {
			e.await("warnings about the settings", func(s *lsptest.State) bool {
				return s.LogContaining(`unknown code lens "nope"`) && s.LogContaining(`diagnosticsDelay "soon"`)
			})
		})
	})
}

func TestHover(t *testing.T) {
	runTest(t, lensProject, testOpts{editor: lsptest.Options{Markdown: true}}, func(e *env) {
		e.open("api/users/[id].go")
		text, _ := e.BufferText("api/users/[id].go")
		h, err := e.Hover(e.ctx, "api/users/[id].go", strings.Index(text, "User(")+1)
		e.must(err)
		if h == nil {
			t.Fatal("no hover on the handler")
		}
		for _, want := range []string{"**api/users/[id] (Go function)**", "`/api/users/[id]`", "`/u/:id` (rewrite)", "512 MB", "30 s", "arm64", "provided.al2023"} {
			if !strings.Contains(h.Contents.Value, want) {
				t.Errorf("hover lacks %q:\n%s", want, h.Contents.Value)
			}
		}
		if h.Contents.Kind != protocol.Markdown {
			t.Errorf("hover kind = %s, want markdown", h.Contents.Kind)
		}
		// Not on the handler: nothing.
		h, err = e.Hover(e.ctx, "api/users/[id].go", strings.Index(text, "import"))
		e.must(err)
		if h != nil {
			t.Errorf("hover away from the handler = %q, want none", h.Contents.Value)
		}
		// Python: on the handler class line; defaults apply.
		pyText := "from http.server import BaseHTTPRequestHandler\n\n\nclass handler(BaseHTTPRequestHandler):\n"
		h, err = e.Hover(e.ctx, "api/hello.py", len(pyText)-10)
		e.must(err)
		if h == nil || !strings.Contains(h.Contents.Value, "1024 MB") || !strings.Contains(h.Contents.Value, "python3.") {
			t.Errorf("python hover = %+v", h)
		}
	})
}

// A standalone server gets its lenses on func main; its hover says it
// serves every path.
func TestServerLenses(t *testing.T) {
	const archive = `
-- go.mod --
module example.com/srv

go 1.22
-- main.go --
package main

import (
	"net/http"
	"os"
)

func main() {
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`
	runTest(t, archive, testOpts{}, func(e *env) {
		l := e.lens("main.go", "▶ Run dev server")
		if l.Range.Start.Line != 7 || l.Range.Start.Character != 5 {
			t.Errorf("lens at %+v, want on func main (7:5)", l.Range.Start)
		}
		text := "package main\n\nimport (\n\t\"net/http\"\n\t\"os\"\n)\n\nfunc main"
		h, err := e.Hover(e.ctx, "main.go", len(text)-2)
		e.must(err)
		if h == nil || !strings.Contains(h.Contents.Value, "every path") {
			t.Errorf("server hover = %+v", h)
		}
	})
}

// Folders added later are projects too; removed ones stop.
func TestWorkspaceFoldersChange(t *testing.T) {
	const archive = `
-- one/api/a.py --
x = 1
-- two/api/b.py --
y = 2
`
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, archive); err != nil {
		t.Fatal(err)
	}
	runTestIn(t, dir, testOpts{editor: lsptest.Options{Folders: []string{dir + "/one"}}}, func(e *env) {
		e.await("the first folder", func(s *lsptest.State) bool { return s.HasDiagnostic("one/api/a.py", "py-no-entrypoint") })
		e.must(e.Conn().Notify(e.ctx, protocol.MethodWorkspaceDidChangeWorkspaceFolders, &protocol.DidChangeWorkspaceFoldersParams{
			Event: protocol.WorkspaceFoldersChangeEvent{
				Added:   []protocol.WorkspaceFolder{{URI: string(e.URI("two")), Name: "two"}},
				Removed: []protocol.WorkspaceFolder{{URI: string(e.URI("one")), Name: "one"}},
			},
		}))
		e.await("the added folder", func(s *lsptest.State) bool { return s.HasDiagnostic("two/api/b.py", "py-no-entrypoint") })
		// The removed folder's problems are cleared, not left behind.
		e.await("the removed folder's diagnostics cleared", func(s *lsptest.State) bool {
			return len(s.Diagnostics["one/api/a.py"].Diagnostics) == 0
		})
		if got := e.lenses("one/api/a.py"); len(got) != 0 {
			t.Errorf("lenses in the removed folder: %q", got)
		}
	})
}
