package lambdaloop

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// notEmbedded are the package's non-test files that are not runtime files.
var notEmbedded = []string{"sources.go", "doc.go"}

// exportedAPI is everything a runtime file may export.
var exportedAPI = []string{"Start", "StartChild"}

func TestSourcesListsEveryRuntimeFile(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !slices.Contains(notEmbedded, n) {
			want = append(want, n)
		}
	}
	src := Sources()
	var got []string
	for n := range src {
		got = append(got, n)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Sources() has %q, the package has runtime files %q: update the //go:embed list in sources.go", got, want)
	}
	for n, b := range src {
		disk, err := os.ReadFile(n)
		if err != nil || !bytes.Equal(disk, b) {
			t.Errorf("%s: embedded content differs from the file (%v)", n, err)
		}
	}
	if Version == "" {
		t.Error("Version is empty")
	}
	src["loop.go"] = nil
	if len(Sources()["loop.go"]) == 0 {
		t.Error("Sources returns a shared map")
	}
}

// TestSourcesFitAGeneratedMain checks the Architecture Invariant: the runtime
// files can be copied into a package main next to a generated main.go.
func TestSourcesFitAGeneratedMain(t *testing.T) {
	fset := token.NewFileSet()
	for name, content := range Sources() {
		f, err := parser.ParseFile(fset, name, content, parser.ParseComments)
		if err != nil {
			t.Fatalf("parsing %s: %v", name, err)
		}
		if f.Name.Name != "lambdaloop" {
			t.Errorf("%s: package %s", name, f.Name.Name)
		}
		if f.Doc != nil {
			t.Errorf("%s: has a package comment; keep it in doc.go, which is not copied", name)
		}
		if !bytes.Contains(content, []byte("\npackage lambdaloop\n")) && !bytes.HasPrefix(content, []byte("package lambdaloop\n")) {
			t.Errorf("%s: no line reading exactly \"package lambdaloop\" for the generator to rewrite", name)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(p, "/")
			if strings.Contains(first, ".") || p == "C" {
				t.Errorf("%s imports %q, which is not in the standard library", name, p)
			}
			if imp.Name != nil && (imp.Name.Name == "." || imp.Name.Name == "_") {
				t.Errorf("%s: dot or blank import of %q", name, p)
			}
		}
		for _, d := range f.Decls {
			for _, id := range declaredNames(d) {
				switch {
				case id == "init" || id == "main":
					t.Errorf("%s declares %s", name, id)
				case ast.IsExported(id):
					if !slices.Contains(exportedAPI, id) {
						t.Errorf("%s exports %s; the runtime's API is only %v", name, id, exportedAPI)
					}
				case !strings.HasPrefix(id, "ll"):
					t.Errorf("%s: package-level %s lacks the \"ll\" prefix", name, id)
				}
			}
		}
	}
}

// declaredNames lists the package-level names a declaration introduces.
func declaredNames(d ast.Decl) []string {
	var out []string
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			out = append(out, d.Name.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				out = append(out, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if n.Name != "_" {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	return out
}
