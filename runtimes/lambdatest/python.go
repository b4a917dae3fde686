package lambdatest

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The awslambdaric releases that play the managed Python runtime's
// bootstrap: RICVersion has manylinux wheels for CPython 3.10 and later,
// RICVersion39 is the last release for 3.9.
const (
	RICVersion   = "4.2.2"
	RICVersion39 = "4.0.4"
)

// venvTimeout bounds making one venv (python -m venv and pip install).
const venvTimeout = 5 * time.Minute

// hostPythonInfo is the major.minor version of python3 on PATH.
var hostPythonInfo = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
})

// HostPython returns the version of python3 on PATH ("3.12"), the version
// tests build Python artifacts for so that the host can run them. It skips
// the test, loudly, without a usable python3.
func HostPython(t testing.TB) string {
	t.Helper()
	v, err := hostPythonInfo()
	if err != nil || v == "" {
		t.Skipf("SKIPPING: python3 is not usable on this machine (%v); this test runs Python", err)
	}
	return v
}

// pypiProbe tells, once per test binary, whether PyPI answers.
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

// RequirePyPI skips the test, loudly, when PyPI is unreachable.
func RequirePyPI(t testing.TB) {
	t.Helper()
	if err := pypiProbe(); err != nil {
		t.Skipf("SKIPPING: PyPI is unreachable (%v); this test installs packages from it", err)
	}
}

// CacheDir returns <user cache>/lambdalens-test/<name>, which persists
// between test runs (venvs, vendored dependencies, build caches). Its
// parent is created; the directory itself is left to the caller.
func CacheDir(t testing.TB, name string) string {
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

// venvMu serializes making venvs within one test binary; across binaries
// the rename into place settles races.
var venvMu sync.Mutex

// Venv returns the directory of the venv CacheDir(name), making it on
// first use with `python3 -m venv` and `pip install pkgs`. The file marker
// is written last into a complete venv ("complete" when marker is empty).
// The venv is made under a temporary name and renamed into place, so a
// concurrent or interrupted run never sees a half-made one. Without
// python3, or when the venv must be made and PyPI is unreachable, the test
// is skipped.
func Venv(t testing.TB, name, marker string, pkgs ...string) string {
	t.Helper()
	HostPython(t)
	if marker == "" {
		marker = "complete"
	}
	dir := CacheDir(t, name)
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return dir
	}
	RequirePyPI(t)
	venvMu.Lock()
	defer venvMu.Unlock()
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return dir
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), name+".tmp-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), venvTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "python3", "-m", "venv", tmp).CombinedOutput(); err != nil {
		t.Fatalf("creating the test venv %s: %v\n%s", name, err, out)
	}
	args := append([]string{"-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-q"}, pkgs...)
	if out, err := exec.CommandContext(ctx, filepath.Join(tmp, "bin", "python"), args...).CombinedOutput(); err != nil {
		t.Fatalf("installing %s into the test venv %s: %v\n%s", strings.Join(pkgs, " "), name, err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, marker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, marker)); serr != nil {
			t.Fatalf("storing the test venv %s: %v", name, err)
		}
	}
	return dir
}

// RICPython returns the interpreter of a venv holding awslambdaric for
// the host's Python: the managed runtime's bootstrap, which on Lambda
// lives outside the artifact too.
func RICPython(t testing.TB) string {
	t.Helper()
	return RICPythonWith(t)
}

// RICPythonWith is RICPython with pinned packages ("six==1.15.0") installed
// beside awslambdaric, as the managed runtime has its own boto3, six and
// others on sys.path, in a venv of their own.
func RICPythonWith(t testing.TB, pkgs ...string) string {
	t.Helper()
	v := HostPython(t)
	ver := RICVersion
	if v == "3.9" {
		ver = RICVersion39
	}
	name := "ric-py" + strings.ReplaceAll(v, ".", "") + "-" + ver
	for _, p := range pkgs {
		name += "+" + strings.NewReplacer("==", "-", "/", "_").Replace(p)
	}
	dir := Venv(t, name, "", append([]string{"awslambdaric==" + ver}, pkgs...)...)
	return filepath.Join(dir, "bin", "python")
}

// StartPython runs the Python function in dir (a .func directory or an
// unzipped artifact) under RIE the way the managed python3.x runtime
// would: awslambdaric as the bootstrap with handler ("module.function"),
// env, and _HANDLER and AWS_EXECUTION_ENV=AWS_Lambda_<runtime> set.
func StartPython(t testing.TB, dir, handler, runtime string, env map[string]string) *Emulator {
	t.Helper()
	return StartPythonWith(t, RICPython(t), dir, handler, runtime, env)
}

// StartPythonWith is StartPython with py (from RICPythonWith) as the
// runtime's interpreter.
func StartPythonWith(t testing.TB, py, dir, handler, runtime string, env map[string]string) *Emulator {
	t.Helper()
	all := map[string]string{}
	for k, v := range env {
		all[k] = v
	}
	// Reserved on Lambda: the function's environment cannot change them.
	all["_HANDLER"], all["AWS_EXECUTION_ENV"] = handler, "AWS_Lambda_"+runtime
	return Start(t, dir, []string{py, "-m", "awslambdaric", handler}, all)
}
