package python

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// echoed is what testdata/build/stdlib/api/_lib/echo.py describes.
type echoed struct {
	Kind     string              `json:"kind"`
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	Query    map[string][]string `json:"query"`
	Host     string              `json:"host"`
	Cookie   string              `json:"cookie"`
	Multi    string              `json:"multi"`
	Remote   string              `json:"remote"`
	BodyLen  int                 `json:"body_len"`
	Startups int                 `json:"startups"`
	State    int                 `json:"state"`
}

// TestLambdaStdlibApps builds the three standard-library functions of
// testdata/build/stdlib (a BaseHTTPRequestHandler class, a raw WSGI app, a
// raw ASGI app with lifespan) and serves every event shape under the real
// Lambda emulator with the real awslambdaric bootstrap.
func TestLambdaStdlibApps(t *testing.T) {
	root := copyTestdata(t, "stdlib")
	rt := &Runtime{}
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	for _, fn := range []struct {
		file, name string
		ep         runtimes.Entrypoint
	}{
		{"api/handler_fn.py", "handler", runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "handler", AppKind: runtimes.AppHandler}},
		{"api/wsgi_fn.py", "wsgi", runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI}},
		// No analysis hints: the adapter decides at run time.
		{"api/asgi_fn.py", "asgi", runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction}},
	} {
		t.Run(fn.name, func(t *testing.T) {
			dir, art := mustBuild(t, rt, buildSpec{root: root, file: fn.file, ep: fn.ep})
			em := startFunction(t, dir, art)
			route := "/" + strings.TrimSuffix(fn.file, ".py")
			for _, kind := range lambdatest.EventKinds {
				t.Run(string(kind), func(t *testing.T) {
					res := invokeHTTP(t, em, kind, "GET", route+"?name=x&multi=a&multi=b", map[string][]string{
						"Cookie":          {"a=1; b=2"},
						"X-Forwarded-For": {"198.51.100.9"},
						"X-Multi":         {"a", "b"},
						"Host":            {"fn.example.com"},
					}, nil)
					if res.Status != 200 {
						t.Fatalf("GET: status %d, body %q", res.Status, res.Body)
					}
					var got echoed
					if err := json.Unmarshal(res.Body, &got); err != nil {
						t.Fatalf("GET: %v: %q", err, res.Body)
					}
					want := echoed{Kind: fn.name + "-sibling-ok", Method: "GET", Path: route,
						Query: map[string][]string{"name": {"x"}, "multi": {"a", "b"}}, Host: "fn.example.com",
						Cookie: "a=1; b=2", Multi: "a,b", Remote: "198.51.100.9"}
					if fn.name == "asgi" {
						want.Startups, want.State = 1, 1 // lifespan ran once, not per request
					}
					if !equalJSON(got, want) {
						t.Errorf("GET echoed\n got %+v\nwant %+v", got, want)
					}
					if ct := res.Headers.Get("Content-Type"); ct != "application/json" {
						t.Errorf("GET Content-Type = %q", ct)
					}
					wantCookies := []string{"s1=1; Path=/", "s2=two; Path=/; HttpOnly"}
					if !slices.Equal(res.Cookies, wantCookies) {
						t.Errorf("GET cookies = %q, want %q", res.Cookies, wantCookies)
					}

					res = invokeHTTP(t, em, kind, "POST", route+"/bin", map[string][]string{"Content-Type": {"application/octet-stream"}}, binary)
					if res.Status != 200 || !bytes.Equal(res.Body, binary) {
						t.Errorf("POST binary: status %d, body %d bytes %q, want the 256 bytes sent back", res.Status, len(res.Body), res.Body)
					}

					if res := invokeHTTP(t, em, kind, "GET", route+"/missing", nil, nil); res.Status != 404 || string(res.Body) != "not here" {
						t.Errorf("GET missing: status %d body %q, want 404 %q", res.Status, res.Body, "not here")
					}
					// An exception in the app is answered with a 500; the
					// runtime keeps serving.
					if res := invokeHTTP(t, em, kind, "GET", route+"/boom", nil, nil); res.Status != 500 {
						t.Errorf("GET boom: status %d body %q, want 500", res.Status, res.Body)
					}
					// ... and so is one that cuts the response's body short.
					if res := invokeHTTP(t, em, kind, "GET", route+"/partial", nil, nil); res.Status != 500 {
						t.Errorf("GET partial: status %d body %q, want 500", res.Status, res.Body)
					}
					// An exception after the app completed its response
					// is logged; the response stands, as a server would
					// have sent it already.
					if res := invokeHTTP(t, em, kind, "GET", route+"/late", nil, nil); res.Status != 201 || string(res.Body) != "created" {
						t.Errorf("GET late: status %d body %q, want 201 %q", res.Status, res.Body, "created")
					}
				})
			}
			// An event of no known shape is a function error.
			raw, err := em.Invoke(context.Background(), []byte(`{"hello":"world"}`))
			if err != nil {
				t.Fatal(err)
			}
			if typ := functionErrorType(raw); typ != "InvalidEvent" {
				t.Errorf("unknown event: got %s, want an InvalidEvent function error", raw)
			}
			logs := em.WaitLogs(10*time.Second, "boom from the", "late failure from the")
			if !strings.Contains(logs, "boom from the") {
				t.Errorf("the app's exception was not logged:\n%s", logs)
			}
			if !strings.Contains(logs, "late failure from the") {
				t.Errorf("the exception after the response was not logged:\n%s", logs)
			}
		})
	}
}

// TestLambdaImportError runs a function whose entrypoint fails to import.
// awslambdaric reports only "Unable to import module
// 'vc__handler__python': No module named ...", with no traceback; the
// adapter's log line must name the user's file and line.
func TestLambdaImportError(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"api/broken.py": "import os\nimport lambdalens_no_such_module\n\n\ndef app(environ, start_response):\n    pass\n",
	})
	dir, art := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/broken.py",
		ep: runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI}})
	em := startFunction(t, dir, art)
	raw, err := em.Invoke(context.Background(), lambdatest.Event(lambdatest.EventVercel, "GET", "/api/broken", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if typ := functionErrorType(raw); typ != "Runtime.ImportModuleError" {
		t.Errorf("got %s, want a Runtime.ImportModuleError function error", raw)
	}
	wants := []string{
		"lambdalens: importing api/broken.py failed:",
		`api/broken.py", line 2`,
		"No module named 'lambdalens_no_such_module'",
	}
	logs := em.WaitLogs(10*time.Second, wants...)
	for _, want := range wants {
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}
}

func equalJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// TestLambdaFrameworks builds a FastAPI root app and a Flask function of
// one project with a requirements.txt (installed from PyPI for Linux
// x86_64 and the host's Python) and serves them under the emulator. The
// dependency cache persists in the user cache directory between runs.
func TestLambdaFrameworks(t *testing.T) {
	lambdatest.RequirePyPI(t)
	root := copyTestdata(t, "frameworks")
	rt := &Runtime{}
	cache := lambdatest.CacheDir(t, "python-build-cache")

	t.Run("fastapi", func(t *testing.T) {
		dir, art := mustBuild(t, rt, buildSpec{root: root, file: "main.py", cacheDir: cache,
			ep: runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindApp, Symbol: "app", AppKind: runtimes.AppASGI, Framework: "fastapi"}})
		if _, err := os.Stat(filepath.Join(dir, vendorDir, "fastapi")); err != nil {
			t.Fatalf("fastapi is not vendored: %v", err)
		}
		em := startFunction(t, dir, art)
		for _, kind := range lambdatest.EventKinds {
			res := invokeHTTP(t, em, kind, "GET", "/items/42?q=hi", map[string][]string{"Cookie": {"a=1"}, "X-Real-Ip": {"192.0.2.5"}}, nil)
			var got struct {
				Item     int    `json:"item"`
				Q        string `json:"q"`
				Greeting string `json:"greeting"`
				Startups int    `json:"startups"`
				Client   string `json:"client"`
				Cookie   string `json:"cookie"`
			}
			if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 {
				t.Fatalf("%s GET: status %d: %v: %q", kind, res.Status, err, res.Body)
			}
			if got.Item != 42 || got.Q != "hi" || got.Greeting != "hello" || got.Startups != 1 || got.Cookie != "1" {
				t.Errorf("%s GET: got %+v", kind, got)
			}
			if len(res.Cookies) != 2 || !strings.HasPrefix(res.Cookies[0], "seen=1") || !strings.HasPrefix(res.Cookies[1], "item=42") {
				t.Errorf("%s GET cookies = %q", kind, res.Cookies)
			}
			body := []byte{0, 1, 2, 0xff, 0xfe, 'x'}
			if res := invokeHTTP(t, em, kind, "POST", "/echo", map[string][]string{"Content-Type": {"application/octet-stream"}}, body); res.Status != 200 || !bytes.Equal(res.Body, body) {
				t.Errorf("%s POST: status %d body %q", kind, res.Status, res.Body)
			}
			if res := invokeHTTP(t, em, kind, "GET", "/nope", nil, nil); res.Status != 404 {
				t.Errorf("%s GET /nope: status %d", kind, res.Status)
			}
			if res := invokeHTTP(t, em, kind, "GET", "/boom", nil, nil); res.Status != 500 {
				t.Errorf("%s GET /boom: status %d", kind, res.Status)
			}
		}
	})

	t.Run("flask", func(t *testing.T) {
		dir, art := mustBuild(t, rt, buildSpec{root: root, file: "api/flask_fn.py", cacheDir: cache,
			ep: runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI, Framework: "flask"}})
		em := startFunction(t, dir, art)
		for _, kind := range lambdatest.EventKinds {
			res := invokeHTTP(t, em, kind, "GET", "/api/flask_fn?name=x", map[string][]string{"Cookie": {"a=1"}, "X-Forwarded-For": {"192.0.2.9"}}, nil)
			var got struct{ Name, Remote, Cookie string }
			if err := json.Unmarshal(res.Body, &got); err != nil || res.Status != 200 {
				t.Fatalf("%s GET: status %d: %v: %q", kind, res.Status, err, res.Body)
			}
			if got.Name != "x" || got.Remote != "192.0.2.9" || got.Cookie != "1" {
				t.Errorf("%s GET: got %+v", kind, got)
			}
			if len(res.Cookies) != 2 {
				t.Errorf("%s GET cookies = %q", kind, res.Cookies)
			}
			body := []byte{0xff, 0, 'y'}
			if res := invokeHTTP(t, em, kind, "POST", "/api/flask_fn", map[string][]string{"Content-Type": {"application/octet-stream"}}, body); !bytes.Equal(res.Body, body) {
				t.Errorf("%s POST: status %d body %q", kind, res.Status, res.Body)
			}
			// The client's transfer-encoding may be in the event; the body
			// in it is whole all the same.
			if res := invokeHTTP(t, em, kind, "POST", "/api/flask_fn", map[string][]string{"Content-Type": {"application/octet-stream"}, "Transfer-Encoding": {"chunked"}}, body); !bytes.Equal(res.Body, body) {
				t.Errorf("%s POST with transfer-encoding: status %d body %q", kind, res.Status, res.Body)
			}
			if res := invokeHTTP(t, em, kind, "GET", "/api/flask_fn/nope", nil, nil); res.Status != 404 {
				t.Errorf("%s GET nope: status %d", kind, res.Status)
			}
		}
	})
}

// TestBuildInstallsForTargetPlatform builds a project that needs a binary
// wheel (pydantic-core) for arm64 on this (x86_64) machine and checks the
// vendored extension module is an aarch64 ELF file, with pip and, when it
// can be installed, with uv.
func TestBuildInstallsForTargetPlatform(t *testing.T) {
	lambdatest.RequirePyPI(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "pydantic-core==2.27.2\n",
		"api/index.py":     "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'']\n",
	})
	installers := testInstallers(t)
	for name, env := range installers {
		t.Run(name, func(t *testing.T) {
			dir, art := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", arch: "arm64", env: env})
			if art.Architecture != "arm64" {
				t.Errorf("architecture = %q", art.Architecture)
			}
			sos := findFiles(t, filepath.Join(dir, vendorDir), ".so")
			if len(sos) == 0 {
				t.Fatalf("no extension module vendored: %v", findFiles(t, dir, ""))
			}
			for _, so := range sos {
				f, err := elf.Open(so)
				if err != nil {
					t.Fatalf("%s: %v", so, err)
				}
				if f.Machine != elf.EM_AARCH64 {
					t.Errorf("%s is for %s, want EM_AARCH64", so, f.Machine)
				}
				f.Close()
			}
		})
	}
}

// TestBuildMissingWheel: a package that publishes no wheel for the target
// fails the build with an error naming the package and the target.
func TestBuildMissingWheel(t *testing.T) {
	lambdatest.RequirePyPI(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "docopt==0.6.2\n", // a source distribution only
		"api/index.py":     "app = None\n",
	})
	for name, env := range testInstallers(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			_, err := (&Runtime{}).Build(ctx, runtimes.BuildRequest{Root: root, File: "api/index.py", Arch: "x86_64",
				OutDir: t.TempDir(), PythonVersion: "3.12", CacheDir: t.TempDir(), Env: env})
			var be *runtimes.BuildError
			if !errors.As(err, &be) || !errors.Is(err, errNoWheel) {
				t.Fatalf("got %v, want a BuildError wrapping errNoWheel", err)
			}
			for _, want := range []string{"docopt==0.6.2", "CPython 3.12", "manylinux_2_34_x86_64"} {
				if !strings.Contains(be.Err.Error(), want) {
					t.Errorf("error %q does not mention %q", be.Err, want)
				}
			}
		})
	}
}

// TestBuildUVLockFrozen: with a uv.lock the install is exactly the locked
// versions, even when pyproject.toml would now resolve to newer ones, with
// uv (uv export --frozen) and with pip (the lock as constraints).
func TestBuildUVLockFrozen(t *testing.T) {
	lambdatest.RequirePyPI(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"pyproject.toml": "[project]\nname = \"frozen\"\nversion = \"0\"\nrequires-python = \">=3.9\"\ndependencies = [\"six\"]\n",
		"uv.lock": `version = 1
requires-python = ">=3.9"

[[package]]
name = "frozen"
version = "0"
source = { virtual = "." }
dependencies = [{ name = "six" }]

[package.metadata]
requires-dist = [{ name = "six" }]

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/71/39/171f1c67cd00715f190ba0b100d606d440a28c93c7714febeca8b79af85e/six-1.16.0.tar.gz", hash = "sha256:1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926", size = 34041 }
wheels = [
    { url = "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl", hash = "sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254", size = 11053 },
]
`,
		"api/index.py": "app = None\n",
	})
	installers := testInstallers(t)
	for name, env := range installers {
		t.Run(name, func(t *testing.T) {
			dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
			if _, err := os.Stat(filepath.Join(dir, vendorDir, "six-1.16.0.dist-info")); err != nil {
				t.Errorf("six 1.16.0 (the locked version) is not vendored: %v; have %v", err, findFiles(t, filepath.Join(dir, vendorDir), ".dist-info"))
			}
		})
	}
}

// TestBuildPylockFrozen: with a pylock.toml (and no uv.lock) the install
// is exactly the locked set, markers evaluated for the Lambda target: six
// at the locked 1.16.0 although pyproject.toml would take the newest, and
// no colorama, which the lock marks for Windows only. The files are
// checked against the lock's hashes: a wrong one fails the build.
func TestBuildPylockFrozen(t *testing.T) {
	lambdatest.RequirePyPI(t)
	const (
		// PyPI's sha256 of the files the lock names.
		sixWheel     = "8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254"
		sixSdist     = "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926"
		coloramaWhl  = "4f1d9991f5acc0ca119f9d443620b77f9d6b33703e51011c16baf57afb285fc6"
		wrongSixHash = "0000000000000000000000000000000000000000000000000000000000000000"
	)
	project := func(sixHash string) string {
		root := t.TempDir()
		writeFiles(t, root, map[string]string{
			"pyproject.toml": "[project]\nname = \"frozen\"\nversion = \"0\"\nrequires-python = \">=3.9\"\ndependencies = [\"six\", \"colorama; sys_platform == 'win32'\"]\n",
			"pylock.toml": `lock-version = "1.0"
created-by = "hand"

[[packages]]
name = "frozen"
directory = { path = "." }

[[packages]]
name = "six"
version = "1.16.0"
index = "https://pypi.org/simple"
sdist = { url = "https://files.pythonhosted.org/packages/source/s/six/six-1.16.0.tar.gz", hashes = { sha256 = "` + sixSdist + `" } }
wheels = [{ url = "https://files.pythonhosted.org/packages/py2.py3/s/six/six-1.16.0-py2.py3-none-any.whl", hashes = { sha256 = "` + sixHash + `" } }]

[[packages]]
name = "colorama"
version = "0.4.6"
marker = "sys_platform == 'win32'"
index = "https://pypi.org/simple"
wheels = [{ url = "https://files.pythonhosted.org/packages/py2.py3/c/colorama/colorama-0.4.6-py2.py3-none-any.whl", hashes = { sha256 = "` + coloramaWhl + `" } }]
`,
			"api/index.py": "app = None\n",
		})
		return root
	}
	root, tampered := project(sixWheel), project(wrongSixHash)
	for name, env := range testInstallers(t) {
		t.Run(name, func(t *testing.T) {
			dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
			infos := findFiles(t, filepath.Join(dir, vendorDir), ".dist-info")
			if _, err := os.Stat(filepath.Join(dir, vendorDir, "six-1.16.0.dist-info")); err != nil {
				t.Errorf("six 1.16.0 (the locked version) is not vendored: %v; have %v", err, infos)
			}
			for _, info := range infos {
				if strings.Contains(info, "colorama") {
					t.Errorf("colorama is vendored although its marker excludes Linux: %v", infos)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			_, err := (&Runtime{}).Build(ctx, runtimes.BuildRequest{
				Root: tampered, File: "api/index.py", OutDir: filepath.Join(t.TempDir(), "fn.func"),
				PythonVersion: lambdatest.HostPython(t), CacheDir: t.TempDir(), Env: env,
			})
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), "hash") {
				t.Errorf("building with a wrong sha256 for six's wheel: %v, want the installer's hash mismatch", err)
			}
		})
	}
}

// testInstallers returns the build environment that selects each
// installer: pip always, uv when it is on PATH or installable.
func testInstallers(t *testing.T) map[string][]string {
	t.Helper()
	installers := map[string][]string{"pip": {installerEnv + "=pip"}}
	if uvBin := uvForTests(t); uvBin != "" {
		installers["uv"] = []string{installerEnv + "=uv", "PATH=" + filepath.Dir(uvBin) + string(os.PathListSeparator) + os.Getenv("PATH")}
	}
	return installers
}

// uvVersion is the uv release the uv tests install from PyPI when uv is
// not on PATH.
const uvVersion = "0.13.9"

// uvForTests returns a uv binary: the one on PATH, or one installed into
// a venv under the user cache dir. "" when neither is possible.
func uvForTests(t *testing.T) string {
	t.Helper()
	if p, err := lookPath("uv", os.Getenv("PATH")); err == nil {
		return p
	}
	py := filepath.Join(lambdatest.Venv(t, "uv-"+uvVersion, "", "uv=="+uvVersion), "bin", "python")
	uv := filepath.Join(filepath.Dir(py), "uv")
	if _, err := os.Stat(uv); err != nil {
		t.Logf("uv %s did not install a uv binary (%v); testing pip only", uvVersion, err)
		return ""
	}
	return uv
}

// findFiles lists the files under dir whose names end with suffix.
func findFiles(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), suffix) && (suffix != "" || !d.IsDir()) {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// writeFiles writes files (slash paths relative to root) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
