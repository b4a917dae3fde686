package lsp_test

import (
	"os"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

const typedProject = `
-- go.mod --
module example.com/app

go 1.22
-- api/hello.go --
package handler

import "net/http"

func Hello(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("hello"))
}
-- api/alias.go --
package handler

import "net/http"

type W = http.ResponseWriter

func Alias(w W, r *http.Request) {}
-- api/renamed.go --
package handler

import nethttp "net/http"

func Renamed(w nethttp.ResponseWriter, r *nethttp.Request) {}
`

func TestTypeCheckOnSave(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	runTest(t, typedProject, testOpts{editor: lsptest.Options{WorkDoneProgress: true}}, func(e *env) {
		e.open("api/hello.go")
		e.open("api/alias.go")
		e.await("the syntactic verdict on the alias", func(s *lsptest.State) bool { return s.HasDiagnostic("api/alias.go", "go-helper-file") })

		// Typing does not type-check; saving does.
		e.replace("api/hello.go", `w.Write\(\[\]byte\("hello"\)\)`, `w.Write(42)`)
		e.must(e.SaveFile(e.ctx, "api/hello.go"))
		e.await("the type error", func(s *lsptest.State) bool {
			return s.HasDiagnostic("api/hello.go", "go-type-error") && s.ProgressEnded("Type-checking") != nil
		})
		st := e.State()
		if d := st.Diagnostic("api/hello.go", "go-type-error"); d.Range.Start.Line != 5 || d.Range.Start.Character != 9 {
			t.Errorf("type error at %d:%d, want 5:9: %s", d.Range.Start.Line, d.Range.Start.Character, d.Message)
		}
		if p := st.ProgressEnded("Type-checking"); p.Message != "2 problems" {
			t.Errorf("type check progress ended with %q, want 2 problems (the type error, the alias)", p.Message)
		}
		if d := st.Diagnostic("api/alias.go", "go-type-error"); d != nil {
			t.Errorf("the package's error is repeated on another file: %s", d.Message)
		}
		// The alias is confirmed by types: a precise error replaces the
		// syntactic hint.
		e.await("the typed verdict on the alias", func(s *lsptest.State) bool {
			return s.HasDiagnostic("api/alias.go", "go-handler-alias") && !s.HasDiagnostic("api/alias.go", "go-helper-file")
		})
		if !e.State().NoDiagnostics("api/renamed.go") {
			t.Errorf("the renamed import has diagnostics: %+v", e.State().Diagnostics["api/renamed.go"])
		}

		// An unsaved edit hides typed results about the saved content.
		e.replace("api/hello.go", `w.Write\(42\)`, `w.Write(43)`)
		e.await("the stale type error hidden", func(s *lsptest.State) bool { return !s.HasDiagnostic("api/hello.go", "go-type-error") })

		// Fixed and saved: cleared.
		e.replace("api/hello.go", `w.Write\(43\)`, `w.Write(nil)`)
		e.must(e.SaveFile(e.ctx, "api/hello.go"))
		ends := func(s *lsptest.State) int {
			n := 0
			for _, p := range s.Progress {
				if p.Kind == "end" {
					n++
				}
			}
			return n
		}
		before := ends(e.State())
		e.await("the second check", func(s *lsptest.State) bool { return ends(s) > before })
		if e.State().HasDiagnostic("api/hello.go", "go-type-error") {
			t.Errorf("the type error stayed after the fix:\n%s", e.State().Summary())
		}
	})
}

// typeCheckOnSave false: saving runs nothing.
func TestTypeCheckOff(t *testing.T) {
	o := testOpts{editor: lsptest.Options{WorkDoneProgress: true, InitializationOptions: map[string]any{"typeCheckOnSave": false}}}
	runTest(t, typedProject, o, func(e *env) {
		e.open("api/hello.go")
		e.must(e.SaveFile(e.ctx, "api/hello.go"))
		e.lenses("api/hello.go") // a round trip after the save
		if p := e.State().Progress; len(p) != 0 {
			t.Errorf("progress with the type check off: %+v", p)
		}
	})
}

// Typed errors follow changes on disk: the file that caused one, deleted
// outside the editor (a terminal, a git checkout), takes it away without a
// save.
func TestTypeErrorsFollowDiskChanges(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	o := testOpts{editor: lsptest.Options{WorkDoneProgress: true, WatchedFiles: true}}
	runTest(t, typedProject, o, func(e *env) {
		e.open("api/hello.go")
		typed := func(s *lsptest.State) bool {
			return s.HasDiagnostic("api/hello.go", "go-type-error") || s.HasDiagnostic("api/dup.go", "go-type-error")
		}
		e.must(os.WriteFile(e.Path("api/dup.go"), []byte("package handler\n\nfunc Hello() {}\n"), 0o644))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeCreated, "api/dup.go"))
		e.must(e.SaveFile(e.ctx, "api/hello.go"))
		e.await("the redeclaration", typed)
		e.must(os.Remove(e.Path("api/dup.go")))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeDeleted, "api/dup.go"))
		e.await("the redeclaration gone without a save", func(s *lsptest.State) bool { return !typed(s) })
	})
}
