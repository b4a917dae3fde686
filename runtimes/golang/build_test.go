package golang

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

func buildRequest(p testProject, file string, ep runtimes.Entrypoint, out, cache string) runtimes.BuildRequest {
	return runtimes.BuildRequest{
		Root: p.root, File: file, Entrypoint: ep, Arch: "x86_64", OutDir: out, CacheDir: cache,
		Logger: testRuntime().Logger,
	}
}

// assertStaticELF checks that path is a statically linked linux binary for
// machine.
func assertStaticELF(t *testing.T, path string, machine elf.Machine) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: machine %v, want %v", filepath.Base(path), f.Machine, machine)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("%s: has %v: not a static binary", filepath.Base(path), prog.Type)
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, want 0755", filepath.Base(path), fi.Mode().Perm())
	}
}

func TestBuildFunction(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "samemodule")
	p.write(t, "api/data/message.txt", "included")
	before := snapshot(t, p.dir)
	out := t.TempDir()
	req := buildRequest(p, "api/hello.go", function("Handler"), out, t.TempDir())
	req.IncludeFiles = []string{"data/*.txt"}
	art, err := testRuntime().Build(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := runtimes.Artifact{Handler: "bootstrap", Runtime: "provided.al2023", RuntimeLanguage: "go",
		Architecture: "x86_64", Environment: map[string]string{}, SupportsWrapper: true}
	if art.Handler != want.Handler || art.Runtime != want.Runtime || art.RuntimeLanguage != want.RuntimeLanguage ||
		art.Architecture != want.Architecture || art.Environment == nil || len(art.Environment) != 0 || !art.SupportsWrapper {
		t.Errorf("artifact = %+v, want %+v", *art, want)
	}
	assertStaticELF(t, filepath.Join(out, "bootstrap"), elf.EM_X86_64)
	// includeFiles are relative to the function's folder.
	if b, err := os.ReadFile(filepath.Join(out, "data", "message.txt")); err != nil || string(b) != "included" {
		t.Errorf("included file: %q, %v", b, err)
	}
	assertUnchanged(t, before, snapshot(t, p.dir))

	if runtime.GOOS == "linux" && runtime.GOARCH == "amd64" {
		body := invokeBootstrap(t, filepath.Join(out, "bootstrap"))
		if body != "hello from internal/greet" {
			t.Errorf("bootstrap answered %q", body)
		}
	}
}

func TestBuildServer(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "server")
	out := t.TempDir()
	req := buildRequest(p, "main.go", runtimes.Entrypoint{Language: runtimes.Go, Kind: runtimes.KindServer, Package: "main"}, out, t.TempDir())
	req.Arch = "arm64"
	req.IncludeFiles = []string{"data/**"}
	art, err := testRuntime().Build(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if art.Handler != "bootstrap" || art.Architecture != "arm64" {
		t.Errorf("artifact = %+v", *art)
	}
	assertStaticELF(t, filepath.Join(out, "bootstrap"), elf.EM_AARCH64)
	assertStaticELF(t, filepath.Join(out, "user-server"), elf.EM_AARCH64)
	// includeFiles of a server are relative to the project root.
	if _, err := os.Stat(filepath.Join(out, "data", "config.json")); err != nil {
		t.Error(err)
	}
}

// Two checkouts of the same sources in different directories give
// byte-identical bootstraps and equal cache keys.
func TestBuildReproducible(t *testing.T) {
	requireGo(t)
	t.Parallel()
	for _, file := range []string{"api/posts/[slug]/index.go", "api/users/[id].go"} {
		var bins [][]byte
		var keys []string
		for range 2 {
			p := loadProject(t, "brackets")
			req := buildRequest(p, file, function("Handler"), t.TempDir(), t.TempDir())
			key, err := testRuntime().CacheKey(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, key)
			if _, err := testRuntime().Build(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(req.OutDir, "bootstrap"))
			if err != nil {
				t.Fatal(err)
			}
			bins = append(bins, b)
		}
		if !bytes.Equal(bins[0], bins[1]) {
			t.Errorf("%s: bootstraps of two checkouts differ", file)
		}
		if keys[0] != keys[1] {
			t.Errorf("%s: cache keys of two checkouts differ: %s != %s", file, keys[0], keys[1])
		}
	}
}

// A go.work replace with a folder beside the project: the build goes
// through a copy of go.work (its go.work.sum stays out of the user's
// tree), and still gives the same bootstrap in two checkouts, since the
// replacement's path, recorded in the binary, is relative.
func TestBuildReproducibleWithAWorkspaceReplace(t *testing.T) {
	requireGo(t)
	t.Parallel()
	var bins [][]byte
	for range 2 {
		p := loadProject(t, "goworkreplace")
		p.root = filepath.Join(p.root, "proj")
		req := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), "")
		if _, err := testRuntime().Build(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(req.OutDir, "bootstrap"))
		if err != nil {
			t.Fatal(err)
		}
		bins = append(bins, b)
		if _, err := os.Stat(filepath.Join(p.root, "go.work.sum")); err == nil {
			t.Error("the build wrote go.work.sum into the user's tree")
		}
	}
	if !bytes.Equal(bins[0], bins[1]) {
		t.Error("bootstraps of two checkouts differ")
	}
	if !bytes.Contains(bins[0], []byte("=>\t../")) {
		t.Error("the bootstrap's build information does not hold a relative replacement")
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	p := loadProject(t, "hello")
	tests := []struct {
		name    string
		edit    func(*runtimes.BuildRequest)
		wantErr string
	}{
		{"include escaping the project", func(r *runtimes.BuildRequest) { r.IncludeFiles = []string{"../../secret"} }, "escapes the project"},
		{"absolute include", func(r *runtimes.BuildRequest) { r.IncludeFiles = []string{"/etc/passwd"} }, "escapes the project"},
		{"toolexec", func(r *runtimes.BuildRequest) { r.Env = []string{"GOFLAGS=-toolexec=/bin/true"} }, "-toolexec"},
		{"unknown arch", func(r *runtimes.BuildRequest) { r.Arch = "mips" }, "unsupported architecture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), t.TempDir())
			tt.edit(&req)
			_, err := testRuntime().Build(t.Context(), req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Build error = %v, want %q", err, tt.wantErr)
			}
			_, err = testRuntime().CacheKey(t.Context(), req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CacheKey error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// invokeBootstrap runs a built bootstrap against a fake Lambda Runtime API
// with one API Gateway v2 event and returns the response body it posted.
func invokeBootstrap(t *testing.T, bootstrap string) string {
	t.Helper()
	event := `{"version":"2.0","routeKey":"$default","rawPath":"/api/hello","rawQueryString":"",
		"headers":{"host":"example.com"},"requestContext":{"http":{"method":"GET","path":"/api/hello","sourceIp":"1.2.3.4"}},
		"isBase64Encoded":false}`
	var mu sync.Mutex
	var served bool
	posted := make(chan []byte, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if served {
			http.Error(w, "no more events", http.StatusGone)
			return
		}
		served = true
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", "9999999999999")
		io.WriteString(w, event)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case posted <- b:
		default:
		}
		w.WriteHeader(http.StatusAccepted)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bootstrap)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(srv.URL, "http://"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
	}()
	select {
	case b := <-posted:
		var resp struct {
			StatusCode int    `json:"statusCode"`
			Body       string `json:"body"`
		}
		if err := json.Unmarshal(b, &resp); err != nil {
			t.Fatalf("response %s: %v", b, err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("status %d", resp.StatusCode)
		}
		return resp.Body
	case <-ctx.Done():
		t.Fatalf("no response posted: %v\nstderr: %s", errors.Unwrap(ctx.Err()), stderr.String())
	}
	return ""
}
