package python

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// realPython is the interpreter behind python3 on PATH (not a pyenv shim).
var realPython = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	return strings.TrimSpace(string(out)), err
})

// fakeVenv makes dir look like a virtual environment whose bin/python3
// links to the real interpreter: enough for interpreter selection.
func fakeVenv(t *testing.T, dir string) string {
	t.Helper()
	py, err := realPython()
	if err != nil {
		t.Skipf("python3 is not available: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "bin", "python3")
	if err := os.Symlink(py, link); err != nil {
		t.Fatal(err)
	}
	return link
}

func TestInterpreterOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		virtualEnv bool     // set VIRTUAL_ENV to a fake venv outside root
		venvs      []string // fake venvs inside root
		files      map[string]string
		wantSource string
		wantIn     string // the venv the interpreter must come from ("" = none)
	}{
		{"VIRTUAL_ENV wins over .venv", true, []string{".venv"}, nil, SourceVirtualEnv, "VIRTUAL_ENV"},
		{".venv wins over venv", false, []string{".venv", "venv"}, nil, SourceDotVenv, ".venv"},
		{"venv", false, []string{"venv"}, nil, SourceVenv, "venv"},
		{"a project venv wins over a managed one", false, []string{".venv"}, map[string]string{"requirements.txt": "flask\n"}, SourceDotVenv, ".venv"},
		{"no venv, no dependencies", false, nil, map[string]string{"pyproject.toml": "[tool.black]\n"}, SourcePath, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.files)
			env := baseEnv()
			want := map[string]string{}
			if tt.virtualEnv {
				ve := filepath.Join(t.TempDir(), "activated")
				want["VIRTUAL_ENV"] = fakeVenv(t, ve)
				env = append(env, "VIRTUAL_ENV="+ve)
			}
			for _, v := range tt.venvs {
				want[v] = fakeVenv(t, filepath.Join(root, v))
			}
			r := &Runtime{Logger: quietLogger()}
			in, err := r.interpreter(t.Context(), root, ".", filepath.Join(root, ".vercel", "cache"), env, quietLogger(), nil)
			if err != nil {
				t.Fatalf("interpreter: %v", err)
			}
			if in.Source != tt.wantSource {
				t.Errorf("Source = %q, want %q", in.Source, tt.wantSource)
			}
			if tt.wantIn != "" && in.Path != want[tt.wantIn] {
				t.Errorf("Path = %s, want %s", in.Path, want[tt.wantIn])
			}
			if tt.wantIn == "" && in.Venv != "" {
				t.Errorf("Venv = %s, want none", in.Venv)
			}
			if !strings.HasPrefix(in.Version, "3.") {
				t.Errorf("Version = %q", in.Version)
			}
		})
	}
}

// A project without dependencies runs on the base interpreter. The user is
// told so once per Runtime (the CLI makes one per process) and
// interpreter, not on every restart.
func TestSystemPythonNoticeOnce(t *testing.T) {
	t.Parallel()
	r := &Runtime{Logger: quietLogger()}
	notice := func(r *Runtime) string {
		t.Helper()
		root := t.TempDir()
		writeTree(t, root, map[string]string{"api/index.py": "app = None\n"})
		notices := &syncBuffer{}
		in, err := r.interpreter(t.Context(), root, ".", filepath.Join(root, ".vercel", "cache"), baseEnv(), quietLogger(), notices)
		if err != nil {
			t.Fatalf("interpreter: %v", err)
		}
		if in.Source != SourcePath {
			t.Fatalf("Source = %q, want %q", in.Source, SourcePath)
		}
		return notices.String()
	}
	first := notice(r)
	if !strings.HasPrefix(first, "lambdalens: using /") || !strings.Contains(first, "declares no dependencies") || strings.Count(first, "\n") != 1 {
		t.Errorf("first notice = %q, want one line about the system Python", first)
	}
	if again := notice(r); again != "" {
		t.Errorf("second start: notice %q, want none", again)
	}
	if other := notice(&Runtime{Logger: quietLogger()}); other != first {
		t.Errorf("another Runtime: notice %q, want %q", other, first)
	}
}

func TestInterpreterErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	r := &Runtime{Logger: quietLogger()}
	cache := filepath.Join(root, ".vercel", "cache")
	t.Run("VIRTUAL_ENV without an interpreter", func(t *testing.T) {
		_, err := r.interpreter(t.Context(), root, ".", cache, baseEnv("VIRTUAL_ENV="+t.TempDir()), quietLogger(), nil)
		if err == nil || !strings.Contains(err.Error(), "VIRTUAL_ENV=") || !strings.Contains(err.Error(), "bin/python3") {
			t.Fatalf("err = %v, want a VIRTUAL_ENV error", err)
		}
	})
	t.Run("no python3 on PATH", func(t *testing.T) {
		_, err := r.interpreter(t.Context(), root, ".", cache, []string{"PATH=" + t.TempDir()}, quietLogger(), nil)
		if err == nil || !strings.Contains(err.Error(), "python3 was not found") {
			t.Fatalf("err = %v, want a missing-interpreter error", err)
		}
	})
	t.Run("configured interpreter missing", func(t *testing.T) {
		r := &Runtime{Python: "/nonexistent/python3.99", Logger: quietLogger()}
		_, err := r.interpreter(t.Context(), root, ".", cache, baseEnv(), quietLogger(), nil)
		if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3.99 was not found") {
			t.Fatalf("err = %v", err)
		}
	})
}

// writeWheel writes a minimal pure-Python wheel of package tinypkg, so that
// pip can install it without the network.
func writeWheel(t *testing.T, path, value string) {
	t.Helper()
	writeWheelVersion(t, path, "0.1", value)
}

// writeWheelVersion writes a tinypkg wheel of that version whose
// tinypkg.VALUE is value.
func writeWheelVersion(t *testing.T, path, version, value string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, e := range []struct{ name, body string }{
		{"tinypkg/__init__.py", "VALUE = " + value + "\n"},
		{"tinypkg-" + version + ".dist-info/METADATA", "Metadata-Version: 2.1\nName: tinypkg\nVersion: " + version + "\n"},
		{"tinypkg-" + version + ".dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: lambdalens-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
		{"tinypkg-" + version + ".dist-info/RECORD", "tinypkg/__init__.py,,\ntinypkg-" + version + ".dist-info/METADATA,,\ntinypkg-" + version + ".dist-info/WHEEL,,\ntinypkg-" + version + ".dist-info/RECORD,,\n"},
	} {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestManagedVenv creates, reuses and replaces the managed venv with each
// installer: pip, and uv when it is on PATH or installable from PyPI.
func TestManagedVenv(t *testing.T) {
	t.Parallel()
	// PIP_NO_INDEX and UV_OFFLINE prove the install never needs PyPI.
	t.Run("pip", func(t *testing.T) {
		t.Parallel()
		testManagedVenv(t, baseEnv("PIP_NO_INDEX=1", installerEnv+"=pip"), "pip")
	})
	t.Run("uv", func(t *testing.T) {
		t.Parallel()
		uv := uvForTests(t)
		if uv == "" {
			t.Skip("SKIP: no uv binary (see the log above)")
		}
		path := filepath.Dir(uv) + string(os.PathListSeparator) + os.Getenv("PATH")
		testManagedVenv(t, baseEnv("UV_OFFLINE=1", installerEnv+"=uv", "PATH="+path), "uv")
	})
}

func testManagedVenv(t *testing.T, env []string, installer string) {
	root := t.TempDir()
	writeWheel(t, filepath.Join(root, "tinypkg-0.1-py3-none-any.whl"), "41")
	writeTree(t, root, map[string]string{"requirements.txt": "# a local wheel keeps the test offline\n./tinypkg-0.1-py3-none-any.whl\n"})
	r := &Runtime{Logger: quietLogger()}
	cache := filepath.Join(root, ".vercel", "cache")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	// Each install is told to the user once, at the default level; a
	// reused venv says nothing.
	wantNotice := func(notices *syncBuffer, want bool) {
		t.Helper()
		got := notices.String()
		prefix := "lambdalens: installing the dependencies of requirements.txt with " + installer + " into the virtual environment .vercel/cache/python/venv-"
		if want && (!strings.HasPrefix(got, prefix) || strings.Count(got, "\n") != 1) {
			t.Errorf("notices = %q, want one line starting %q", got, prefix)
		}
		if !want && got != "" {
			t.Errorf("notices = %q, want none for a reused venv", got)
		}
	}
	notices := &syncBuffer{}
	first, err := r.interpreter(ctx, root, ".", cache, env, quietLogger(), notices)
	if err != nil {
		t.Fatalf("first interpreter: %v", err)
	}
	wantNotice(notices, true)
	if !strings.HasPrefix(first.Source, "managed venv .vercel/cache/python/venv-") {
		t.Errorf("Source = %q", first.Source)
	}
	if !strings.HasPrefix(first.Path, filepath.Join(root, ".vercel", "cache", "python", "venv-")) {
		t.Errorf("Path = %s, want inside .vercel/cache/python", first.Path)
	}
	out, err := exec.Command(first.Path, "-c", "import tinypkg; print(tinypkg.VALUE + 1)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Fatalf("tinypkg in the managed venv: %q, %v", out, err)
	}
	// uv records itself in pyvenv.cfg; python -m venv does not.
	cfg, err := os.ReadFile(filepath.Join(first.Venv, "pyvenv.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	if madeByUV := strings.Contains(string(cfg), "\nuv = "); madeByUV != (installer == "uv") {
		t.Errorf("pyvenv.cfg of the %s venv:\n%s", installer, cfg)
	}

	// Unchanged dependency files: the same venv, not reinstalled.
	sentinel := filepath.Join(first.Venv, "sentinel")
	if err := os.WriteFile(sentinel, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	notices = &syncBuffer{}
	second, err := r.interpreter(ctx, root, ".", cache, env, quietLogger(), notices)
	if err != nil {
		t.Fatalf("second interpreter: %v", err)
	}
	wantNotice(notices, false)
	if second != first {
		t.Errorf("second call = %+v, want %+v", second, first)
	}
	if _, err := os.Stat(sentinel); err != nil {
		t.Errorf("the venv was recreated although requirements.txt did not change: %v", err)
	}

	// A change gives a new venv and removes the stale one.
	writeTree(t, root, map[string]string{"requirements.txt": "./tinypkg-0.1-py3-none-any.whl\n# changed\n"})
	notices = &syncBuffer{}
	third, err := r.interpreter(ctx, root, ".", cache, env, quietLogger(), notices)
	if err != nil {
		t.Fatalf("third interpreter: %v", err)
	}
	wantNotice(notices, true)
	if third.Venv == first.Venv {
		t.Errorf("venv %s reused after requirements.txt changed", third.Venv)
	}
	if _, err := os.Stat(first.Venv); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale venv %s not removed: %v", first.Venv, err)
	}

	// A failed install is a BuildError with pip's output, and leaves no
	// half-made venv behind.
	writeTree(t, root, map[string]string{"requirements.txt": "./missing-0.1-py3-none-any.whl\n"})
	_, err = r.interpreter(ctx, root, ".", cache, env, quietLogger(), nil)
	var be *runtimes.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v (%T), want *runtimes.BuildError", err, err)
	}
	if !strings.Contains(be.Op, "requirements.txt") || !strings.Contains(be.Output, "missing-0.1-py3-none-any.whl") {
		t.Errorf("BuildError = Op %q Output %q", be.Op, be.Output)
	}
	venvs, _ := filepath.Glob(filepath.Join(cache, "python", "venv-*"))
	if len(venvs) != 1 || venvs[0] != third.Venv {
		t.Errorf("venvs after the failure = %v, want only %s", venvs, third.Venv)
	}
}

// writeLockedTinypkg writes a pyproject.toml that depends on tinypkg and a
// uv.lock that locks it at version from the index registry.
func writeLockedTinypkg(t *testing.T, root, version, registry string) {
	t.Helper()
	writeTree(t, root, map[string]string{
		"pyproject.toml": "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"tinypkg\"]\n",
		"uv.lock": `version = 1
requires-python = ">=3.9"

[[package]]
name = "tinypkg"
version = "` + version + `"
source = { registry = "` + registry + `" }

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
`,
	})
}

// TestManagedVenvFollowsUVLock: pyproject.toml asks for tinypkg, the
// package index offers 0.1 and 0.2, uv.lock locks 0.1. The dev venv holds
// 0.1, as the Lambda build does; without the lock it gets 0.2.
func TestManagedVenvFollowsUVLock(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	wheels := filepath.Join(root, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	writeWheelVersion(t, filepath.Join(wheels, "tinypkg-0.1-py3-none-any.whl"), "0.1", "41")
	writeWheelVersion(t, filepath.Join(wheels, "tinypkg-0.2-py3-none-any.whl"), "0.2", "42")
	writeLockedTinypkg(t, root, "0.1", "https://pypi.org/simple")
	env := baseEnv("PIP_NO_INDEX=1", "PIP_FIND_LINKS="+wheels, installerEnv+"=pip")
	r := &Runtime{Logger: quietLogger()}
	cache := filepath.Join(root, ".vercel", "cache")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	value := func() string {
		t.Helper()
		in, err := r.interpreter(ctx, root, ".", cache, env, quietLogger(), nil)
		if err != nil {
			t.Fatalf("interpreter: %v", err)
		}
		out, err := exec.Command(in.Path, "-c", "import tinypkg; print(tinypkg.VALUE)").CombinedOutput()
		if err != nil {
			t.Fatalf("importing tinypkg: %v\n%s", err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := value(); got != "41" {
		t.Errorf("with uv.lock locking 0.1, the venv has VALUE %s, want 41 (0.1)", got)
	}
	if err := os.Remove(filepath.Join(root, "uv.lock")); err != nil {
		t.Fatal(err)
	}
	if got := value(); got != "42" {
		t.Errorf("without uv.lock, the venv has VALUE %s, want 42 (the newest, 0.2)", got)
	}
}

// TestManagedVenvUsesTheLocksIndexes: uv.lock pins tinypkg 0.1+cpu from a
// package index other than PyPI (as uv locks torch from PyTorch's CPU
// index). The index, on 127.0.0.1, is passed to pip: without it the pin
// cannot be met and the venv is not made.
func TestManagedVenvUsesTheLocksIndexes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	wheel := filepath.Join(t.TempDir(), "tinypkg-0.1+cpu-py3-none-any.whl")
	writeWheelVersion(t, wheel, "0.1+cpu", "43")
	mux := http.NewServeMux()
	mux.HandleFunc("/cpu/tinypkg/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!DOCTYPE html><html><body><a href="/files/tinypkg-0.1+cpu-py3-none-any.whl">tinypkg-0.1+cpu-py3-none-any.whl</a></body></html>`)
	})
	mux.HandleFunc("/files/", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, wheel) })
	index := httptest.NewServer(mux) // "/main/..." answers 404: the default index has nothing
	defer index.Close()
	writeLockedTinypkg(t, root, "0.1+cpu", index.URL+"/cpu")
	// Only these indexes: no pip configuration, find-links or --no-index
	// from the machine.
	var env []string
	for _, kv := range baseEnv() {
		if !strings.HasPrefix(kv, "PIP_") {
			env = append(env, kv)
		}
	}
	env = append(env, "PIP_CONFIG_FILE="+os.DevNull, "PIP_INDEX_URL="+index.URL+"/main", installerEnv+"=pip")
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	in, err := (&Runtime{Logger: quietLogger()}).interpreter(ctx, root, ".", filepath.Join(root, ".vercel", "cache"), env, quietLogger(), nil)
	if err != nil {
		t.Fatalf("interpreter: %v", err)
	}
	out, err := exec.Command(in.Path, "-c", "import tinypkg; print(tinypkg.VALUE)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "43" {
		t.Fatalf("tinypkg in the venv: %q, %v; want 43 (0.1+cpu from the lock's index)", out, err)
	}
}

func TestFindDeps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		files    map[string]string
		wantName string // "" = no dependencies
		wantReqs []string
		wantErr  string
	}{
		{"none", map[string]string{"app.py": ""}, "", nil, ""},
		{"requirements.txt", map[string]string{"requirements.txt": "flask\n"}, "requirements.txt", nil, ""},
		{"pyproject dependencies win", map[string]string{
			"pyproject.toml":   "[project]\nname = \"x\"\ndependencies = [\"fastapi>=0.100\", \"uvicorn\"]\n",
			"requirements.txt": "flask\n",
		}, "pyproject.toml", []string{"fastapi>=0.100", "uvicorn"}, ""},
		{"pyproject without dependencies falls through", map[string]string{
			"pyproject.toml":   "[tool.ruff]\nline-length = 100\n",
			"requirements.txt": "flask\n",
		}, "requirements.txt", nil, ""},
		{"Pipfile", map[string]string{"Pipfile": `[packages]
flask = "*"
requests = ">=2.0"
uvicorn = {version = "==0.30.0", extras = ["standard"]}
pywin32 = {version = "*", markers = "sys_platform == 'win32'"}
`}, "Pipfile", []string{"flask", "pywin32; sys_platform == 'win32'", "requests>=2.0", "uvicorn[standard]==0.30.0"}, ""},
		{"Pipfile.lock wins over Pipfile", map[string]string{
			"Pipfile":      "[packages]\nflask = \"*\"\n",
			"Pipfile.lock": `{"default": {"flask": {"version": "==3.1.0"}, "click": {"version": "==8.1.7", "markers": "python_version >= '3.7'"}}}`,
		}, "Pipfile.lock", []string{"click==8.1.7; python_version >= '3.7'", "flask==3.1.0"}, ""},
		{"Pipfile git source", map[string]string{"Pipfile": "[packages]\nmylib = {git = \"https://example.com/x.git\", ref = \"v1\"}\n"}, "Pipfile", []string{"mylib @ git+https://example.com/x.git@v1"}, ""},
		{"Pipfile hg source", map[string]string{"Pipfile": "[packages]\nmylib = {hg = \"https://example.com/x\"}\n"}, "", nil, "hg source"},
		{"bad pyproject", map[string]string{"pyproject.toml": "[project\n"}, "", nil, "pyproject.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.files)
			d, err := findDeps(root, ".")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantName == "" {
				if d != nil {
					t.Fatalf("deps = %+v, want none", d)
				}
				return
			}
			if d == nil || d.Name != tt.wantName {
				t.Fatalf("deps = %+v, want %s", d, tt.wantName)
			}
			if strings.Join(d.Reqs, "|") != strings.Join(tt.wantReqs, "|") {
				t.Errorf("Reqs = %q, want %q", d.Reqs, tt.wantReqs)
			}
		})
	}
}
