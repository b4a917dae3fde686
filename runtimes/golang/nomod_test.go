package golang

import (
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// A function without go.mod that imports a module from the proxy builds,
// as on Vercel: go mod tidy runs once, in a scratch module under the
// cache, never in the user's tree, and not again while the imports stay
// the same.
func TestBuildNoGoModTidy(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "nomoduuid")
	before := snapshot(t, p.dir)
	r := testRuntime()
	log := filepath.Join(t.TempDir(), "go.log")
	r.GoCommand = countingGo(t, log)
	tidies := func() int {
		data, _ := os.ReadFile(log)
		return strings.Count(string(data), "mod tidy")
	}
	cache := t.TempDir()
	build := func(step string) {
		t.Helper()
		req := buildRequest(p, "api/id.go", function("Handler"), t.TempDir(), cache)
		if _, err := r.CacheKey(t.Context(), req); err != nil {
			t.Fatalf("%s: cache key: %v", step, err)
		}
		if _, err := r.Build(t.Context(), req); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		bootstrap := filepath.Join(req.OutDir, "bootstrap")
		assertStaticELF(t, bootstrap, elf.EM_X86_64)
		if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
			if body, want := invokeBootstrap(t, bootstrap), "3dd3a2f3-7936-574c-90df-3b04ec696fff"; body != want {
				t.Errorf("%s: bootstrap answered %q, want %q", step, body, want)
			}
		}
	}

	build("first build")
	if n := tidies(); n != 1 {
		t.Fatalf("first build: go mod tidy ran %d times, want 1", n)
	}
	gomod := readFile(t, filepath.Join(cache, "go", "mod", tidiedDir(t, cache), "go.mod"))
	if !strings.Contains(gomod, "require github.com/google/uuid v") {
		t.Errorf("tidied go.mod:\n%s", gomod)
	}
	build("same imports")
	p.write(t, "api/other.go", "package handler\n\nimport u \"github.com/google/uuid\"\n\nvar _ = u.Nil\n")
	build("same imports in another file")
	if n := tidies(); n != 1 {
		t.Errorf("go mod tidy ran %d times, want 1 (the imports did not change)", n)
	}
	os.Remove(filepath.Join(p.root, "api", "other.go"))
	assertUnchanged(t, before, snapshot(t, p.dir))
}

// tidiedDir returns the one scratch module of a cache.
func tidiedDir(t *testing.T, cache string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(cache, "go", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 {
		t.Fatalf("scratch modules in the cache: %q, want one", dirs)
	}
	return dirs[0]
}

// A new tidy starts from the versions the last one chose for the folder,
// so a change of imports does not upgrade the modules already required.
func TestNoGoModTidyKeepsVersions(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "nomoduuid")
	cache := t.TempDir()
	// What an earlier tidy, of other imports, left.
	base := filepath.Join(cache, "go", "mod")
	writeTestFile(t, filepath.Join(base, "earlier", "go.mod"), "module "+virtualModulePath+"\n\ngo 1.21\n\nrequire github.com/google/uuid v1.5.0\n")
	writeTestFile(t, filepath.Join(base, "earlier", "go.sum"), "")
	writeTestFile(t, filepath.Join(base, "last-"+shortHash(filepath.Join(p.root, "api"))), "earlier")

	req := buildRequest(p, "api/id.go", function("Handler"), t.TempDir(), cache)
	if _, err := testRuntime().Build(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(base, "earlier"))
	gomod := readFile(t, filepath.Join(base, tidiedDir(t, cache), "go.mod"))
	if !strings.Contains(gomod, "github.com/google/uuid v1.5.0") {
		t.Errorf("tidied go.mod does not keep uuid v1.5.0:\n%s", gomod)
	}
	if strings.Contains(gomod, "go 1.21") {
		t.Errorf("tidied go.mod keeps the earlier go version:\n%s", gomod)
	}
}

// When go mod tidy fails, the error is at the import, says what to do, and
// the GOPROXY of the request's environment was used.
func TestNoGoModTidyError(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "nomoduuid")
	req := buildRequest(p, "api/id.go", function("Handler"), t.TempDir(), t.TempDir())
	req.Env = []string{"GOPROXY=off"}
	_, err := testRuntime().Build(t.Context(), req)
	var be *runtimes.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Build: %v, want a *runtimes.BuildError", err)
	}
	if len(be.Diagnostics) != 1 {
		t.Fatalf("diagnostics: %+v, want one", be.Diagnostics)
	}
	d := be.Diagnostics[0]
	if d.File != "api/id.go" || d.Range.Start.Line != 6 || d.Range.Start.Column != 2 || d.Code != "go-mod-tidy" {
		t.Errorf("diagnostic at %s:%d:%d (%s), want api/id.go:6:2 (go-mod-tidy)", d.File, d.Range.Start.Line, d.Range.Start.Column, d.Code)
	}
	for _, want := range []string{"GOPROXY=off", "go mod init", "go get github.com/google/uuid"} {
		if !strings.Contains(d.Message, want) {
			t.Errorf("message does not say %q:\n%s", want, d.Message)
		}
	}
	if !be.Retry {
		t.Error("a failed tidy is not marked Retry")
	}
	if entries, _ := os.ReadDir(filepath.Join(req.CacheDir, "go", "mod")); len(entries) != 0 {
		t.Errorf("a failed tidy left %d entries in the cache", len(entries))
	}
}

// Inputs never reaches the network: without a tidied go.mod in the cache
// it lists the package as it is.
func TestInputsNoGoModOffline(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "nomoduuid")
	r := testRuntime()
	log := filepath.Join(t.TempDir(), "go.log")
	r.GoCommand = countingGo(t, log)
	in, err := r.Inputs(t.Context(), runtimes.InputsRequest{Root: p.root, File: "api/id.go"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Dirs) == 0 || in.Dirs[0] != filepath.Join(p.root, "api") {
		t.Errorf("Dirs = %q", in.Dirs)
	}
	if data, _ := os.ReadFile(log); strings.Contains(string(data), "mod tidy") {
		t.Errorf("Inputs ran go mod tidy:\n%s", data)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
