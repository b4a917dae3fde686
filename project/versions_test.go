package project

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// A go.mod the go command refuses is an error at load, where inspect, the
// language server and dev show it, not only when a build fails.
func TestGoModProblems(t *testing.T) {
	tests := []struct {
		name, gomod string
		want        []string // file:line:col:code
	}{
		{"empty", "", []string{"go.mod:1:1:go-mod-no-module"}},
		{"only go", "go 1.26\n", []string{"go.mod:1:1:go-mod-no-module"}},
		{"only a comment", "// nothing\n", []string{"go.mod:1:1:go-mod-no-module"}},
		// Each syntax error at its own line, not all at 1:1.
		{"bad require", "module m\n\ngo 1.26\n\nrequire example.com/x\n", []string{"go.mod:5:1:go-mod-syntax"}},
		{"two bad lines", "module m\n\ngo 1.26\nrequire example.com/x\nreplace a\n", []string{"go.mod:4:1:go-mod-syntax", "go.mod:5:1:go-mod-syntax"}},
		{"scanner error", "module m\n\ngo 1.26 \"x\n", []string{"go.mod:3:11:go-mod-syntax"}}, // where modfile (and go) reports it
		{"fine", "module m\n\ngo 1.26\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, "-- go.mod --\n"+tt.gomod+"-- api/a.go --\n"+goHandler), Options{})
			var got []string
			for _, d := range p.Diagnostics {
				if d.File != "go.mod" || d.Code == "go-version-newer" {
					continue
				}
				got = append(got, d.File+":"+strconv.Itoa(d.Range.Start.Line)+":"+strconv.Itoa(d.Range.Start.Column)+":"+d.Code)
				if d.Code == "go-mod-no-module" && !strings.Contains(d.Message, `"module example.com/app"`) {
					t.Errorf("message %q does not say what to add", d.Message)
				}
				if d.Code == "go-mod-syntax" && strings.Contains(d.Message, "go.mod:") {
					t.Errorf("message %q repeats the position", d.Message)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("go.mod diagnostics = %q, want %q", got, tt.want)
			}
		})
	}
}

// A pyproject.toml or Pipfile that is not TOML is an error at the place
// the parser stopped, even when the Python version comes from elsewhere:
// the Python runtime reads dependencies from it.
func TestTOMLSyntax(t *testing.T) {
	tests := []struct {
		name, archive string
		want          []string // file:line:col:code
	}{
		{"pyproject", "-- pyproject.toml --\n[project\ndependencies=[\"requests\"]\n", []string{"pyproject.toml:1:9:toml-syntax"}},
		{"pyproject and .python-version", "-- .python-version --\n3.12\n-- pyproject.toml --\n[project]\nname = \"x\"\ndependencies = [\"requests\"\n", []string{"pyproject.toml:3:27:toml-syntax"}},
		{"Pipfile", "-- Pipfile --\n[packages]\nrequests = \"*\"\nflask = \n", []string{"Pipfile:3:9:toml-syntax"}},
		{"byte order mark", "-- pyproject.toml --\n\xef\xbb\xbf[project]\nname = x\n", []string{"pyproject.toml:2:8:toml-syntax"}},
		{"fine", "-- pyproject.toml --\n[project]\ndependencies = [\"requests\"]\n-- Pipfile --\n[packages]\nrequests = \"*\"\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, tt.archive+"-- api/hello.py --\n"+pyHandler), Options{})
			var got []string
			for _, d := range p.Diagnostics {
				got = append(got, d.File+":"+strconv.Itoa(d.Range.Start.Line)+":"+strconv.Itoa(d.Range.Start.Column)+":"+d.Code)
				if d.Severity != runtimes.SeverityError {
					t.Errorf("%s: severity %v, want error", d, d.Severity)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("diagnostics = %q, want %q", got, tt.want)
			}
		})
	}
}

// Without Python functions, a broken pyproject.toml (a Go project's tool
// settings) is a warning: it breaks no build of the project.
func TestTOMLSyntaxWithoutPython(t *testing.T) {
	p := mustLoad(t, writeTree(t, "-- pyproject.toml --\n[tool.black\nline-length = 100\n-- go.mod --\nmodule m\n\ngo 1.26\n-- api/a.go --\n"+goHandler), Options{})
	var found bool
	for _, d := range p.Diagnostics {
		if d.Code == "toml-syntax" {
			found = true
			if d.Severity != runtimes.SeverityWarning || !strings.Contains(d.Message, "a Python function would read") {
				t.Errorf("%s: want a warning", d)
			}
		}
	}
	if !found || p.HasErrors() {
		t.Errorf("diagnostics %v: want one toml-syntax warning and no error", p.Diagnostics)
	}
}
