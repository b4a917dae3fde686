package golang

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// A file left out because it imports "C" (cgo is off) is named in the
// build error, beside the "undefined" it causes.
func TestBuildErrorNamesCgoFiles(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "cgo")
	_, err := startDev(t, testRuntime(), p, t.TempDir(), "api/h.go", function("Handler"))
	var be *runtimes.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("StartDev error = %v, want a *runtimes.BuildError", err)
	}
	if !strings.Contains(be.Output, "undefined: add") {
		t.Errorf("output lacks the compiler's error:\n%s", be.Output)
	}
	want := `api/cadd.go uses cgo (import "C"); lambdalens builds Go with CGO_ENABLED=0, so it is left out`
	if !strings.Contains(be.Output, want) {
		t.Errorf("output does not say why api/cadd.go is left out:\n%s", be.Output)
	}
	found := false
	for _, d := range be.Diagnostics {
		if d.File == "api/cadd.go" && d.Code == CodeCgo && d.Range.Start.Line == 4 {
			found = true
			if d.Severity != runtimes.SeverityWarning {
				t.Errorf("severity = %v, want a warning", d.Severity)
			}
		}
	}
	if !found {
		t.Errorf("no %s diagnostic at api/cadd.go:4 in %+v", CodeCgo, be.Diagnostics)
	}
}

func TestAnalyzeFunctionWarnsOfCgo(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join("testdata", "projects", "cgo.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	_, cadd, _ := strings.Cut(string(src), "-- api/cadd.go --\n")
	cadd, _, _ = strings.Cut(cadd, "-- ")
	a := AnalyzeFunction("api/cadd.go", []byte(cadd))
	found := false
	for _, d := range a.Diagnostics {
		if d.Code == CodeHelperFile {
			t.Errorf("a cgo file is not compiled with its package: %+v", d)
		}
		if d.Code == CodeCgo {
			found = true
			if d.Severity != runtimes.SeverityWarning || d.Range.Start.Line != 4 || !strings.Contains(d.Message, "CGO_ENABLED=0") {
				t.Errorf("cgo diagnostic = %+v", d)
			}
		}
	}
	if !found {
		t.Errorf("no %s diagnostic in %+v", CodeCgo, a.Diagnostics)
	}
	if a := AnalyzeFunction("api/h.go", []byte("package handler\n\nimport \"fmt\"\n\nvar _ = fmt.Sprint\n")); len(a.Diagnostics) != 1 || a.Diagnostics[0].Code != CodeHelperFile {
		t.Errorf("a file without cgo: diagnostics %+v", a.Diagnostics)
	}
}
