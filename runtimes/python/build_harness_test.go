package python

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// ricVersion is the awslambdaric release the tests run functions with (it
// has manylinux wheels for CPython 3.10 and later); ricVersion39 is the
// last release for 3.9.
const (
	ricVersion   = "4.2.2"
	ricVersion39 = "4.0.4"
)

// hostPythonInfo is python3 on PATH and its major.minor version.
var hostPythonInfo = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
})

// hostPython returns the version of python3 on PATH ("3.11"), the version
// test artifacts are built for so that the host can run them.
func hostPython(t *testing.T) string {
	t.Helper()
	v, err := hostPythonInfo()
	if err != nil {
		t.Skipf("SKIPPING: python3 is not usable on this machine: %v", err)
	}
	return v
}

// pypiProbe tells whether PyPI answers, once per test binary.
var pypiProbe = sync.OnceValue(func() error {
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Get("https://pypi.org/simple/awslambdaric/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &pypiStatusError{resp.Status}
	}
	return nil
})

type pypiStatusError struct{ status string }

func (e *pypiStatusError) Error() string { return "PyPI answered " + e.status }

// requirePyPI skips the test, loudly, when PyPI is unreachable.
func requirePyPI(t *testing.T) {
	t.Helper()
	if err := pypiProbe(); err != nil {
		t.Skipf("SKIPPING: PyPI is unreachable (%v); this test installs packages from it", err)
	}
}

// testCacheDir is a directory under the user cache dir that persists
// between test runs (venvs, wheels), created on demand.
func testCacheDir(t *testing.T, name string) string {
	t.Helper()
	base, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("SKIPPING: no user cache directory: %v", err)
	}
	dir := filepath.Join(base, "lambdalens-test", name)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cachedVenv returns the interpreter of a venv under the user cache dir
// named name, creating it with python3 -m venv and pip-installing pkgs on
// first use. The venv is built under a temporary name and renamed into
// place, so a concurrent or interrupted run never sees a half-made one.
func cachedVenv(t *testing.T, name string, pkgs ...string) string {
	t.Helper()
	dir := testCacheDir(t, name)
	py := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return py
	}
	requirePyPI(t)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), name+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", tmp).CombinedOutput(); err != nil {
		t.Fatalf("creating the test venv %s: %v\n%s", name, err, out)
	}
	args := append([]string{"-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q"}, pkgs...)
	if out, err := exec.CommandContext(ctx, filepath.Join(tmp, "bin", "python"), args...).CombinedOutput(); err != nil {
		t.Fatalf("installing %v into the test venv %s: %v\n%s", pkgs, name, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, "complete"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "complete")); serr != nil {
			t.Fatalf("storing the test venv %s: %v", name, err)
		}
	}
	return py
}

// ricPython is the interpreter of a venv holding awslambdaric, for the
// host's Python version: the managed runtime's bootstrap, outside the
// artifact as on Lambda.
func ricPython(t *testing.T) string {
	t.Helper()
	v := hostPython(t)
	ver := ricVersion
	if v == "3.9" {
		ver = ricVersion39
	}
	return cachedVenv(t, "ric-py"+strings.ReplaceAll(v, ".", "")+"-"+ver, "awslambdaric=="+ver)
}

// copyTestdata copies testdata/build/<name> into a fresh temporary project
// root.
func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.CopyFS(root, os.DirFS(filepath.Join("testdata", "build", name))); err != nil {
		t.Fatal(err)
	}
	return root
}

// buildSpec is one Build call of a test.
type buildSpec struct {
	root, file string
	ep         runtimes.Entrypoint
	arch       string
	cacheDir   string
	env        []string
}

// mustBuild builds spec into a fresh .func directory for the host's Python.
func mustBuild(t *testing.T, rt *Runtime, s buildSpec) (string, *runtimes.Artifact) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fn.func")
	if s.cacheDir == "" {
		s.cacheDir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	art, err := rt.Build(ctx, runtimes.BuildRequest{
		Root: s.root, File: s.file, Entrypoint: s.ep, Arch: s.arch, OutDir: out,
		PythonVersion: hostPython(t), CacheDir: s.cacheDir, Env: s.env,
	})
	if err != nil {
		t.Fatalf("building %s: %v", s.file, err)
	}
	return out, art
}

// startFunction runs a built .func under RIE with awslambdaric as the
// managed runtime's bootstrap and the .vc-config environment.
func startFunction(t *testing.T, funcDir string, art *runtimes.Artifact) *lambdatest.Emulator {
	t.Helper()
	py := ricPython(t)
	env := map[string]string{
		"_HANDLER":          art.Handler,
		"AWS_EXECUTION_ENV": "AWS_Lambda_" + art.Runtime,
	}
	for k, v := range art.Environment {
		env[k] = v
	}
	return lambdatest.Start(t, funcDir, []string{py, "-m", "awslambdaric", art.Handler}, env)
}

// functionErrorType returns the errorType of a function error document
// (awslambdaric's carries requestId besides Lambda's usual keys), or "".
func functionErrorType(raw []byte) string {
	var doc struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
		StatusCode   int    `json:"statusCode"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.StatusCode != 0 {
		return ""
	}
	return doc.ErrorType
}

// invokeHTTP sends one HTTP request as an event of kind and decodes the
// answer.
func invokeHTTP(t *testing.T, em *lambdatest.Emulator, kind lambdatest.EventKind, method, path string, headers map[string][]string, body []byte) lambdatest.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	raw, err := em.Invoke(ctx, lambdatest.Event(kind, method, path, headers, body))
	if err != nil {
		t.Fatalf("%s %s %s: %v", kind, method, path, err)
	}
	if typ := functionErrorType(raw); typ != "" {
		t.Fatalf("%s %s %s: function error %s: %s", kind, method, path, typ, raw)
	}
	res, err := lambdatest.DecodeResponse(kind, raw)
	if err != nil {
		t.Fatalf("%s %s %s: %v\nraw: %s", kind, method, path, err, raw)
	}
	return res
}
