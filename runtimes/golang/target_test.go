package golang

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidImportPath(t *testing.T) {
	tests := map[string]bool{
		"example.com/app/api":        true,
		"example.com/app/api/v2":     true,
		"m/a_b-c~d+e":                true,
		"example.com/app/api/[id]":   false,
		"example.com/app/api/my dir": false,
		"example.com/.hidden":        false,
		"example.com/trailing.":      false,
		"example.com//double":        false,
		"example.com/-flag":          false,
		"example.com/ünïcode":        false,
	}
	for p, want := range tests {
		if got := validImportPath(p); got != want {
			t.Errorf("validImportPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestModulePath(t *testing.T) {
	tests := []struct{ gomod, want, wantErr string }{
		{gomod: "module example.com/m\n\ngo 1.22\n", want: "example.com/m"},
		{gomod: "// comment\nmodule   example.com/m // trailing\n", want: "example.com/m"},
		{gomod: "module \"example.com/quoted\"\n", want: "example.com/quoted"},
		{gomod: "go 1.22\n", wantErr: "no module directive"},
		{gomod: "module \"unterminated\n", wantErr: "invalid module path"},
	}
	for _, tt := range tests {
		got, err := modulePath([]byte(tt.gomod))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("modulePath(%q) error = %v, want %q", tt.gomod, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("modulePath(%q) = %q, %v; want %q", tt.gomod, got, err, tt.want)
		}
	}
}

func FuzzModulePath(f *testing.F) {
	f.Add([]byte("module example.com/m\n"))
	f.Add([]byte("module \"a b\"\ngo 1.22\n"))
	f.Add([]byte("module `x`"))
	f.Add([]byte("// module\nrequire x v1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := modulePath(data)
		if err == nil && p == "" {
			t.Error("empty module path without an error")
		}
	})
}

func TestLocate(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("repo/go.mod", "module example.com/repo\n")
	write("repo/web/api/x.go", "package handler\n")
	write("repo/web/api/[id]/index.go", "package handler\n")
	write("loose/api/x.go", "package handler\n")

	tests := []struct {
		root, file          string
		modDir, pkgImport   string
		virtual, relocated  bool
		genImportHasModPath bool
	}{
		{root: "repo/web", file: "api/x.go", modDir: "repo", pkgImport: "example.com/repo/web/api"},
		{root: "repo/web", file: "api/[id]/index.go", modDir: "repo", relocated: true},
		{root: "loose", file: "api/x.go", modDir: "loose/api", pkgImport: virtualModulePath, virtual: true},
	}
	for _, tt := range tests {
		tg, err := locate(filepath.Join(dir, tt.root), tt.file)
		if err != nil {
			t.Fatalf("locate(%s): %v", tt.file, err)
		}
		if want := filepath.Join(dir, filepath.FromSlash(tt.modDir)); tg.modDir != want {
			t.Errorf("%s: modDir = %s, want %s", tt.file, tg.modDir, want)
		}
		if tg.virtualMod != tt.virtual || tg.relocated != tt.relocated {
			t.Errorf("%s: virtual=%v relocated=%v", tt.file, tg.virtualMod, tg.relocated)
		}
		if tt.pkgImport != "" && tg.pkgImport != tt.pkgImport {
			t.Errorf("%s: pkgImport = %s, want %s", tt.file, tg.pkgImport, tt.pkgImport)
		}
		if !validImportPath(tg.pkgImport) || !validImportPath(tg.genImport) {
			t.Errorf("%s: invalid import paths %s, %s", tt.file, tg.pkgImport, tg.genImport)
		}
	}
	for _, bad := range []string{"", "../x.go", "/etc/x.go"} {
		if _, err := locate(filepath.Join(dir, "repo"), bad); err == nil {
			t.Errorf("locate(%q) succeeded", bad)
		}
	}
	if _, err := locate("relative", "x.go"); err == nil {
		t.Error("locate with a relative root succeeded")
	}
}

func TestHandlerFuncs(t *testing.T) {
	src := `package handler

import (
	h "net/http"
	"net/http"
)

func Handler(w http.ResponseWriter, r *http.Request) {}
func Other(w h.ResponseWriter, r *h.Request)         {}
func Pair(w http.ResponseWriter, r, x *http.Request) {}
func lower(w http.ResponseWriter, r *http.Request)   {}
func (s S) Method(w http.ResponseWriter, r *http.Request) {}
func Value(w http.ResponseWriter, r http.Request)    {}
func Generic[T any](w http.ResponseWriter, r *http.Request) {}
`
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fd := range handlerFuncs(f) {
		names = append(names, fd.Name.Name)
	}
	if got := strings.Join(names, ","); got != "Handler,Other" {
		t.Errorf("handlerFuncs = %s, want Handler,Other", got)
	}
}

func TestSlugAndSafeNames(t *testing.T) {
	if got := slug("api/[id].go"); got != "api__id__go" {
		t.Errorf("slug = %q", got)
	}
	if got := "Handler_" + slug("api/a.go"); got != "Handler_api_a_go" {
		t.Errorf("renamed = %q", got)
	}
	for name, want := range map[string]bool{"[id].go": false, "-x.go": false, "@x.go": false, "index.go": true, "_x.go": true, "é.go": true} {
		if SafeFileName(name) != want {
			t.Errorf("SafeFileName(%q) = %v", name, !want)
		}
	}
}
