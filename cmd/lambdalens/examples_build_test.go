package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// End-to-end tests of `lambdalens build` on every example: each example is
// copied into a temporary directory, built with the CLI in process (the
// real go toolchain, python3 and pip), and its functions are run under the
// real AWS Lambda Runtime Interface Emulator. Go functions run their own
// bootstrap; Python functions run under awslambdaric, the managed runtime's
// bootstrap, from PyPI.
//
// Python artifacts are built for the host's python3 (a .python-version
// written into the copy): the emulator runs the function with the host's
// interpreter (awslambdaric in a venv of python3), while a bundle made for
// the project default (3.12) would declare python3.12 and could vendor
// extension modules for an ABI the host's interpreter cannot import.

// buildExample copies an example, builds it with extra flags and returns
// the copy's root and its output directory. It checks that the build left
// every source file as it was. Python examples get a .python-version with
// the host's version (see above).
func buildExample(t *testing.T, name string, python bool, flags ...string) (root, out string) {
	t.Helper()
	var pyVersion string
	if python {
		pyVersion = lambdatest.HostPython(t)
	}
	root = copyExample(t, name, name, pyVersion)
	before := treeHashes(t, root)
	runCLI(t, append([]string{"build", root}, flags...)...)
	checkTreeUnchanged(t, root, before)
	return root, filepath.Join(root, ".vercel", "output")
}

// TestExamplesBuildGoAPI builds examples/go-api with --zip and runs each
// function from its unzipped zip (what would be uploaded to Lambda) with
// every event shape.
func TestExamplesBuildGoAPI(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	_, out := buildExample(t, "go-api", false, "--zip")

	routes := outputRoutes(t, out)
	for path, want := range map[string]string{
		"/api/users/42":  "/api/users/[id]?id=42",
		"/api/docs/a/b":  "/api/docs/[...slug]?slug=a/b",
		"/api/docs/a":    "/api/docs/[...slug]?slug=a",
		"/api/users/4/x": "",
	} {
		if got := rewriteTarget(routes, path); got != want {
			t.Errorf("config.json routes %s to %q, want %q\nroutes: %+v", path, got, want, routes)
		}
	}

	ua := map[string][]string{"User-Agent": {"lambdalens-examples-test"}}
	type call struct {
		method, path string
		status       int
		ctype, body  string
	}
	for _, fn := range []struct {
		id    string
		calls []call
	}{
		{"api/hello", []call{
			{"GET", "/api/hello?name=Ada", 200, "application/json; charset=utf-8", `{"message":"Hello, Ada!"}` + "\n"},
			{"GET", "/api/hello", 200, "application/json; charset=utf-8", `{"message":"Hello, world!"}` + "\n"},
		}},
		// The dynamic route adds ?id= (config.json above); the event
		// carries the query the route produced.
		{"api/users/[id]", []call{
			{"GET", "/api/users/42?id=42", 200, "text/plain; charset=utf-8", "user 42: Hello, user 42!\n"},
			{"GET", "/api/users/0?id=0", 404, "text/plain; charset=utf-8", "no user 0\n"},
		}},
		{"api/docs/[...slug]", []call{
			{"GET", "/api/docs/a/b?slug=a/b", 200, "text/plain; charset=utf-8", `docs page "a > b" (2 segments)` + "\n"},
		}},
	} {
		t.Run(fn.id, func(t *testing.T) {
			dir := outFuncDir(out, fn.id)
			vc := readVCConfig(t, dir)
			if vc.Handler != "bootstrap" || vc.Runtime != "provided.al2023" || vc.RuntimeLanguage != "go" ||
				vc.Architecture != "x86_64" || vc.Memory != 0 || vc.MaxDuration != nil {
				t.Errorf(".vc-config.json = %+v, want bootstrap on provided.al2023 (go), x86_64, and no memory or maxDuration (vercel.json sets none)", vc)
			}

			// The zip holds exactly the .func files but .vc-config.json,
			// byte for byte; run what was unzipped.
			unzipped, names := unzipArtifact(t, filepath.Join(out, "functions", filepath.FromSlash(fn.id)+".zip"))
			if !slices.Equal(names, []string{"bootstrap"}) {
				t.Errorf("zip entries = %q, want just bootstrap", names)
			}
			if !bytes.Equal(mustRead(t, filepath.Join(unzipped, "bootstrap")), mustRead(t, filepath.Join(dir, "bootstrap"))) {
				t.Errorf("the zip's bootstrap differs from the .func's")
			}
			em := startEmulated(t, unzipped, vc)
			for _, c := range fn.calls {
				for _, kind := range lambdatest.EventKinds {
					res, _ := invokeHTTP(t, em, kind, c.method, c.path, ua, nil)
					if res.Status != c.status || string(res.Body) != c.body || res.Headers.Get("Content-Type") != c.ctype {
						t.Errorf("%s %s %s = %d %q (Content-Type %q), want %d %q (%q)",
							kind, c.method, c.path, res.Status, res.Body, res.Headers.Get("Content-Type"), c.status, c.body, c.ctype)
					}
				}
			}
		})
	}
}

// TestExamplesBuildGoServer builds the standalone server of
// examples/go-server and serves JSON and a binary echo through its Lambda
// bootstrap.
func TestExamplesBuildGoServer(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	_, out := buildExample(t, "go-server", false)
	dir := outFuncDir(out, "index")
	vc := readVCConfig(t, dir)
	if vc.Handler != "bootstrap" || vc.Runtime != "provided.al2023" || vc.Architecture != "x86_64" {
		t.Errorf(".vc-config.json = %+v, want bootstrap on provided.al2023, x86_64", vc)
	}
	if routes := outputRoutes(t, out); rewriteTarget(routes, "/api/health") != "/index" {
		t.Errorf("config.json does not send /api/health to the server: %+v", routes)
	}
	em := startEmulated(t, dir, vc)

	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	octets := map[string][]string{"Content-Type": {"application/octet-stream"}}
	for _, kind := range lambdatest.EventKinds {
		res, _ := invokeHTTP(t, em, kind, "GET", "/api/health", nil, nil)
		var health struct{ Status string }
		if err := json.Unmarshal(res.Body, &health); res.Status != 200 || err != nil || health.Status != "ok" ||
			res.Headers.Get("Content-Type") != "application/json" {
			t.Errorf("%s GET /api/health = %d %q (Content-Type %q, %v), want 200 {\"status\":\"ok\"}",
				kind, res.Status, res.Body, res.Headers.Get("Content-Type"), err)
		}

		// The events carry the body as base64; so must the answer, or
		// the bytes that are not UTF-8 would not survive.
		res, raw := invokeHTTP(t, em, kind, "POST", "/api/echo", octets, binary)
		if res.Status != 200 || !bytes.Equal(res.Body, binary) {
			t.Errorf("%s POST /api/echo = %d, %d bytes %q, want the 256 bytes back", kind, res.Status, len(res.Body), res.Body)
		}
		if ct := res.Headers.Get("Content-Type"); ct != "application/octet-stream" {
			t.Errorf("%s POST /api/echo Content-Type = %q", kind, ct)
		}
		var flags struct {
			Encoding        string `json:"encoding"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		if err := json.Unmarshal(raw, &flags); err != nil || (kind == lambdatest.EventVercel && flags.Encoding != "base64") ||
			(kind != lambdatest.EventVercel && !flags.IsBase64Encoded) {
			t.Errorf("%s POST /api/echo: the answer's body is not marked base64: %.300s", kind, raw)
		}
	}
}

// TestExamplesBuildMixed builds examples/mixed (Go, Python, static files
// and a vercel.json) and runs both functions.
func TestExamplesBuildMixed(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	root, out := buildExample(t, "mixed", true)
	py := lambdatest.HostPython(t)

	hello := readVCConfig(t, outFuncDir(out, "api/hello"))
	if hello.Handler != "bootstrap" || hello.Runtime != "provided.al2023" || hello.Memory != 256 || hello.MaxDuration != nil {
		t.Errorf("api/hello .vc-config.json = %+v, want memory 256 from vercel.json and no maxDuration (it sets none)", hello)
	}
	stats := readVCConfig(t, outFuncDir(out, "api/stats"))
	if stats.Handler != "vc__handler__python.vc_handler" || stats.Runtime != "python"+py || stats.Memory != 512 ||
		stats.MaxDuration != float64(10) || stats.Architecture != "x86_64" {
		t.Errorf("api/stats .vc-config.json = %+v, want vc__handler__python.vc_handler on python%s, memory 512, maxDuration 10", stats, py)
	}

	routes := outputRoutes(t, out)
	if got := rewriteTarget(routes, "/hello/Ada"); got != "/api/hello?name=Ada" {
		t.Errorf("config.json rewrites /hello/Ada to %q, want /api/hello?name=Ada\nroutes: %+v", got, routes)
	}
	redirect, _, ok := matchRoute(routes, "/old-home", func(r outputRoute) bool { return r.Headers["Location"] != "" })
	if !ok || redirect.Status != 308 || redirect.Headers["Location"] != "/" {
		t.Errorf("config.json redirect of /old-home = %+v (found %v), want 308 to /", redirect, ok)
	}
	header, _, ok := matchRoute(routes, "/any/page", func(r outputRoute) bool { return r.Headers["X-Frame-Options"] != "" })
	if !ok || header.Headers["X-Frame-Options"] != "DENY" || !header.Continue {
		t.Errorf("config.json header rule for /any/page = %+v (found %v), want X-Frame-Options: DENY and continue", header, ok)
	}
	for _, name := range []string{"index.html", "404.html", "style.css"} {
		if !bytes.Equal(mustRead(t, filepath.Join(out, "static", name)), mustRead(t, filepath.Join(root, "public", name))) {
			t.Errorf("static/%s differs from public/%s", name, name)
		}
	}

	t.Run("api/hello", func(t *testing.T) {
		em := startEmulated(t, outFuncDir(out, "api/hello"), hello)
		for _, kind := range lambdatest.EventKinds {
			// The path the rewrite of /hello/Ada produces.
			res, _ := invokeHTTP(t, em, kind, "GET", "/api/hello?name=Ada", nil, nil)
			if res.Status != 200 || string(res.Body) != "Hello from Go, Ada!\n" {
				t.Errorf("%s GET /api/hello?name=Ada = %d %q", kind, res.Status, res.Body)
			}
		}
	})
	t.Run("api/stats", func(t *testing.T) {
		em := startEmulated(t, outFuncDir(out, "api/stats"), stats)
		for _, kind := range lambdatest.EventKinds {
			res, _ := invokeHTTP(t, em, kind, "GET", "/api/stats?v=1&v=5", nil, nil)
			var got struct {
				Mean *float64 `json:"mean"`
				N    int      `json:"n"`
			}
			if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 || got.Mean == nil || *got.Mean != 3 || got.N != 2 {
				t.Errorf("%s GET /api/stats?v=1&v=5 = %d %q (%v), want {\"mean\": 3.0, \"n\": 2}", kind, res.Status, res.Body, err)
			}
			if ct := res.Headers.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s GET /api/stats Content-Type = %q", kind, ct)
			}
		}
	})
}

// TestExamplesBuildPythonBasic builds the two dependency-free functions of
// examples/python-basic and runs both.
func TestExamplesBuildPythonBasic(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	_, out := buildExample(t, "python-basic", true)

	t.Run("api/hello", func(t *testing.T) {
		dir := outFuncDir(out, "api/hello")
		em := startEmulated(t, dir, readVCConfig(t, dir))
		body := []byte("twelve bytes")
		for _, kind := range lambdatest.EventKinds {
			res, _ := invokeHTTP(t, em, kind, "GET", "/api/hello?name=Ada", nil, nil)
			if res.Status != 200 || string(res.Body) != `{"message": "Hello, Ada!"}` {
				t.Errorf("%s GET /api/hello?name=Ada = %d %q", kind, res.Status, res.Body)
			}
			res, _ = invokeHTTP(t, em, kind, "POST", "/api/hello", map[string][]string{"Content-Type": {"text/plain"}}, body)
			if res.Status != 200 || string(res.Body) != `{"length": 12}` {
				t.Errorf("%s POST /api/hello (12 bytes) = %d %q, want {\"length\": 12}", kind, res.Status, res.Body)
			}
		}
	})
	t.Run("api/time", func(t *testing.T) {
		dir := outFuncDir(out, "api/time")
		em := startEmulated(t, dir, readVCConfig(t, dir))
		for _, kind := range lambdatest.EventKinds {
			res, _ := invokeHTTP(t, em, kind, "GET", "/api/time", nil, nil)
			at, err := time.Parse(time.RFC3339Nano, string(res.Body))
			if res.Status != 200 || err != nil || time.Since(at).Abs() > time.Hour {
				t.Errorf("%s GET /api/time = %d %q (%v), want the current UTC time", kind, res.Status, res.Body, err)
			}
			if ct := res.Headers.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("%s GET /api/time Content-Type = %q", kind, ct)
			}
		}
	})
}

// frameworkFlags build a framework example with its dependencies cached
// between runs (in the user cache directory, like the runtimes/python
// tests) and without the build cache, so that the runtime does build it.
func frameworkFlags(t *testing.T) []string {
	t.Helper()
	return []string{"--cache-dir", lambdatest.CacheDir(t, "examples-build-cache"), "--no-cache"}
}

// TestExamplesBuildPythonFastAPI builds the root FastAPI app of
// examples/python-fastapi (dependencies from PyPI) and runs it.
func TestExamplesBuildPythonFastAPI(t *testing.T) {
	needToolchains(t)
	lambdatest.RequirePyPI(t)
	t.Parallel()
	_, out := buildExample(t, "python-fastapi", true, frameworkFlags(t)...)
	if got := rewriteTarget(outputRoutes(t, out), "/api/items/3"); got != "/fastapi" {
		t.Errorf("config.json routes /api/items/3 to %q, want the root app /fastapi", got)
	}
	dir := outFuncDir(out, "fastapi")
	vc := readVCConfig(t, dir)
	if vc.Handler != "vc__handler__python.vc_handler" || vc.Runtime != "python"+lambdatest.HostPython(t) {
		t.Errorf(".vc-config.json = %+v", vc)
	}
	em := startEmulated(t, dir, vc)
	for _, kind := range lambdatest.EventKinds {
		for _, c := range []struct {
			method, path, body, want string
		}{
			{"GET", "/", "", `{"message":"Hello from FastAPI!"}`},
			{"GET", "/api/items/3?q=x", "", `{"item_id":3,"q":"x"}`},
			{"POST", "/api/echo", `{"a":[1,"b"]}`, `{"received":{"a":[1,"b"]}}`},
		} {
			var headers map[string][]string
			if c.body != "" {
				headers = map[string][]string{"Content-Type": {"application/json"}}
			}
			res, _ := invokeHTTP(t, em, kind, c.method, c.path, headers, []byte(c.body))
			if res.Status != 200 || string(res.Body) != c.want || res.Headers.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s %s = %d %q (Content-Type %q), want 200 %s", kind, c.method, c.path, res.Status, res.Body, res.Headers.Get("Content-Type"), c.want)
			}
		}
	}
}

// TestExamplesBuildPythonFlask builds the Flask function of
// examples/python-flask (dependencies from PyPI) and runs it with a path
// the vercel.json rewrite sends to it.
func TestExamplesBuildPythonFlask(t *testing.T) {
	needToolchains(t)
	lambdatest.RequirePyPI(t)
	t.Parallel()
	_, out := buildExample(t, "python-flask", true, frameworkFlags(t)...)
	if got := rewriteTarget(outputRoutes(t, out), "/api/users/7"); got != "/api/index" {
		t.Errorf("config.json rewrites /api/users/7 to %q, want /api/index", got)
	}
	dir := outFuncDir(out, "api/index")
	em := startEmulated(t, dir, readVCConfig(t, dir))
	for _, kind := range lambdatest.EventKinds {
		// After a rewrite the function still sees the original path.
		res, _ := invokeHTTP(t, em, kind, "GET", "/api/users/7?name=Ada", nil, nil)
		var got struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 || got.ID != 7 || got.Name != "Ada" {
			t.Errorf("%s GET /api/users/7?name=Ada = %d %q (%v), want {\"id\":7,\"name\":\"Ada\"}", kind, res.Status, res.Body, err)
		}
	}
}

// TestExamplesBuildReproducible builds examples/go-api from two copies in
// different directories, each with its own build cache, and compares the
// bootstraps and zips byte for byte. SOURCE_DATE_EPOCH is unset, so the
// zips use the fixed default timestamp.
func TestExamplesBuildReproducible(t *testing.T) {
	needToolchains(t)
	if _, set := os.LookupEnv("SOURCE_DATE_EPOCH"); set {
		// Unset it for this test only; t.Setenv restores it and rules
		// out t.Parallel, as the environment is the process's.
		t.Setenv("SOURCE_DATE_EPOCH", "")
		os.Unsetenv("SOURCE_DATE_EPOCH")
	} else {
		t.Parallel()
	}
	var outs [2]string
	for i, as := range []string{"go-api", "elsewhere"} {
		root := copyExample(t, "go-api", as, "")
		b := parseBuildJSON(t, runCLI(t, "build", root, "--zip", "--json"))
		for _, e := range b.final {
			if e.Type != "done" { // each copy has its own, empty build cache
				t.Fatalf("build of copy %d: %s ended %q, want a fresh build", i+1, e.Function, e.Type)
			}
		}
		outs[i] = filepath.Join(root, ".vercel", "output")
	}
	for _, id := range []string{"api/docs/[...slug]", "api/hello", "api/users/[id]"} {
		for _, file := range []string{
			filepath.Join("functions", filepath.FromSlash(id)+".func", "bootstrap"),
			filepath.Join("functions", filepath.FromSlash(id)+".zip"),
		} {
			a, b := mustRead(t, filepath.Join(outs[0], file)), mustRead(t, filepath.Join(outs[1], file))
			if !bytes.Equal(a, b) {
				t.Errorf("%s differs between the two checkouts (%d and %d bytes)", file, len(a), len(b))
			}
		}
		_, names := unzipArtifact(t, filepath.Join(outs[0], "functions", filepath.FromSlash(id)+".zip"))
		if len(names) == 0 {
			t.Errorf("%s.zip is empty", id)
		}
	}
	checkZipTimes(t, filepath.Join(outs[0], "functions", "api", "hello.zip"), time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC))
}

// TestExamplesBuildCached builds examples/mixed (a Go and a Python
// function) twice with --json and checks that the second build restored
// every function from the build cache, with the same files.
func TestExamplesBuildCached(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	root := copyExample(t, "mixed", "mixed", lambdatest.HostPython(t))
	out := filepath.Join(root, ".vercel", "output")
	ids := []string{"api/hello", "api/stats"}

	first := parseBuildJSON(t, runCLI(t, "build", root, "--json"))
	bootstrap := mustRead(t, filepath.Join(outFuncDir(out, "api/hello"), "bootstrap"))
	second := parseBuildJSON(t, runCLI(t, "build", root, "--json"))

	for i, b := range []buildJSON{first, second} {
		wantStage, wantCached := "done", false
		if i == 1 {
			wantStage, wantCached = "cached", true
		}
		if !slices.Equal(b.finalIDs(), ids) {
			t.Errorf("build %d: final events for %q, want one each for %q", i+1, b.finalIDs(), ids)
		}
		for _, e := range b.final {
			if e.Type != wantStage {
				t.Errorf("build %d: %s ended %q, want %q", i+1, e.Function, e.Type, wantStage)
			}
		}
		if !b.summary.OK || len(b.summary.Functions) != len(ids) {
			t.Fatalf("build %d: summary %+v, want ok with %d functions", i+1, b.summary, len(ids))
		}
		for _, f := range b.summary.Functions {
			if f.Cached != wantCached {
				t.Errorf("build %d: summary says %s cached=%v, want %v", i+1, f.Function, f.Cached, wantCached)
			}
		}
	}
	if !bytes.Equal(bootstrap, mustRead(t, filepath.Join(outFuncDir(out, "api/hello"), "bootstrap"))) {
		t.Errorf("the cached build's api/hello bootstrap differs from the first build's")
	}
	// What the cache restored runs.
	vc := readVCConfig(t, outFuncDir(out, "api/stats"))
	em := startEmulated(t, outFuncDir(out, "api/stats"), vc)
	if res, _ := invokeHTTP(t, em, lambdatest.EventVercel, "GET", "/api/stats?v=2", nil, nil); res.Status != 200 || !strings.Contains(string(res.Body), `"mean": 2.0`) {
		t.Errorf("cached api/stats: GET /api/stats?v=2 = %d %q", res.Status, res.Body)
	}
}

// TestExamplesBuildTamperedOutput builds examples/mixed, appends to an
// output file, and builds again: the output files are hard links into the
// build cache, so the write changed the cache entry, and the second build
// used to restore the changed file. It must rebuild that function instead.
func TestExamplesBuildTamperedOutput(t *testing.T) {
	needToolchains(t)
	t.Parallel()
	root := copyExample(t, "mixed", "mixed", lambdatest.HostPython(t))
	out := filepath.Join(root, ".vercel", "output")
	stats := filepath.Join(outFuncDir(out, "api/stats"), "api", "stats.py")

	// The second build restores every function from the cache, as in the
	// report: its output files are links to the cache's.
	runCLI(t, "build", root, "--json")
	runCLI(t, "build", root, "--json")
	original := mustRead(t, stats)
	if st, err := os.Stat(stats); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm()&0o222 != 0) {
		t.Errorf("%s: %v, %v; want a read-only file", stats, st, err)
	}
	// `echo >>` as a user who lifts the read-only mode first (root need
	// not); the mode is put back, so only the size and time tell.
	st, err := os.Stat(stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(stats, st.Mode().Perm()|0o200); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(stats, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("# tampered\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(stats, st.Mode().Perm()); err != nil {
		t.Fatal(err)
	}

	// Two builds: the first rebuilds api/stats (and replaces its entry),
	// the second restores the replaced entry.
	for i, want := range []map[string]string{
		{"api/hello": "cached", "api/stats": "done"},
		{"api/hello": "cached", "api/stats": "cached"},
	} {
		b := parseBuildJSON(t, runCLI(t, "build", root, "--json"))
		for _, e := range b.final {
			if e.Type != want[e.Function] {
				t.Errorf("build %d after the write: %s ended %q, want %q", i+1, e.Function, e.Type, want[e.Function])
			}
		}
		if got := mustRead(t, stats); !bytes.Equal(got, original) {
			t.Errorf("build %d after the write: stats.py ends %q, want the original", i+1, got[max(0, len(got)-20):])
		}
	}
}
