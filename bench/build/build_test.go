package main

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	tests := []struct {
		n, perDir, dirs int
	}{
		{30, 5, 6},
		{7, 3, 3},
		{1, 0, 1},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		fns, err := generate(dir, tt.n, tt.perDir)
		if err != nil {
			t.Fatal(err)
		}
		if len(fns) != tt.n {
			t.Fatalf("generate(%d, %d) made %d functions", tt.n, tt.perDir, len(fns))
		}
		dirs := map[string]bool{}
		handlers := map[string]bool{}
		for _, fn := range fns {
			dirs[filepath.Dir(fn.rel)] = true
			if handlers[fn.handler] {
				t.Errorf("handler %s appears twice", fn.handler)
			}
			handlers[fn.handler] = true
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, fn.rel), nil, 0)
			if err != nil {
				t.Fatalf("generated %s does not parse: %v", fn.rel, err)
			}
			if f.Name.Name != filepath.Base(filepath.Dir(fn.rel)) {
				t.Errorf("%s: package %s, want its folder's name", fn.rel, f.Name.Name)
			}
			src, _ := os.ReadFile(filepath.Join(dir, fn.rel))
			name := strings.TrimSuffix(filepath.Base(fn.rel), ".go")
			if strings.Count(string(src), `"hello from `+name) != 1 {
				t.Errorf("%s: the one-file-change marker must appear exactly once", fn.rel)
			}
		}
		if len(dirs) != tt.dirs {
			t.Errorf("generate(%d, %d) used %d folders, want %d", tt.n, tt.perDir, len(dirs), tt.dirs)
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
			t.Error(err)
		}
	}
}

func TestCachedCount(t *testing.T) {
	tests := []struct {
		out, want string
	}{
		{`{"type":"queued"}` + "\n" + `{"type":"summary","ok":true,"functions":[{"cached":true},{"cached":false},{"cached":true}]}` + "\n", "2/3"},
		{`{"type":"summary","functions":[]}`, "0/0"},
		{`{"type":"done"}`, "?"},
		{`{"type":"summary",`, "?"},
	}
	for _, tt := range tests {
		if got := cachedCount([]byte(tt.out)); got != tt.want {
			t.Errorf("cachedCount(%q) = %q, want %q", tt.out, got, tt.want)
		}
	}
}
