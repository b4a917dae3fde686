package golang

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestCacheKey(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "samemodule")
	p.write(t, "api/data/message.txt", "v1")
	r := testRuntime()
	req := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), t.TempDir())
	req.IncludeFiles = []string{"data/*.txt"}
	key := func() string {
		t.Helper()
		k, err := r.CacheKey(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key()
	if key() != base {
		t.Fatal("two keys of the same sources differ")
	}
	// Steps run in order; each says whether the key must change.
	steps := []struct {
		name    string
		edit    func()
		changes bool
	}{
		{"unrelated README", func() { p.write(t, "README.md", "docs") }, false},
		{"package outside the closure", func() {
			p.write(t, "internal/other/other.go", "package other\n\nfunc Unused() { println() }\n")
		}, false},
		{"test file beside the handler", func() { p.write(t, "api/hello_test.go", "package handler\n") }, false},
		{"imported package", func() {
			p.write(t, "internal/greet/greet.go", "package greet\n\nfunc Text() string { return \"changed\" }\n")
		}, true},
		{"helper file beside the handler", func() { p.write(t, "api/helper.go", "package handler\n\nconst x = 1\n") }, true},
		{"go.mod", func() { p.write(t, "go.mod", "module example.com/app\n\ngo 1.23\n") }, true},
		{"included file", func() { p.write(t, "api/data/message.txt", "v2") }, true},
		{"architecture", func() { req.Arch = "arm64" }, true},
		{"GOFLAGS", func() { req.Env = []string{"GOFLAGS=-tags=extra"} }, true},
	}
	prev := base
	for _, s := range steps {
		s.edit()
		k := key()
		if changed := k != prev; changed != s.changes {
			t.Errorf("after changing the %s: key changed = %v, want %v", s.name, changed, s.changes)
		}
		prev = k
	}
}

func TestCacheKeyServer(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "server")
	req := buildRequest(p, "main.go", runtimes.Entrypoint{Language: runtimes.Go, Kind: runtimes.KindServer}, t.TempDir(), t.TempDir())
	k1, err := testRuntime().CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, "main.go", strings.Replace(readFile(t, filepath.Join(p.root, "main.go")), "hello from", "hi from", 1))
	k2, err := testRuntime().CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 {
		t.Error("the server's key did not change with its source")
	}
}

func TestInputs(t *testing.T) {
	requireGo(t)
	t.Parallel()
	tests := []struct {
		fixture, file       string
		wantDirs, notDirs   []string
		wantFiles, notFiles []string
		wantTrees           []string // AnyTrees, exactly
	}{
		{
			fixture: "samemodule", file: "api/hello.go",
			wantDirs: []string{"api", "internal/greet"}, notDirs: []string{"internal/other"},
			wantFiles: []string{"go.mod", "api/go.mod"},
			notFiles:  []string{"api/default.pgo"}, // the wrapper is the main package
		},
		{
			fixture: "server", file: "main.go",
			wantDirs:  []string{"."},
			wantFiles: []string{"go.mod", "default.pgo"},
		},
		{
			fixture: "replace", file: "api/hello.go",
			wantDirs:  []string{"api", "lib"},
			wantFiles: []string{"go.mod", "lib/go.mod", "vendor/modules.txt"},
		},
		{
			fixture: "gowork", file: "app/api/hello.go",
			wantDirs:  []string{"app/api", "shared"},
			wantFiles: []string{"go.work", "app/go.mod", "shared/go.mod"},
		},
		{
			// go build reads vendor/: an edit of a vendored package
			// must rebuild (CacheKey hashes it too).
			fixture: "vendored", file: "api/hello.go",
			wantDirs:  []string{"api", "vendor/example.com/greet"},
			wantFiles: []string{"go.mod", "vendor/modules.txt"},
		},
		{
			fixture: "thirdparty", file: "api/hello.go",
			wantDirs:  []string{"api"},
			wantFiles: []string{"go.mod", "go.sum"},
		},
		{
			fixture: "brackets", file: "api/posts/[slug]/index.go",
			wantDirs:  []string{"api/posts/[slug]"},
			wantTrees: []string{"api/posts/[slug]/tmpl/sub/prefix.txt"},
		},
		{
			fixture: "embed", file: "api/hello.go",
			wantDirs:  []string{"api"},
			wantFiles: []string{"api/tmpl/index.html", "api/static/site.css"},
			wantTrees: []string{"api/static", "api/tmpl"},
		},
		{
			fixture: "nomod", file: "api/hello.go",
			wantDirs:  []string{"api"},
			wantFiles: []string{"api/go.mod", "go.mod"},
			notFiles:  []string{"../go.mod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			p := loadProject(t, tt.fixture)
			before := snapshot(t, p.dir)
			in, err := testRuntime().Inputs(t.Context(), runtimes.InputsRequest{Root: p.root, File: tt.file})
			if err != nil {
				t.Fatal(err)
			}
			abs := func(rel string) string { return filepath.Join(p.root, filepath.FromSlash(rel)) }
			for _, d := range tt.wantDirs {
				if !slices.Contains(in.Dirs, abs(d)) {
					t.Errorf("Dirs lack %s: %v", d, in.Dirs)
				}
			}
			for _, d := range tt.notDirs {
				if slices.Contains(in.Dirs, abs(d)) {
					t.Errorf("Dirs contain %s: %v", d, in.Dirs)
				}
			}
			for _, d := range in.Dirs {
				if !strings.HasPrefix(d, p.dir) {
					t.Errorf("Dirs contain %s, outside the project (GOROOT or module cache?)", d)
				}
			}
			for _, f := range tt.wantFiles {
				if !slices.Contains(in.Files, abs(f)) {
					t.Errorf("Files lack %s: %v", f, in.Files)
				}
			}
			for _, f := range tt.notFiles {
				if slices.Contains(in.Files, abs(f)) {
					t.Errorf("Files contain %s: %v", f, in.Files)
				}
			}
			if !slices.Equal(in.Exts, []string{".go"}) {
				t.Errorf("Exts = %v", in.Exts)
			}
			var trees []string
			for _, d := range tt.wantTrees {
				trees = append(trees, abs(d))
			}
			if !slices.Equal(in.AnyTrees, trees) {
				t.Errorf("AnyTrees = %v, want %v", in.AnyTrees, trees)
			}
			assertUnchanged(t, before, snapshot(t, p.dir))
		})
	}
}

// Inputs reads the entry through the FileReader, so an import added in an
// unsaved editor buffer already counts.
func TestInputsReadsThroughFileReader(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "hello")
	p.write(t, "lib/extra/extra.go", "package extra\n\nfunc X() {}\n")
	entry := filepath.Join(p.root, "api", "hello.go")
	buffer := "package handler\n\nimport (\n\t\"net/http\"\n\n\t\"example.com/app/lib/extra\"\n)\n\n" +
		"func Handler(w http.ResponseWriter, r *http.Request) { extra.X() }\n"
	read := func(path string) ([]byte, error) {
		if path == entry {
			return []byte(buffer), nil
		}
		return nil, nil
	}
	in, err := testRuntime().Inputs(t.Context(), runtimes.InputsRequest{Root: p.root, File: "api/hello.go", Read: read})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(p.root, "lib", "extra"); !slices.Contains(in.Dirs, want) {
		t.Errorf("Dirs lack %s: %v", want, in.Dirs)
	}

	// A new file that exists only in the editor.
	entry = filepath.Join(p.root, "api", "new.go")
	in, err = testRuntime().Inputs(t.Context(), runtimes.InputsRequest{Root: p.root, File: "api/new.go", Read: read})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(p.root, "lib", "extra"); !slices.Contains(in.Dirs, want) {
		t.Errorf("unsaved file: Dirs lack %s: %v", want, in.Dirs)
	}
}

// Editing a vendored copy changes what is compiled, so it changes the key.
func TestCacheKeyVendored(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "vendored")
	req := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), t.TempDir())
	k1, err := testRuntime().CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	p.write(t, "vendor/example.com/greet/greet.go", "package greet\n\nfunc Text() string { return \"patched\" }\n")
	k2, err := testRuntime().CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 {
		t.Error("the key did not change with a vendored file")
	}
}
