package project

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/lambdalens/lambdalens/runtimes"
)

// writeTree writes a txtar archive into a fresh directory and returns it.
func writeTree(t testing.TB, archive string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range txtar.Parse([]byte(archive)).Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t testing.TB, dir string, opts Options) *Project {
	t.Helper()
	p, err := Load(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return p
}

func ids(p *Project) []string {
	var out []string
	for _, f := range p.Functions {
		out = append(out, f.ID)
	}
	return out
}

// codes lists "file:line:code" for every diagnostic.
func codes(p *Project) []string {
	var out []string
	for _, d := range p.Diagnostics {
		out = append(out, d.File+":"+strconv.Itoa(d.Range.Start.Line)+":"+d.Code)
	}
	return out
}

const goHandler = `package handler

import "net/http"

func Handler(w http.ResponseWriter, r *http.Request) {}
`

const pyHandler = `from http.server import BaseHTTPRequestHandler

class handler(BaseHTTPRequestHandler):
    pass
`

func TestDiscovery(t *testing.T) {
	tests := []struct {
		name    string
		archive string
		want    []string // function IDs
	}{
		{"go and python api functions", `
-- api/hello.go --
` + goHandler + `
-- api/users/[id].py --
` + pyHandler, []string{"api/hello", "api/users/[id]"}},
		{"test files, underscore and dot segments are skipped", `
-- api/hello.go --
` + goHandler + `
-- api/hello_test.go --
package handler
-- api/_lib/db.go --
` + goHandler + `
-- api/.hidden/x.py --
` + pyHandler + `
-- api/_private.py --
` + pyHandler, []string{"api/hello"}},
		{"node_modules, .vercel and .venv are ignored", `
-- api/ok.py --
` + pyHandler + `
-- api/node_modules/pkg/index.py --
` + pyHandler + `
-- .vercel/output/api/x.py --
` + pyHandler + `
-- api/venv/lib/x.py --
` + pyHandler, []string{"api/ok"}},
		{".vercelignore", `
-- .vercelignore --
# drafts are not deployed
api/drafts/
api/*.tmp.py
!api/keep.tmp.py
-- api/ok.go --
` + goHandler + `
-- api/drafts/new.go --
` + goHandler + `
-- api/x.tmp.py --
` + pyHandler + `
-- api/keep.tmp.py --
` + pyHandler, []string{"api/keep.tmp", "api/ok"}},
		{"files outside api are not functions", `
-- lib/x.go --
` + goHandler + `
-- tools/y.py --
` + pyHandler, nil},
		{"legacy builds decide the functions anywhere in the tree, and no server or app is detected", `
-- vercel.json --
{"builds": [{"src": "handlers/*.go", "use": "@vercel/go"}, {"src": "py/**/*.py", "use": "@vercel/python"}]}
-- handlers/a.go --
` + goHandler + `
-- py/sub/b.py --
` + pyHandler + `
-- api/ignored.go --
` + goHandler + `
-- go.mod --
module example.com/legacy

go 1.26
-- main.go --
package main

import "os"

func main() { _ = os.Getenv("PORT") }
`, []string{"handlers/a.go", "py/sub/b.py"}},
		{"go standalone server", `
-- go.mod --
module example.com/s

go 1.26
-- cmd/server/main.go --
package main

import "os"

func main() { _ = os.Getenv("PORT") }
`, []string{"index"}},
		{"python framework app at the root", `
-- requirements.txt --
fastapi
-- main.py --
from fastapi import FastAPI

app = FastAPI()
-- app.py --
from flask import Flask

app = Flask(__name__)
`, []string{"flask"}},
		{"python app candidate without a manifest is not an app", `
-- main.py --
from fastapi import FastAPI

app = FastAPI()
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, tt.archive), Options{})
			if got := ids(p); !slices.Equal(got, tt.want) {
				t.Errorf("functions = %q, want %q\ndiagnostics: %q", got, tt.want, codes(p))
			}
		})
	}
}

func TestFunctionConfig(t *testing.T) {
	dir := writeTree(t, `
-- vercel.json --
{
  "functions": {
    "api/hello.go": {"memory": 256},
    "api/*.go": {"memory": 512, "maxDuration": 10, "architecture": "arm64"},
    "api/**/*.py": {"maxDuration": "max", "includeFiles": "data/**"},
    "api/nothing/*.go": {"memory": 128}
  }
}
-- api/hello.go --
`+goHandler+`
-- api/other.go --
`+goHandler+`
-- api/deep/x.py --
`+pyHandler)
	p := mustLoad(t, dir, Options{})
	check := func(id string, want FunctionConfig) {
		t.Helper()
		f := p.Function(id)
		if f == nil {
			t.Fatalf("no function %s; have %q", id, ids(p))
		}
		if f.Config.Pattern != want.Pattern || f.Config.Memory != want.Memory || f.Config.MaxDuration != want.MaxDuration ||
			f.Config.Architecture != want.Architecture || f.Config.MaxDurationMax != want.MaxDurationMax ||
			!slices.Equal(f.Config.IncludeFiles, want.IncludeFiles) {
			t.Errorf("%s config = %+v, want %+v", id, f.Config, want)
		}
	}
	check("api/hello", FunctionConfig{Pattern: "api/hello.go", Memory: 256, MaxDuration: DefaultMaxDuration, Architecture: "x86_64"})
	check("api/other", FunctionConfig{Pattern: "api/*.go", Memory: 512, MaxDuration: 10, Architecture: "arm64"})
	check("api/deep/x", FunctionConfig{Pattern: "api/**/*.py", Memory: DefaultMemory, MaxDuration: 900, MaxDurationMax: true, Architecture: "x86_64", IncludeFiles: []string{"data/**"}})
	if got := codes(p); !slices.Contains(got, "vercel.json:6:unused-function") {
		t.Errorf("want unused-function at vercel.json:6, got %q", got)
	}
}

// A community runtime is ignored: the .go file it names is built as Go,
// and the warning and the model say so rather than "not built".
func TestCommunityRuntime(t *testing.T) {
	p := mustLoad(t, writeTree(t, "-- vercel.json --\n"+`{"functions": {"api/hello.go": {"runtime": "vercel-php@0.7.3", "memory": 256}}}`+
		"\n-- api/hello.go --\n"+goHandler), Options{})
	f := p.Function("api/hello")
	if f == nil || f.Language() != runtimes.Go {
		t.Fatalf("api/hello is not a Go function: %+v", f)
	}
	if f.Config.Runtime != "" || f.Config.Memory != 256 {
		t.Errorf("config = %+v, want no runtime and the memory of the rule", f.Config)
	}
	var msgs []string
	for _, d := range p.Diagnostics {
		msgs = append(msgs, d.Message)
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], ".go with the Go runtime") || strings.Contains(msgs[0], "would serve are not built") {
		t.Errorf("diagnostics %q, want one warning that .go files are built with the Go runtime", msgs)
	}
}

func TestConflicts(t *testing.T) {
	p := mustLoad(t, writeTree(t, `
-- api/x.go --
`+goHandler+`
-- api/x.py --
`+pyHandler+`
-- api/y.go --
`+goHandler), Options{})
	var files []string
	for _, d := range p.Diagnostics {
		if d.Code == "conflicting-file-path" {
			files = append(files, d.File)
			if len(d.Related) != 1 {
				t.Errorf("conflict on %s has %d related locations, want 1", d.File, len(d.Related))
			}
		}
	}
	slices.Sort(files)
	if !slices.Equal(files, []string{"api/x.go", "api/x.py"}) {
		t.Errorf("route-conflict diagnostics on %q, want both files", files)
	}
	if got := ids(p); !slices.Equal(got, []string{"api/x", "api/y"}) {
		t.Errorf("functions = %q; want one api/x kept", got)
	}
}

// TestConflictsAsVercel: what vercel build 64.0.2 did with the same files.
func TestConflictsAsVercel(t *testing.T) {
	p := mustLoad(t, writeTree(t, `
-- api/x.go --
`+goHandler+`
-- api/x/index.py --
`+pyHandler+`
-- api/u/[id].go --
`+goHandler+`
-- api/u/[...slug].py --
`+pyHandler), Options{})
	var msgs []string
	for _, d := range p.Diagnostics {
		if d.Code == "conflicting-file-path" {
			msgs = append(msgs, d.File+": "+d.Message)
		}
	}
	slices.Sort(msgs)
	if len(msgs) != 2 || !strings.HasPrefix(msgs[0], "api/u/[...slug].py: ") || !strings.HasPrefix(msgs[1], "api/u/[id].go: ") ||
		!strings.Contains(msgs[1], "ignores the names and kinds of dynamic segments") {
		t.Errorf("conflict diagnostics:\n%s\nwant one on each of api/u/[id].go and api/u/[...slug].py", strings.Join(msgs, "\n"))
	}
	// api/x.go serves /api/x, api/x/index.py /api/x/index: both are kept;
	// of the conflicting pair the first by ID keeps serving in dev.
	if got := ids(p); !slices.Equal(got, []string{"api/u/[...slug]", "api/x", "api/x/index"}) {
		t.Errorf("functions = %q", got)
	}
}

// TestConflictsWithOtherFiles: Vercel compares each function with every
// file of the deployment, not only functions.
func TestConflictsWithOtherFiles(t *testing.T) {
	tree := `
-- api/users.go --
` + goHandler + `
-- api/users.json --
{}
-- api/[id].go --
` + goHandler + `
-- api/[slug]/notes.md --
notes
-- api/ok.go --
` + goHandler + `
-- api/ok_test.go --
package handler
-- api/README.md --
readme
`
	p := mustLoad(t, writeTree(t, tree), Options{})
	var got []string
	for _, d := range p.Diagnostics {
		if d.Code == "conflicting-file-path" && len(d.Related) == 1 {
			got = append(got, d.File+" ~ "+d.Related[0].File)
		}
	}
	slices.Sort(got)
	want := []string{"api/[id].go ~ api/[slug]/notes.md", "api/users.go ~ api/users.json"}
	if !slices.Equal(got, want) {
		t.Errorf("conflicts with other files = %q, want %q", got, want)
	}
	if got := ids(p); !slices.Equal(got, []string{"api/[id]", "api/ok", "api/users"}) {
		t.Errorf("functions = %q: the functions keep serving in dev", got)
	}
	// A file left out of the deployment conflicts with nothing.
	dir := writeTree(t, tree+`
-- .vercelignore --
api/users.json
api/*/notes.md
`)
	for _, d := range mustLoad(t, dir, Options{}).Diagnostics {
		if d.Code == "conflicting-file-path" {
			t.Errorf("with .vercelignore: %s: %s", d.File, d.Message)
		}
	}
}

func TestBrokenConfigStillLoads(t *testing.T) {
	p := mustLoad(t, writeTree(t, `
-- vercel.json --
{"functions": {"api/*.go": {"memory": 1}},,
-- api/a.go --
`+goHandler), Options{})
	if got := ids(p); !slices.Equal(got, []string{"api/a"}) {
		t.Errorf("functions = %q, want api/a despite the broken vercel.json", got)
	}
	if !p.HasErrors() {
		t.Errorf("want an error diagnostic for the broken vercel.json, got %q", codes(p))
	}
}

// Issue 5: a .vercelignore that is a folder does not stop the load: it is
// a warning naming it and saying what to do, and the project loads as
// without it (with .nowignore, when there is one, as for Vercel).
func TestIgnoreFileFolderStillLoads(t *testing.T) {
	dir := writeTree(t, "-- api/a.go --\n"+goHandler+"-- api/b.go --\n"+goHandler+"-- .vercelignore/notes.txt --\napi/b.go\n")
	p, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatalf("Load with a .vercelignore folder: %v", err)
	}
	if got, want := codes(p), []string{".vercelignore:0:ignore-file-folder"}; !slices.Equal(got, want) {
		t.Fatalf("diagnostics = %q, want %q", got, want)
	}
	if d := p.Diagnostics[0]; d.Severity != runtimes.SeverityWarning || !strings.Contains(d.Message, "remove the folder, or make .vercelignore a file of ignore patterns") {
		t.Errorf("diagnostic = %s, want a warning saying what to do", d)
	}
	if got := ids(p); !slices.Equal(got, []string{"api/a", "api/b"}) {
		t.Errorf("functions = %q, want both", got)
	}

	if err := os.WriteFile(filepath.Join(dir, ".nowignore"), []byte("api/b.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ids(mustLoad(t, dir, Options{})); !slices.Equal(got, []string{"api/a"}) {
		t.Errorf("functions with a .nowignore = %q, want api/b ignored", got)
	}
}

func TestOverlay(t *testing.T) {
	dir := writeTree(t, `
-- api/a.go --
`+goHandler)
	// An unsaved edit breaks the handler; an unsaved new file adds one.
	overlay := map[string][]byte{
		filepath.Join(dir, "api/a.go"): []byte("package main\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n"),
		filepath.Join(dir, "api/b.py"): []byte(pyHandler),
	}
	p := mustLoad(t, dir, Options{Overlay: overlay})
	if got := ids(p); !slices.Equal(got, []string{"api/a", "api/b"}) {
		t.Errorf("functions = %q, want the overlay-only api/b too", got)
	}
	if got := codes(p); !slices.Contains(got, "api/a.go:1:go-package-main") {
		t.Errorf("want go-package-main from the unsaved buffer, got %q", got)
	}
	// Without the overlay the disk contents rule.
	p = mustLoad(t, dir, Options{})
	if got := codes(p); slices.Contains(got, "api/a.go:1:go-package-main") {
		t.Errorf("disk load reports the overlay's problem: %q", got)
	}
}

func TestCacheReanalyzesOnlyChangedFiles(t *testing.T) {
	dir := writeTree(t, `
-- api/a.go --
`+goHandler+`
-- api/b.go --
`+goHandler+`
-- api/c.py --
`+pyHandler)
	c := NewCache()
	mustLoad(t, dir, Options{Cache: c})
	if got := c.Analyzed(); got != 3 {
		t.Fatalf("first load analyzed %d files, want 3", got)
	}
	mustLoad(t, dir, Options{Cache: c})
	if got := c.Analyzed(); got != 3 {
		t.Fatalf("unchanged reload analyzed %d more files, want 0", got-3)
	}
	overlay := map[string][]byte{filepath.Join(dir, "api/b.go"): []byte(goHandler + "\n// edited\n")}
	mustLoad(t, dir, Options{Cache: c, Overlay: overlay})
	if got := c.Analyzed(); got != 4 {
		t.Fatalf("one-file change analyzed %d files, want 1", got-3)
	}
}

func TestVersions(t *testing.T) {
	tests := []struct {
		name         string
		archive      string
		goV, pyV     string
		pySrc        string
		wantDiagCode string
	}{
		{"toolchain wins over go", "-- go.mod --\nmodule m\n\ngo 1.22\n\ntoolchain go1.23.4\n", "1.23.4", "3.12", "default", ""},
		{"go directive", "-- go.mod --\nmodule m\n\ngo 1.24\n", "1.24", "3.12", "default", ""},
		{".go-version", "-- .go-version --\n1.25.1\n", "1.25.1", "3.12", "default", ""},
		{".python-version first", "-- .python-version --\n3.11\n-- runtime.txt --\npython-3.10\n", "", "3.11", ".python-version", ""},
		{"runtime.txt", "-- runtime.txt --\npython-3.10.4\n", "", "3.10", "runtime.txt", ""},
		{"Pipfile", "-- Pipfile --\n[requires]\npython_version = \"3.13\"\n", "", "3.13", "Pipfile", ""},
		// requires-python is a constraint: the default when it allows it,
		// else the newest Lambda version it allows (Vercel's selection).
		{"pyproject requires-python", "-- pyproject.toml --\n[project]\nname = \"x\"\nrequires-python = \">=3.8\"\n", "", "3.12", "pyproject.toml", ""},
		{"requires-python below the default", "-- pyproject.toml --\n[project]\nname = \"x\"\nrequires-python = \"<3.12,>=3.9\"\n", "", "3.11", "pyproject.toml", ""},
		{"requires-python above the default", "-- pyproject.toml --\n[project]\nname = \"x\"\nrequires-python = \"~=3.13.0\"\n", "", "3.13", "pyproject.toml", ""},
		{"requires-python no Lambda version", "-- pyproject.toml --\n[project]\nname = \"x\"\nrequires-python = \"<3.9\"\n", "", "3.12", "default", "python-version-unsupported"},
		{"requires-python unreadable", "-- pyproject.toml --\n[project]\nname = \"x\"\nrequires-python = \"3.12\"\n", "", "3.12", "default", "python-version-invalid"},
		{"unsupported python", "-- .python-version --\n3.8\n", "", "3.8", ".python-version", "python-version-unsupported"},
		{"future python", "-- .python-version --\n3.15\n", "", "3.15", ".python-version", "python-version-unsupported"},
		{"go.mod newer than installed", "-- go.mod --\nmodule m\n\ngo 1.99\n", "1.99", "3.12", "default", "go-version-newer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, tt.archive), Options{})
			if tt.goV != "" && p.GoVersion.Value != tt.goV {
				t.Errorf("GoVersion = %+v, want %s", p.GoVersion, tt.goV)
			}
			if p.PythonVersion.Value != tt.pyV || p.PythonVersion.Source != tt.pySrc {
				t.Errorf("PythonVersion = %+v, want %s from %s", p.PythonVersion, tt.pyV, tt.pySrc)
			}
			var got []string
			for _, d := range p.Diagnostics {
				got = append(got, d.Code)
			}
			if tt.wantDiagCode == "" && len(got) > 0 {
				t.Errorf("unexpected diagnostics %q", got)
			}
			if tt.wantDiagCode != "" && !slices.Contains(got, tt.wantDiagCode) {
				t.Errorf("diagnostics %q, want %s", got, tt.wantDiagCode)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(context.Background(), filepath.Join(t.TempDir(), "missing"), Options{}); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := Load(context.Background(), f, Options{}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("Load of a file: err = %v, want 'not a directory'", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, writeTree(t, "-- api/a.go --\n"+goHandler), Options{}); err == nil {
		t.Error("Load with a cancelled context succeeded")
	}
}

// Every severity has a name, and diagnostics print as file:line:col.
func TestDiagnosticString(t *testing.T) {
	d := runtimes.Diagnostic{File: "api/a.go", Range: runtimes.Range{Start: runtimes.Position{Line: 3, Column: 7}}, Severity: runtimes.SeverityError, Message: "boom"}
	if got, want := d.String(), "api/a.go:3:7: error: boom"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// Issue 4: a function file named api/a\b.go is an error when the project
// loads, as "?" and "#" are, so inspect, the editor and dev report it and
// the build refuses it before building, instead of failing on its ID. With
// legacy builds, whose IDs are file paths, too.
func TestBackslashInFunctionName(t *testing.T) {
	for name, extra := range map[string]string{
		"zero-config": "",
		"legacy":      "-- vercel.json --\n{\"builds\": [{\"src\": \"api/*.go\", \"use\": \"@vercel/go\"}]}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, "-- api/a\\b.go --\n"+goHandler+"-- api/ok.go --\n"+goHandler+extra), Options{})
			var found bool
			for _, d := range p.Diagnostics {
				if d.File == `api/a\b.go` && d.Code == "invalid-path-segment" && d.Severity == runtimes.SeverityError &&
					strings.Contains(d.Message, `segment "a\b.go": a backslash cannot appear in a function's path; rename the file`) {
					found = true
				}
			}
			if !found {
				t.Errorf("diagnostics = %q, want an invalid-path-segment error on api/a\\b.go", codes(p))
			}
			for _, fn := range p.Functions {
				if strings.Contains(fn.ID, `\`) {
					t.Errorf("function %q kept", fn.ID)
				}
			}
		})
	}
}
