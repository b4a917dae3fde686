package python

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vendoredOrigin returns the ORIGIN a test wheel's module records in the
// build in dir, or what is there instead.
func vendoredOrigin(t *testing.T, dir, module string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, vendorDir, module, "__init__.py"))
	if err != nil {
		return fmt.Sprintf("not vendored (%v; have %v)", err, findFiles(t, filepath.Join(dir, vendorDir), ".dist-info"))
	}
	if _, origin, ok := strings.Cut(string(b), "ORIGIN = "); ok {
		return strings.Trim(strings.TrimSpace(origin), `"`)
	}
	return "another package: " + strings.TrimSpace(string(b))[:min(len(b), 80)]
}

// Without a lock, the package sources and indexes of pyproject.toml
// ([tool.uv.sources], [[tool.uv.index]]), of a Pipfile ([[source]],
// index = "...") and the indexes pylock.toml's packages come from are
// where the build installs from, with either installer. Before, the names
// were resolved on PyPI, which has an unrelated "mylib" (0.0.1): a
// dependency-confusion risk.
func TestBuildHonoursManifestSourcesAndIndexes(t *testing.T) {
	ix := startTestIndex(t)
	_, sum := ix.add(t, "mylib", "9.0.0", "private")
	localFile, localWheel := testWheel(t, "lambdalens-local-lib", "1.0", "path")

	projects := map[string]map[string]string{
		"pyproject": {
			"pyproject.toml": `[project]
name = "app"
version = "0.1.0"
dependencies = ["mylib", "lambdalens-local-lib"]

[[tool.uv.index]]
name = "private"
url = "` + ix.URL() + `"
explicit = true

[tool.uv.sources]
mylib = { index = "private" }
lambdalens-local-lib = { path = "wheels/` + localFile + `" }
`,
			"wheels/" + localFile: string(localWheel),
		},
		"Pipfile": {
			"Pipfile": `[[source]]
name = "private"
url = "` + ix.URL() + `"
verify_ssl = false

[packages]
mylib = { version = "*", index = "private" }
`,
		},
		"pylock": {
			"pyproject.toml": "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"mylib\"]\n",
			"pylock.toml": `lock-version = "1.0"
created-by = "test"

[[packages]]
name = "mylib"
version = "9.0.0"
index = "` + ix.URL() + `"
wheels = [{ url = "` + ix.Server.URL + `/files/mylib-9.0.0-py3-none-any.whl", hashes = { sha256 = "` + sum + `" } }]
`,
		},
	}
	for name, files := range projects {
		for inst, env := range testInstallers(t) {
			t.Run(name+"/"+inst, func(t *testing.T) {
				root := t.TempDir()
				files["api/index.py"] = "app = None\n"
				writeFiles(t, root, files)
				dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
				if got := vendoredOrigin(t, dir, "mylib"); got != "private" {
					t.Errorf("mylib: %s, want the private index's", got)
				}
				if name == "pyproject" {
					if got := vendoredOrigin(t, dir, "lambdalens_local_lib"); got != "path" {
						t.Errorf("lambdalens-local-lib: %s, want the wheel its path source names", got)
					}
				}
			})
		}
	}
}

// A function in a uv workspace member is held to the workspace's uv.lock
// at its root (uv locks a workspace there): mylib 1.0.0 as locked, not
// the newer 9.0.0 published since. Before, only the member's folder was
// searched for uv.lock and the newest was installed, not frozen.
func TestBuildWorkspaceMemberUsesTheWorkspaceLock(t *testing.T) {
	uvBin := uvForTests(t)
	if uvBin == "" {
		t.Skip("no uv to write the workspace's uv.lock")
	}
	ix := startTestIndex(t)
	ix.add(t, "mylib", "1.0.0", "locked")
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"pyproject.toml": `[project]
name = "root"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = []

[tool.uv.workspace]
members = ["api"]

[[tool.uv.index]]
name = "private"
url = "` + ix.URL() + `"
default = true
`,
		"api/pyproject.toml": "[project]\nname = \"api\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [\"mylib\"]\n",
		"api/index.py":       "app = None\n",
	})
	lock := exec.Command(uvBin, "lock", "--quiet")
	lock.Dir = root
	lock.Env = append(os.Environ(), "UV_PYTHON_DOWNLOADS=never", "UV_CACHE_DIR="+t.TempDir())
	if out, err := lock.CombinedOutput(); err != nil {
		t.Fatalf("uv lock: %v\n%s", err, out)
	}
	ix.add(t, "mylib", "9.0.0", "newest")

	d, err := findLambdaDeps(root, "api")
	if err != nil || d == nil {
		t.Fatalf("findLambdaDeps: %+v, %v", d, err)
	}
	if want := filepath.Join(root, "uv.lock"); d.uvLock != want || !d.frozen() {
		t.Errorf("uvLock = %q (frozen %t), want %q", d.uvLock, d.frozen(), want)
	}
	for inst, env := range testInstallers(t) {
		t.Run(inst, func(t *testing.T) {
			dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
			if got := vendoredOrigin(t, dir, "mylib"); got != "locked" {
				t.Errorf("mylib: %s, want the locked 1.0.0", got)
			}
		})
	}
}
