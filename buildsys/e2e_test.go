package buildsys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// These tests build real projects with the real Go runtime (the go command
// on PATH, the user's GOCACHE) and run the result under the real Lambda
// Runtime Interface Emulator.

// extract writes testdata/e2e/<name>.txtar into a new directory.
func extract(t *testing.T, name string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "e2e", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(f.Name)), string(f.Data))
	}
	return dir
}

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIPPING: end-to-end builds run the go command; not in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("SKIPPING: no go command on PATH")
	}
}

func goRuntime() map[runtimes.Language]runtimes.Runtime {
	return map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{}}
}

func readJSON(t *testing.T, file string, v any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func TestEndToEndGo(t *testing.T) {
	needGo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := extract(t, "hello")
	before := snapshot(t, dir)
	opts := Options{Dir: dir, Runtimes: goRuntime(), Zip: true}

	sum, err := Run(ctx, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	out := filepath.Join(dir, ".vercel", "output")
	for _, f := range sum.Functions {
		if f.Cached {
			t.Errorf("%s: cached on the first build", f.ID)
		}
	}

	// config.json carries the loader's route table as is.
	p, err := project.Load(ctx, dir, project.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Version int             `json:"version"`
		Routes  json.RawMessage `json:"routes"`
	}
	readJSON(t, filepath.Join(out, configFile), &cfg)
	wantRoutes, _ := json.Marshal(p.Routes)
	var gotRoutes bytes.Buffer
	if err := json.Compact(&gotRoutes, cfg.Routes); err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 3 || gotRoutes.String() != string(wantRoutes) {
		t.Errorf("config.json: version %d, routes\n%s\nwant\n%s", cfg.Version, gotRoutes.String(), wantRoutes)
	}

	// .vc-config.json: the runtime's artifact merged with vercel.json.
	var hello, user vcConfig
	readJSON(t, filepath.Join(out, "functions", "api", "hello.func", vcConfigFile), &hello)
	readJSON(t, filepath.Join(out, "functions", "api", "users", "[id].func", vcConfigFile), &user)
	if hello.Handler != "bootstrap" || hello.Runtime != "provided.al2023" || hello.Architecture != "x86_64" ||
		hello.Memory != 0 || hello.MaxDuration != nil || !hello.SupportsWrapper {
		t.Errorf("hello .vc-config.json = %+v", hello)
	}
	if user.Memory != 512 || user.MaxDuration != float64(10) {
		t.Errorf("users/[id] .vc-config.json = %+v, want memory 512 and maxDuration 10 from vercel.json", user)
	}
	for _, f := range []string{"functions/api/users/[id].func/data/users.txt", "static/index.html", "functions/api/hello.zip"} {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(f))); err != nil {
			t.Errorf("output lacks %s: %v", f, err)
		}
	}
	zip1, err := os.ReadFile(filepath.Join(out, "functions", "api", "hello.zip"))
	if err != nil {
		t.Fatal(err)
	}

	// A second build with no change compiles nothing.
	sum, err = Run(ctx, opts)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	for _, f := range sum.Functions {
		if !f.Cached {
			t.Errorf("%s: not cached on the second build", f.ID)
		}
	}
	zip2, err := os.ReadFile(filepath.Join(out, "functions", "api", "hello.zip"))
	if err != nil || !bytes.Equal(zip1, zip2) {
		t.Errorf("the cached build's zip differs from the first (%v)", err)
	}

	// A fresh checkout elsewhere gives the same zip, byte for byte.
	other := extract(t, "hello")
	if _, err := Run(ctx, Options{Dir: other, Runtimes: goRuntime(), Zip: true, Only: "api/hello"}); err != nil {
		t.Fatalf("Run in a second checkout: %v", err)
	}
	zip3, err := os.ReadFile(filepath.Join(other, ".vercel", "output", "functions", "api", "hello.zip"))
	if err != nil || !bytes.Equal(zip1, zip3) {
		t.Errorf("two checkouts of the same source gave different zips (%v)", err)
	}

	// The build wrote only under .vercel.
	after := snapshot(t, dir)
	for name, v := range after {
		if !strings.HasPrefix(name, ".vercel/") && before[name] != v {
			t.Errorf("the build changed the user's %s", name)
		}
	}

	// The functions run under the real Lambda emulator.
	tests := []struct {
		fn, path, want string
	}{
		{"api/hello", "/api/hello?name=lens", "hello lens"},
		{"api/users/[id]", "/api/users/7?id=7", "user 7 of 3 users\n"},
	}
	for _, tt := range tests {
		t.Run(tt.fn, func(t *testing.T) {
			em := lambdatest.Start(t, filepath.Join(out, "functions", filepath.FromSlash(tt.fn)+".func"), []string{"bootstrap"}, nil)
			raw, err := em.Invoke(ctx, lambdatest.VercelEvent("GET", tt.path, nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := lambdatest.DecodeResponse(lambdatest.EventVercel, raw)
			if err != nil {
				t.Fatalf("decoding %s: %v", raw, err)
			}
			if resp.Status != 200 || string(resp.Body) != tt.want {
				t.Errorf("GET %s = %d %q, want 200 %q", tt.path, resp.Status, resp.Body, tt.want)
			}
		})
	}
}

func TestEndToEndGoCompileErrors(t *testing.T) {
	needGo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := extract(t, "broken")
	sum, err := Run(ctx, Options{Dir: dir, Runtimes: goRuntime()})
	var failure *Failure
	if !errors.As(err, &failure) {
		t.Fatalf("Run error = %v, want *Failure", err)
	}
	if len(failure.Errors) != 2 {
		t.Errorf("%d failed functions, want 2:\n%v", len(failure.Errors), err)
	}
	for _, want := range []string{"api/a/index.go:6:2: error: undefined: undefinedThing", "api/b/index.go:6:6: error: declared and not used: unused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if sum.Functions[2].ID != "api/ok" || sum.Functions[2].Err != nil {
		t.Errorf("api/ok = %+v, want built", sum.Functions[2])
	}
	if _, err := os.Stat(filepath.Join(dir, ".vercel", "output")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed build wrote .vercel/output (%v)", err)
	}
}

func TestEndToEndGoServer(t *testing.T) {
	needGo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := extract(t, "server")
	sum, err := Run(ctx, Options{Dir: dir, Runtimes: goRuntime()})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(sum.Functions) != 1 {
		t.Fatalf("functions = %+v, want the one server", sum.Functions)
	}
	funcDir := sum.Functions[0].Dir
	var vc vcConfig
	readJSON(t, filepath.Join(funcDir, vcConfigFile), &vc)
	if vc.Handler != "bootstrap" || vc.Runtime != "provided.al2023" {
		t.Errorf(".vc-config.json = %+v", vc)
	}
	for _, name := range []string{"bootstrap", "user-server"} {
		if st, err := os.Stat(filepath.Join(funcDir, name)); err != nil || st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s: %v, want an executable", name, err)
		}
	}
	em := lambdatest.Start(t, funcDir, []string{"bootstrap"}, nil)
	raw, err := em.Invoke(ctx, lambdatest.VercelEvent("GET", "/hi/lens", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := lambdatest.DecodeResponse(lambdatest.EventVercel, raw)
	if err != nil || resp.Status != 200 || string(resp.Body) != "hi lens from the server" {
		t.Errorf("GET /hi/lens = %d %q (%v)", resp.Status, resp.Body, err)
	}
}
