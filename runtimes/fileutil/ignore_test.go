package fileutil

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRules(t *testing.T) {
	ig := NewRules(VercelDefaults, []byte("# comment\n/dist\nbuild/\n*.log\n!keep.log\ndocs/**/*.md\n"))
	tests := []struct {
		path string
		dir  bool
		want bool
	}{
		{".git", true, true},
		{"node_modules", true, true},
		{"api/node_modules", true, true},
		{"api/__pycache__", true, true},
		{".env.local", false, true},
		{".env", false, false},
		{"dist", true, true},
		{"api/dist", true, false},
		{"build", true, true},
		{"build", false, false},
		{"api/build/x.go", false, true},
		{"x.log", false, true},
		{"a/b/c.log", false, true},
		{"keep.log", false, false},
		{"docs/a/b.md", false, true},
		{"docs/a/b.txt", false, false},
		{"api/hello.go", false, false},
	}
	for _, tt := range tests {
		if got := ig.Ignored(tt.path, tt.dir); got != tt.want {
			t.Errorf("Ignored(%q, dir=%v) = %v, want %v", tt.path, tt.dir, got, tt.want)
		}
	}
}

// Cases checked against the ignore package Vercel's client uses (gitignore
// semantics): "dir/**" leaves dir itself alone, so a file inside can be
// re-included; a leading "./" is dropped.
func TestRulesLikeVercel(t *testing.T) {
	tests := []struct {
		name, file string
		path       string
		dir        bool
		want       bool
	}{
		{"dir/** keeps the folder", "api/**\n!api/hello.go\n", "api", true, false},
		{"dir/** ignores its files", "api/**\n!api/hello.go\n", "api/other.go", false, true},
		{"dir/** then a re-include", "api/**\n!api/hello.go\n", "api/hello.go", false, false},
		{"dir/** ignores deep files", "api/**\n", "api/a/b.go", false, true},
		{"a re-include of dir/** keeps the rest ignored", "*\n!api/**\n", "api", true, true},
		{"dir/**/ is for folders inside", "api/**/\n", "api", true, false},
		{"dir/**/ ignores a folder inside", "api/**/\n", "api/sub", true, true},
		{"./ prefix anchors like /", "./api/secret.go\n", "api/secret.go", false, true},
		{"./ prefix without a slash matches anywhere", "./dist\n", "a/dist", true, true},
	}
	for _, tt := range tests {
		ig := NewRules(nil, []byte(tt.file))
		if got := ig.Ignored(tt.path, tt.dir); got != tt.want {
			t.Errorf("%s: Ignored(%q, dir=%v) with %q = %v, want %v", tt.name, tt.path, tt.dir, tt.file, got, tt.want)
		}
	}
}

func TestReadIgnoreFile(t *testing.T) {
	files := map[string]string{".nowignore": "legacy"}
	read := func(name string) ([]byte, error) {
		if s, ok := files[name]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	if b, err := ReadIgnoreFile(read); err != nil || string(b) != "legacy" {
		t.Errorf("with only .nowignore: %q, %v; want its content", b, err)
	}
	files[".vercelignore"] = "current"
	if b, err := ReadIgnoreFile(read); err != nil || string(b) != "current" {
		t.Errorf("with both: %q, %v; want .vercelignore's", b, err)
	}
	clear(files)
	if b, err := ReadIgnoreFile(read); err != nil || b != nil {
		t.Errorf("with none: %q, %v; want nil", b, err)
	}
	// Issue 5: a .vercelignore that is a folder counts as absent (then
	// .nowignore is read), as for Vercel; it is not an error that stops
	// project.Load or the build.
	dirs := t.TempDir()
	if err := os.Mkdir(filepath.Join(dirs, ".vercelignore"), 0o755); err != nil {
		t.Fatal(err)
	}
	fromDisk := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dirs, name)) }
	if b, err := ReadIgnoreFile(fromDisk); err != nil || b != nil {
		t.Errorf("with a .vercelignore folder: %q, %v; want nil, nil", b, err)
	}
	if err := os.WriteFile(filepath.Join(dirs, ".nowignore"), []byte("legacy"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadIgnoreFile(fromDisk); err != nil || string(b) != "legacy" {
		t.Errorf("with a .vercelignore folder and a .nowignore: %q, %v; want .nowignore's", b, err)
	}
	broken := func(string) ([]byte, error) { return nil, fs.ErrPermission }
	if _, err := ReadIgnoreFile(broken); !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), ".vercelignore") {
		t.Errorf("unreadable: %v, want an error naming .vercelignore", err)
	}
}
