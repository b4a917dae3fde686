package golang

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestResolveIncludes(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	files := map[string]string{
		"api/data/a.json":        "a",
		"api/data/b.json":        "b",
		"api/data/nested/c.json": "c",
		"api/data/skip.tmp":      "tmp",
		"api/tool.sh":            "#!/bin/sh",
		"shared/config.yaml":     "cfg",
		".vercel/output/x":       "build output",
		".git/HEAD":              "ref: refs/heads/main",
		"api/[team]/data.json":   "team",
	}
	for rel, content := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "api", "tool.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"api/data/leak.txt":   filepath.Join(outside, "secret.txt"),
		"api/data/outdir":     outside,
		"api/data/inside.txt": filepath.Join(root, "shared", "config.yaml"),
		"api/loop":            filepath.Join(root, "api"),
	}
	for rel, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(rel))); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	tests := []struct {
		name             string
		base             string
		include, exclude []string
		want             string // "dest:mode" joined by spaces
		wantErr          string
	}{
		{name: "glob relative to the function folder", base: "api", include: []string{"data/*.json"},
			want: "data/a.json:-rw-r--r-- data/b.json:-rw-r--r--"},
		{name: "directory copied recursively, links leaving the project skipped", base: "api", include: []string{"data"}, exclude: []string{"data/*.tmp"},
			want: "data/a.json:-rw-r--r-- data/b.json:-rw-r--r-- data/inside.txt:-rw-r--r-- data/nested/c.json:-rw-r--r--"},
		{name: "double star", base: "api", include: []string{"**/*.json"},
			want: "[team]/data.json:-rw-r--r-- data/a.json:-rw-r--r-- data/b.json:-rw-r--r-- data/nested/c.json:-rw-r--r--"},
		{name: "outside the function folder, inside the project", base: "api", include: []string{"../shared/*.yaml"},
			want: "shared/config.yaml:-rw-r--r--"},
		{name: "executable bit kept", base: ".", include: []string{"api/tool.sh"}, want: "api/tool.sh:-rwxr-xr-x"},
		{name: "build output never copied", base: ".", include: []string{".vercel/**"}, want: ""},
		{name: "symlink to a directory outside", base: "api", include: []string{"data/outdir/*"}, want: ""},
		{name: "escaping the project", base: "api", include: []string{"../../etc/passwd"}, wantErr: "escapes the project"},
		{name: "absolute", base: ".", include: []string{"/etc/passwd"}, wantErr: "escapes the project"},
		{name: "invalid glob", base: ".", include: []string{"data/[.json"}, wantErr: "not a valid glob"},
		{name: "a folder name with brackets is literal", base: "api/[team]", include: []string{"data.json"},
			want: "data.json:-rw-r--r--"},
		{name: "overwriting the bootstrap", base: ".", include: []string{"api/tool.sh", "bootstrap"}, want: "api/tool.sh:-rwxr-xr-x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveIncludes(root, tt.base, tt.include, tt.exclude, log)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, f := range got {
				parts = append(parts, f.dest+":"+f.mode.String())
				if !strings.HasPrefix(f.src, root) && !strings.HasPrefix(f.src, mustEval(t, root)) {
					t.Errorf("%s reads %s, outside the project", f.dest, f.src)
				}
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Errorf("got  %s\nwant %s", s, tt.want)
			}
		})
	}

	// ".." from api/ is the whole project, still without .git and .vercel.
	all, err := resolveIncludes(root, "api", []string{".."}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	var dests []string
	for _, f := range all {
		dests = append(dests, f.dest)
		if first, _, _ := strings.Cut(strings.TrimPrefix(f.dest, "./"), "/"); first == ".git" || first == ".vercel" || strings.HasPrefix(f.dest, "./") {
			t.Errorf(`includeFiles ".." from api/ copied %s`, f.dest)
		}
	}
	if !slices.Contains(dests, "shared/config.yaml") || !slices.Contains(dests, "data/a.json") {
		t.Errorf(`includeFiles ".." from api/ gave %q, want the project's files`, dests)
	}

	// A file at the root named bootstrap would overwrite the function.
	if err := os.WriteFile(filepath.Join(root, "bootstrap"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := resolveIncludes(root, ".", []string{"bootstrap"}, nil, log); err == nil || !strings.Contains(err.Error(), "overwrite") {
		t.Errorf("including bootstrap: err = %v", err)
	}
}

func TestCopyIncludes(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(src, []byte("run"), 0o700); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := copyIncludes(out, []includedFile{{src: src, dest: "bin/tool", mode: 0o755}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(out, "bin", "tool"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("mode = %v", fi.Mode())
	}
}

func mustEval(t *testing.T, p string) string {
	t.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
