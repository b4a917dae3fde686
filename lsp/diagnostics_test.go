package lsp_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/lsp/command"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

const goFunction = `
-- go.mod --
module example.com/app

go 1.22
-- api/hello.go --
package handler

import "net/http"

func Hello(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("hello"))
}
`

func TestDiagnosticsWhileTyping(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		e.open("api/hello.go")
		v := e.replace("api/hello.go", `r \*http.Request`, "r http.Request")
		e.await("go-handler-signature on api/hello.go", func(s *lsptest.State) bool {
			fd := s.Diagnostics["api/hello.go"]
			return fd.Version == v && s.HasDiagnostic("api/hello.go", "go-handler-signature")
		})
		d := e.State().Diagnostic("api/hello.go", "go-handler-signature")
		if d.Source != "lambdalens" || d.Range.Start.Line != 4 || d.Range.Start.Character != 5 {
			t.Errorf("diagnostic = %+v, want source lambdalens at 4:5", d)
		}
		if d.CodeDescription == nil || !strings.Contains(string(d.CodeDescription.Href), "vercel.com/docs") {
			t.Errorf("diagnostic has no documentation link: %+v", d.CodeDescription)
		}
		v = e.replace("api/hello.go", `r http.Request`, "r *http.Request")
		e.await("api/hello.go clean", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.NoDiagnostics("api/hello.go")
		})
	})
}

// A workspace with one problem of every kind the project model reports.
const brokenProject = `
-- go.mod --
module example.com/app

go 1.99
-- .python-version --
3.5
-- vercel.json --
{
  "functions": {
    "api/*.go": { "memory": "lots" }
  },
  "cleanUrl": true
}
-- api/ok.go --
package handler

import "net/http"

func OK(w http.ResponseWriter, r *http.Request) {}
-- api/nohandler.py --
def foo():
    pass
-- api/main.go --
package main

import "net/http"

func H(w http.ResponseWriter, r *http.Request) {}
-- api/users.go --
package handler

import "net/http"

func Users(w http.ResponseWriter, r *http.Request) {}
-- api/users.py --
from http.server import BaseHTTPRequestHandler

class handler(BaseHTTPRequestHandler):
    pass
`

func TestProjectDiagnostics(t *testing.T) {
	runTest(t, brokenProject, testOpts{editor: lsptest.Options{RelatedInfo: true}}, func(e *env) {
		for _, tc := range []struct {
			file, code string
			line, char uint32 // start, 0-based
		}{
			{"api/nohandler.py", "py-no-entrypoint", 0, 0},
			{"api/main.go", "go-package-main", 0, 0},
			{"api/users.go", "conflicting-file-path", 4, 5},
			{"api/users.py", "conflicting-file-path", 2, 6},
			{"go.mod", "go-version-newer", 2, 0},
			{"vercel.json", "invalid-type", 2, 28}, // the value "lots"
			{"vercel.json", "unknown-key", 4, 2},   // the key "cleanUrl"
			{".python-version", "python-version-unsupported", 0, 0},
		} {
			e.await(tc.code+" on "+tc.file, func(s *lsptest.State) bool { return s.HasDiagnostic(tc.file, tc.code) })
			d := e.State().Diagnostic(tc.file, tc.code)
			if d.Range.Start.Line != tc.line || d.Range.Start.Character != tc.char {
				t.Errorf("%s on %s starts at %d:%d, want %d:%d", tc.code, tc.file, d.Range.Start.Line, d.Range.Start.Character, tc.line, tc.char)
			}
		}
		// A route conflict points at the other file.
		d := e.State().Diagnostic("api/users.go", "conflicting-file-path")
		if len(d.RelatedInformation) != 1 || !strings.HasSuffix(string(d.RelatedInformation[0].Location.URI), "api/users.py") {
			t.Errorf("related information = %+v, want api/users.py", d.RelatedInformation)
		}
		if !e.State().NoDiagnostics("api/ok.go") {
			t.Errorf("api/ok.go has diagnostics: %+v", e.State().Diagnostics["api/ok.go"])
		}
	})
}

// Without relatedInformation support, the other file goes in the message.
func TestRelatedInMessage(t *testing.T) {
	runTest(t, brokenProject, testOpts{}, func(e *env) {
		e.await("conflict on api/users.go", func(s *lsptest.State) bool { return s.HasDiagnostic("api/users.go", "conflicting-file-path") })
		d := e.State().Diagnostic("api/users.go", "conflicting-file-path")
		if len(d.RelatedInformation) != 0 || !strings.Contains(d.Message, "\napi/users.py:3:7: the other function") {
			t.Errorf("diagnostic = %q with %d related, want the other file in the message", d.Message, len(d.RelatedInformation))
		}
	})
}

// Columns are UTF-16 code units on lines with non-ASCII text, both in
// diagnostics and in the edits the editor sends.
func TestUTF16Columns(t *testing.T) {
	const archive = `
-- go.mod --
module example.com/app

go 1.22
-- api/wide.go --
package handler

import "net/http"

/* héllo 🎉 wörld */ func Wide(w http.ResponseWriter, r *http.Request) {}
`
	runTest(t, archive, testOpts{}, func(e *env) {
		e.open("api/wide.go")
		// Edit after the emoji: the editor sends UTF-16 positions.
		v := e.replace("api/wide.go", `r \*http.Request`, "r http.Request")
		e.await("signature error", func(s *lsptest.State) bool {
			return s.Diagnostics["api/wide.go"].Version == v && s.HasDiagnostic("api/wide.go", "go-handler-signature")
		})
		text, _ := e.BufferText("api/wide.go")
		want := lsptest.Position([]byte(text), strings.Index(text, "Wide"))
		d := e.State().Diagnostic("api/wide.go", "go-handler-signature")
		if d.Range.Start != want {
			t.Errorf("diagnostic starts at %+v, want %+v (UTF-16)", d.Range.Start, want)
		}
		if d.Range.End.Character-d.Range.Start.Character != 4 {
			t.Errorf("diagnostic range %+v does not cover Wide", d.Range)
		}
		if want.Character != 26 {
			t.Fatalf("test setup: Wide is at UTF-16 column %d, want 26", want.Character)
		}
	})
}

// A change without a range replaces the whole document.
func TestFullDocumentChange(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		e.open("api/hello.go")
		v, err := e.SendFullChange(e.ctx, "api/hello.go", "package main\n\nimport \"net/http\"\n\nfunc Hello(w http.ResponseWriter, r *http.Request) {}\n")
		e.must(err)
		e.await("go-package-main", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.HasDiagnostic("api/hello.go", "go-package-main")
		})
	})
}

// Unsaved new files count, and closing a buffer returns to the disk.
func TestOverlayOnlyFile(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		e.must(e.OpenBuffer(e.ctx, "api/new.py", "x = 1\n"))
		e.await("py-no-entrypoint on the unsaved file", func(s *lsptest.State) bool { return s.HasDiagnostic("api/new.py", "py-no-entrypoint") })
		e.must(e.CloseFile(e.ctx, "api/new.py"))
		e.await("cleared after close", func(s *lsptest.State) bool { return s.NoDiagnostics("api/new.py") })
	})
}

// Each workspace folder is its own project.
func TestMultipleFolders(t *testing.T) {
	const archive = `
-- one/api/a.py --
x = 1
-- two/api/b.go --
package main

import "net/http"

func B(w http.ResponseWriter, r *http.Request) {}
`
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, archive); err != nil {
		t.Fatal(err)
	}
	runTestIn(t, dir, testOpts{editor: lsptest.Options{Folders: []string{dir + "/one", dir + "/two"}}}, func(e *env) {
		e.await("diagnostics in both folders", func(s *lsptest.State) bool {
			return s.HasDiagnostic("one/api/a.py", "py-no-entrypoint") && s.HasDiagnostic("two/api/b.go", "go-package-main")
		})
	})
}

// An editor that opens a lone file (no workspace folder) gets the project
// around it: the nearest directory with a vercel.json.
func TestNoWorkspaceFolder(t *testing.T) {
	const archive = `
-- proj/vercel.json --
{}
-- proj/api/deep/x.py --
x = 1
`
	runTest(t, archive, testOpts{editor: lsptest.Options{NoWorkspace: true}}, func(e *env) {
		e.open("proj/api/deep/x.py")
		e.await("the file's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("proj/api/deep/x.py", "py-no-entrypoint") })
		if got := e.lenses("proj/vercel.json"); len(got) != 2 {
			t.Errorf("vercel.json lenses in the guessed project = %q", got)
		}
	})
}

// Without a workspace folder every project gets its files, not only the
// first one opened; also when the first file opened is outside any project
// (its folder becomes a project of its own, above the others).
func TestNoWorkspaceFolderManyProjects(t *testing.T) {
	const archive = `
-- notes.py --
x = 1
-- one/vercel.json --
{}
-- one/api/a.py --
x = 1
-- two/api/b.go --
package handler

import "net/http"

func B(w http.ResponseWriter, r *http.Request) {}
-- two/api/c.py --
x = 1
`
	for _, first := range []string{"one/api/a.py", "notes.py"} {
		t.Run("first "+first, func(t *testing.T) { testNoWorkspaceFolderManyProjects(t, archive, first) })
	}
}

func testNoWorkspaceFolderManyProjects(t *testing.T, archive, first string) {
	runTest(t, archive, testOpts{editor: lsptest.Options{NoWorkspace: true}}, func(e *env) {
		e.open(first)
		e.open("one/api/a.py")
		e.await("one's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("one/api/a.py", "py-no-entrypoint") })
		e.open("two/api/c.py")
		e.await("two's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("two/api/c.py", "py-no-entrypoint") })
		e.open("two/api/b.go")
		if got := e.lenses("two/api/b.go"); len(got) == 0 {
			t.Errorf("no lenses on the second project's handler")
		}
		raw, err := e.ExecuteCommand(e.ctx, command.NewInspectCommand("", command.InspectArgs{URI: string(e.URI("two/api/b.go"))}))
		e.must(err)
		var res command.InspectResult
		e.must(json.Unmarshal(raw, &res))
		if res.Root != e.Path("two") || len(res.Functions) != 1 {
			t.Errorf("inspect of two/api/b.go = %+v, want the project in two/ with one function", res)
		}
	})
}

// A quick pass for one document keeps the quick diagnostics of another:
// with the full phase held back, an edit of api/other.go must not bring
// back the older model's (clean) diagnostics of api/hello.go.
func TestQuickPassKeepsOtherDocuments(t *testing.T) {
	const archive = goFunction + `-- api/other.go --
package handler

import "net/http"

func Other(w http.ResponseWriter, r *http.Request) {}
`
	o := testOpts{editor: lsptest.Options{InitializationOptions: map[string]any{"diagnosticsDelay": "2s"}}}
	runTest(t, archive, o, func(e *env) {
		e.open("api/hello.go")
		e.open("api/other.go")
		v := e.replace("api/hello.go", `r \*http.Request`, "r http.Request")
		e.await("go-handler-signature on api/hello.go", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.HasDiagnostic("api/hello.go", "go-handler-signature")
		})
		vo := e.replace("api/other.go", `r \*http.Request`, "r http.Request")
		e.await("the quick pass of api/other.go", func(s *lsptest.State) bool {
			return s.Diagnostics["api/other.go"].Version == vo && s.HasDiagnostic("api/other.go", "go-handler-signature")
		})
		// Whatever was published since, api/hello.go still has its error.
		if !e.State().HasDiagnostic("api/hello.go", "go-handler-signature") {
			t.Errorf("api/hello.go lost its quick diagnostic after an edit of another file:\n%s", e.State().Summary())
		}
	})
}

// Issue (review C, bug 2): a quick pass for one document re-sent another
// document's older diagnostics stamped with that document's new version,
// at positions of its old text. A publish tagged version N must be about
// version N's text.
func TestQuickPassDoesNotRestampOtherDocuments(t *testing.T) {
	const archive = goFunction + `-- vercel.json --
{
  "functions": {
    "api/hello.go": { "memory": "x" }
  }
}
`
	// The full phase is held back, so only the quick phase publishes.
	o := testOpts{editor: lsptest.Options{InitializationOptions: map[string]any{"diagnosticsDelay": "5s"}}}
	runTest(t, archive, o, func(e *env) {
		e.open("vercel.json")
		e.open("api/hello.go")
		e.await("invalid-type on vercel.json", func(s *lsptest.State) bool { return s.HasDiagnostic("vercel.json", "invalid-type") })
		if d := e.State().Diagnostic("vercel.json", "invalid-type"); d.Range.Start.Line != 2 || d.Range.Start.Character != 32 {
			t.Fatalf("invalid-type at %+v, want 2:32", d.Range.Start)
		}
		_, err := e.Edit(e.ctx, "vercel.json", 2, 2, "  \"regions\": [],\n  \"cleanUrls\": true,\n  \"trailingSlash\": false,\n")
		e.must(err)
		v := e.replace("api/hello.go", `r \*http.Request`, "r http.Request")
		e.await("the quick pass of api/hello.go", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.HasDiagnostic("api/hello.go", "go-handler-signature")
		})
		// A second pass: what the first one published after api/hello.go
		// (files go in path order) has arrived once this one's has.
		v = e.replace("api/hello.go", `r http.Request`, "r *http.Request")
		e.await("the second quick pass of api/hello.go", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.NoDiagnostics("api/hello.go")
		})
		fd := e.State().Diagnostics["vercel.json"]
		d := e.State().Diagnostic("vercel.json", "invalid-type")
		switch {
		case d == nil:
			t.Errorf("vercel.json lost its diagnostic:\n%s", e.State().Summary())
		case fd.Version == 1 && d.Range.Start.Line != 2, fd.Version == 2 && d.Range.Start.Line != 5:
			t.Errorf("vercel.json version %d has invalid-type at line %d (stale positions under a new version)", fd.Version, d.Range.Start.Line)
		}
	})
}

// Issue (review C, bug 4): a lone "\r" ends a line for the editor, so the
// server's copy of a document must follow its edits and its diagnostics
// must land on the editor's lines, in Go files (whose tools end lines at
// "\n" only) as in Python files (whose tools end them at "\r" too).
func TestLoneCarriageReturn(t *testing.T) {
	const archive = `
-- go.mod --
module example.com/app

go 1.22
-- api/hello.go --
package handler

import "net/http"

// Hello says hello.` + "\r" + `// More.
func Hello(w http.ResponseWriter, r *http.Request) {}
-- api/greet.py --
# one` + "\r" + `# two
from http.server import BaseHTTPRequestHandler

class handler(BaseHTTPRequestHandler):
    pass
`
	runTest(t, archive, testOpts{}, func(e *env) {
		e.open("api/hello.go")
		e.open("api/greet.py")
		v := e.replace("api/hello.go", `r \*http.Request`, "r http.Request")
		e.await("go-handler-signature", func(s *lsptest.State) bool {
			return s.Diagnostics["api/hello.go"].Version == v && s.HasDiagnostic("api/hello.go", "go-handler-signature")
		})
		if d := e.State().Diagnostic("api/hello.go", "go-handler-signature"); d.Range.Start.Line != 6 || d.Range.Start.Character != 5 {
			t.Errorf("go-handler-signature at %d:%d, want 6:5 (the editor's line of Hello)", d.Range.Start.Line, d.Range.Start.Character)
		}
		v = e.replace("api/greet.py", `class handler`, "class Other")
		e.await("py-no-entrypoint", func(s *lsptest.State) bool {
			return s.Diagnostics["api/greet.py"].Version == v && s.HasDiagnostic("api/greet.py", "py-no-entrypoint")
		})
		// The server saw the edit where the editor made it: putting the
		// name back clears the diagnostic.
		v = e.replace("api/greet.py", `class Other`, "class handler")
		e.await("api/greet.py clean", func(s *lsptest.State) bool {
			return s.Diagnostics["api/greet.py"].Version == v && s.NoDiagnostics("api/greet.py")
		})
	})
}

// A file outside the workspace folders gets the project around it when a
// vercel.json marks it, as gopls gives an orphan file in a module a view;
// not for an api/ folder alone (GOROOT has one), not around a workspace
// folder, and not for a lone file.
func TestProjectOutsideTheWorkspaceFolders(t *testing.T) {
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, `
-- ws/one/vercel.json --
{}
-- ws/one/api/a.py --
x = 1
-- two/vercel.json --
{}
-- two/api/c.py --
x = 1
-- goroot/api/go1.txt --
pkg
-- goroot/src/net/x.py --
x = 1
-- ws/notes/n.py --
x = 1
-- ws/vercel.json --
{}
-- lone/n.py --
x = 1
`); err != nil {
		t.Fatal(err)
	}
	o := testOpts{editor: lsptest.Options{Folders: []string{filepath.Join(dir, "ws", "one")}}}
	runTestIn(t, dir, o, func(e *env) {
		for _, f := range []string{"lone/n.py", "goroot/src/net/x.py", "ws/notes/n.py"} {
			e.open(f)
		}
		e.open("two/api/c.py")
		e.await("the other project's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("two/api/c.py", "py-no-entrypoint") })
		e.open("ws/one/api/a.py")
		e.await("the workspace's diagnostic", func(s *lsptest.State) bool { return s.HasDiagnostic("ws/one/api/a.py", "py-no-entrypoint") })
		inspect := func(f string) (command.InspectResult, error) {
			var res command.InspectResult
			raw, err := e.ExecuteCommand(e.ctx, command.NewInspectCommand("", command.InspectArgs{URI: string(e.URI(f))}))
			if err == nil {
				err = json.Unmarshal(raw, &res)
			}
			return res, err
		}
		for _, f := range []string{"lone/n.py", "goroot/src/net/x.py", "ws/notes/n.py"} {
			if res, err := inspect(f); err == nil {
				t.Errorf("inspect of %s found a folder at %s; want none", f, res.Root)
			}
		}
		res, err := inspect("two/api/c.py")
		e.must(err)
		if res.Root != e.Path("two") {
			t.Errorf("inspect of two/api/c.py has root %s, want the project in two/", res.Root)
		}
	})
}
