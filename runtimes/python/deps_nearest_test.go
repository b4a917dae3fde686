package python

import (
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// TestFindDepsNearest: a function's dependencies are the nearest
// declaration from its entrypoint's folder up to the root (reference
// §5.2, §5.3), with Vercel's file names and order within a folder.
func TestFindDepsNearest(t *testing.T) {
	t.Parallel()
	pyproject := "[project]\nname = \"x\"\ndependencies = [\"six\"]\n"
	tests := []struct {
		name     string
		files    map[string]string
		file     string // the entrypoint
		wantName string // "" = no dependencies
		wantLock string // the uv.lock or pylock.toml found, relative
	}{
		{"next to the entrypoint", map[string]string{"api/requirements.txt": "six\n"}, "api/i.py", "api/requirements.txt", ""},
		{"nearer wins over the root", map[string]string{"api/requirements.txt": "six\n", "requirements.txt": "flask\n"}, "api/i.py", "api/requirements.txt", ""},
		{"a parent folder", map[string]string{"api/requirements.txt": "six\n", "requirements.txt": "flask\n"}, "api/v1/users/[id].py", "api/requirements.txt", ""},
		{"the root", map[string]string{"requirements.txt": "flask\n"}, "api/i.py", "requirements.txt", ""},
		{"not a sibling folder's", map[string]string{"api/requirements.txt": "six\n"}, "app.py", "", ""},
		{"not a subfolder's", map[string]string{"api/v1/requirements.txt": "six\n"}, "api/i.py", "", ""},
		{"requirements.frozen.txt first", map[string]string{
			"api/requirements.txt": "six\n", "api/requirements.frozen.txt": "six==1\n", "api/requirements-frozen.txt": "six==2\n",
		}, "api/i.py", "api/requirements.frozen.txt", ""},
		{"requirements-frozen.txt before requirements.txt", map[string]string{
			"requirements.txt": "six\n", "requirements-frozen.txt": "six==2\n",
		}, "app.py", "requirements-frozen.txt", ""},
		{"requirements.in", map[string]string{"api/requirements.in": "six\n"}, "api/i.py", "api/requirements.in", ""},
		{"requirements/prod.txt", map[string]string{"requirements/prod.txt": "six\n", "requirements/dev.txt": "pytest\n"}, "api/i.py", "requirements/prod.txt", ""},
		{"Pipfile before requirements", map[string]string{"api/Pipfile": "[packages]\nsix = \"*\"\n", "api/requirements.txt": "flask\n"}, "api/i.py", "api/Pipfile", ""},
		{"pyproject and its uv.lock in the folder", map[string]string{
			"api/pyproject.toml": pyproject, "api/uv.lock": "version = 1\n", "uv.lock": "version = 1\n", "pyproject.toml": pyproject,
		}, "api/i.py", "api/pyproject.toml", "api/uv.lock"},
		{"pylock.toml next to pyproject", map[string]string{"api/pyproject.toml": pyproject, "api/pylock.toml": ""}, "api/i.py", "api/pyproject.toml", "api/pylock.toml"},
		{"no lock of another folder", map[string]string{"api/pyproject.toml": pyproject, "uv.lock": "version = 1\n"}, "api/i.py", "api/pyproject.toml", ""},
		{"a tool-only pyproject.toml does not stop the lookup", map[string]string{
			"api/pyproject.toml": "[tool.ruff]\nline-length = 100\n", "requirements.txt": "six\n",
		}, "api/i.py", "requirements.txt", ""},
		{"a path out of the root looks at the root", map[string]string{"requirements.txt": "six\n"}, "../x/i.py", "requirements.txt", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.files)
			d, err := findLambdaDeps(root, entryDir(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantName == "" {
				if d != nil {
					t.Fatalf("deps = %+v, want none", d.src)
				}
				return
			}
			if d == nil || d.src.Name != tt.wantName {
				t.Fatalf("deps = %+v, want %s", d, tt.wantName)
			}
			// The folder looked in: requirements/prod.txt belongs to the
			// folder that holds requirements/.
			wantDir := filepath.Join(root, filepath.FromSlash(path.Dir(strings.TrimSuffix(tt.wantName, "/prod.txt"))))
			if d.src.Dir != wantDir {
				t.Errorf("Dir = %s, want %s", d.src.Dir, wantDir)
			}
			lock := d.uvLock + d.pylock
			if lock != "" {
				lock = relToRoot(root, lock)
			}
			if lock != tt.wantLock {
				t.Errorf("lock = %q, want %q", lock, tt.wantLock)
			}
		})
	}
}

// TestLambdaManifestNextToEntrypoint: a function whose requirements.txt
// sits next to it, not at the root, gets those dependencies vendored and
// imports them under the real Lambda emulator. The requirements name a
// package from PyPI and a wheel by a path relative to the requirements
// file's folder, where the installers run. A function at the root uses
// the root's requirements.txt, another version of the same package.
func TestLambdaManifestNextToEntrypoint(t *testing.T) {
	lambdatest.RequirePyPI(t)
	const app = `import six
import tinypkg


def app(environ, start_response):
    body = ("%s %s" % (six.__version__, tinypkg.VALUE)).encode()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
`
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/i.py":             app,
		"api/requirements.txt": "six==1.16.0\n./wheels/tinypkg-0.1-py3-none-any.whl\n",
		"index.py":             app,
		"requirements.txt":     "six==1.17.0\n./tinypkg-0.1-py3-none-any.whl\n",
	})
	if err := os.MkdirAll(filepath.Join(root, "api", "wheels"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeWheel(t, filepath.Join(root, "api", "wheels", "tinypkg-0.1-py3-none-any.whl"), "1")
	writeWheel(t, filepath.Join(root, "tinypkg-0.1-py3-none-any.whl"), "2")
	ep := runtimes.Entrypoint{Language: runtimes.Python, Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI}
	for name, env := range testInstallers(t) {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir() // shared by both functions: their installs differ
			for _, fn := range []struct{ file, want string }{
				{"api/i.py", "1.16.0 1"},
				{"index.py", "1.17.0 2"},
			} {
				dir, art := mustBuild(t, &Runtime{}, buildSpec{root: root, file: fn.file, ep: ep, env: env, cacheDir: cache})
				em := startFunction(t, dir, art)
				res := invokeHTTP(t, em, lambdatest.EventKinds[0], "GET", "/"+strings.TrimSuffix(fn.file, ".py"), nil, nil)
				if res.Status != 200 || string(res.Body) != fn.want {
					t.Errorf("%s: status %d, body %q; want 200 %q (six and tinypkg from its own requirements.txt)", fn.file, res.Status, res.Body, fn.want)
				}
			}
		})
	}
}

// TestManagedVenvNearestManifest: in dev, a function's managed venv is
// filled from the same declaration as its Lambda (api/requirements.txt
// for api/i.py), and the venvs of two declarations live side by side:
// creating one does not remove the other.
func TestManagedVenvNearestManifest(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/i.py":             "import tinypkg\n\n" + wsgiApp + "\nVALUE = tinypkg.VALUE\n",
		"api/requirements.txt": "./tinypkg-0.1-py3-none-any.whl\n",
		"requirements.txt":     "./tinypkg-0.1-py3-none-any.whl\n",
	})
	writeWheel(t, filepath.Join(root, "api", "tinypkg-0.1-py3-none-any.whl"), "1")
	writeWheel(t, filepath.Join(root, "tinypkg-0.1-py3-none-any.whl"), "2")
	env := baseEnv("PIP_NO_INDEX=1", "UV_OFFLINE=1") // local wheels only
	r := &Runtime{Logger: quietLogger()}
	cache := filepath.Join(root, ".vercel", "cache")
	value := func(in Interp) string {
		t.Helper()
		out, err := exec.Command(in.Path, "-c", "import tinypkg; print(tinypkg.VALUE)").CombinedOutput()
		if err != nil {
			t.Fatalf("tinypkg in %s: %q, %v", in.Venv, out, err)
		}
		return strings.TrimSpace(string(out))
	}
	api, err := r.interpreter(t.Context(), root, "api", cache, env, quietLogger(), nil)
	if err != nil {
		t.Fatalf("interpreter for api/: %v", err)
	}
	if got := value(api); got != "1" {
		t.Errorf("api/'s venv has tinypkg.VALUE %s, want 1 (api/requirements.txt)", got)
	}
	top, err := r.interpreter(t.Context(), root, ".", cache, env, quietLogger(), nil)
	if err != nil {
		t.Fatalf("interpreter for the root: %v", err)
	}
	if got := value(top); got != "2" {
		t.Errorf("the root's venv has tinypkg.VALUE %s, want 2 (requirements.txt)", got)
	}
	if _, err := os.Stat(api.Venv); err != nil {
		t.Errorf("creating the root's venv removed api/'s: %v", err)
	}
	// A changed api/requirements.txt replaces api/'s venv only.
	writeTree(t, root, map[string]string{"api/requirements.txt": "./tinypkg-0.1-py3-none-any.whl\n# changed\n"})
	api2, err := r.interpreter(t.Context(), root, "api", cache, env, quietLogger(), nil)
	if err != nil {
		t.Fatalf("interpreter for api/ again: %v", err)
	}
	if _, err := os.Stat(api.Venv); !os.IsNotExist(err) || api2.Venv == api.Venv {
		t.Errorf("api/'s stale venv %s: %v (new %s)", api.Venv, err, api2.Venv)
	}
	if _, err := os.Stat(top.Venv); err != nil {
		t.Errorf("replacing api/'s venv removed the root's: %v", err)
	}

	// StartDev takes the entrypoint's folder into account.
	p, _, err := startDev(t, root, "api/i.py", runtimes.Entrypoint{Kind: runtimes.KindFunction, Symbol: "app", AppKind: runtimes.AppWSGI}, env)
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	if code, _, _ := do(t, "GET", "http://"+p.Addr()+"/api/i", nil); code != 201 {
		t.Errorf("GET = %d, want the app's 201", code)
	}
}

func TestVenvGroup(t *testing.T) {
	for _, tc := range []struct {
		name, group string
		ok          bool
	}{
		{"venv-0123456789abcdef", "", true},
		{"venv-01234567-0123456789abcdef", "01234567", true},
		{"venv-fastapi0.115-flask3.1", "", false},
		{"venv-0123456789abcde", "", false},
		{"venv-01234567-0123456789abcdef-x", "", false},
		{"pycache", "", false},
	} {
		if g, ok := venvGroup(tc.name); g != tc.group || ok != tc.ok {
			t.Errorf("venvGroup(%q) = %q, %v; want %q, %v", tc.name, g, ok, tc.group, tc.ok)
		}
	}
}

// TestInputsFollowNearestManifest: a function's dev inputs are the
// dependency files of its folder and its parents, and the files its
// declaration includes; another folder's manifest is not one of them.
func TestInputsFollowNearestManifest(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/requirements.txt": "-r common.txt\n",
		"api/common.txt":       "six\n",
		"requirements.txt":     "-r root-only.txt\n",
		"root-only.txt":        "flask\n",
	})
	inputs := func(file string) []string {
		t.Helper()
		in, err := (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: root, File: file})
		if err != nil {
			t.Fatal(err)
		}
		return in.Files
	}
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	api := inputs("api/i.py")
	for _, want := range []string{"api/requirements.txt", "api/common.txt", "api/requirements.in", "api/pyproject.toml", "requirements.txt"} {
		if !slices.Contains(api, abs(want)) {
			t.Errorf("inputs of api/i.py lack %s", want)
		}
	}
	if slices.Contains(api, abs("root-only.txt")) {
		t.Error("inputs of api/i.py hold root-only.txt, which only the root's requirements.txt includes")
	}
	top := inputs("index.py")
	for _, f := range top {
		if strings.HasPrefix(f, abs("api")+string(filepath.Separator)) {
			t.Errorf("inputs of index.py hold %s", f)
		}
	}
	if !slices.Contains(top, abs("root-only.txt")) {
		t.Error("inputs of index.py lack root-only.txt")
	}
}
