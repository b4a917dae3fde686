package python

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pyproject.toml's [tool.uv.sources] and indexes become requirement
// lines both installers read.
func TestPyprojectSourcesAndIndexes(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/pyproject.toml": `[project]
name = "app"
version = "0.1.0"
dependencies = [
  "mylib[fast]>=1.0; python_version >= '3.9'",
  "gitlib",
  "urllib-pkg",
  "private-pkg==2.0",
  "forked",
  "plain",
  "direct @ https://example.com/direct.whl",
]

[tool.uv]
find-links = ["./wheels"]

[[tool.uv.index]]
name = "corp"
url = "https://corp.example/simple"
default = true

[[tool.uv.index]]
name = "extra"
url = "https://extra.example/simple"

[[tool.uv.index]]
name = "private"
url = "https://private.example/simple"
explicit = true

[tool.uv.sources]
mylib = { path = "../lib", editable = true }
gitlib = { git = "https://github.com/o/gitlib", tag = "v1", subdirectory = "py" }
urllib-pkg = { url = "https://example.com/u-1.0.tar.gz" }
private_pkg = { index = "private" }
forked = [
  { index = "private", marker = "sys_platform == 'linux'" },
  { url = "https://example.com/forked.whl", marker = "sys_platform != 'linux'" },
]
direct = { path = "ignored" }
plain = { index = "extra", extra = "gpu" }
`,
		"api/index.py": "app = None\n",
	})
	src, err := findDeps(root, "api")
	if err != nil || src == nil {
		t.Fatalf("findDeps: %+v, %v", src, err)
	}
	want := []string{
		"--index-url https://corp.example/simple",
		"--extra-index-url https://extra.example/simple",
		"--extra-index-url https://private.example/simple",
		"--find-links " + filepath.Join(root, "api", "wheels"),
		"mylib[fast] @ file://" + filepath.ToSlash(filepath.Join(root, "lib")) + " ; python_version >= '3.9'",
		"gitlib @ git+https://github.com/o/gitlib@v1#subdirectory=py",
		"urllib-pkg @ https://example.com/u-1.0.tar.gz",
		"private-pkg==2.0",
		"forked ; sys_platform == 'linux'",
		"forked @ https://example.com/forked.whl ; sys_platform != 'linux'",
		"plain",
		"direct @ https://example.com/direct.whl",
	}
	if !slices.Equal(src.Reqs, want) {
		t.Errorf("Reqs =\n%q\nwant\n%q", src.Reqs, want)
	}
}

// What cannot be expressed is an error naming the file and the table,
// never a lookup of the name on PyPI.
func TestPyprojectSourcesErrors(t *testing.T) {
	for name, sources := range map[string]string{
		"undefined index": `mylib = { index = "nowhere" }`,
		"no workspace":    `mylib = { workspace = true }`,
		"unknown kind":    `mylib = { svn = "svn://x" }`,
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{
				"pyproject.toml": "[project]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"mylib\"]\n\n[tool.uv.sources]\n" + sources + "\n",
			})
			_, err := findDeps(root, ".")
			if err == nil || !strings.Contains(err.Error(), "pyproject.toml: [tool.uv.sources] mylib") {
				t.Errorf("findDeps: %v, want an error naming pyproject.toml, [tool.uv.sources] and mylib", err)
			}
		})
	}
}

// A workspace member's `workspace = true` dependency is the member's
// folder; the workspace root's sources and indexes apply to members.
func TestPyprojectWorkspaceSources(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"pyproject.toml": `[tool.uv.workspace]
members = ["packages/*", "api"]
exclude = ["packages/skip"]

[[tool.uv.index]]
name = "corp"
url = "https://corp.example/simple"

[tool.uv.sources]
shared = { workspace = true }
`,
		"packages/shared/pyproject.toml": "[project]\nname = \"shared\"\nversion = \"1.0\"\n",
		"packages/skip/pyproject.toml":   "[project]\nname = \"skip\"\nversion = \"1.0\"\ndependencies = [\"x\"]\n",
		"api/pyproject.toml":             "[project]\nname = \"api\"\nversion = \"0.1.0\"\ndependencies = [\"shared\"]\n",
	})
	src, err := findDeps(root, "api")
	if err != nil || src == nil {
		t.Fatalf("findDeps: %+v, %v", src, err)
	}
	want := []string{
		"--extra-index-url https://corp.example/simple",
		"shared @ file://" + filepath.ToSlash(filepath.Join(root, "packages", "shared")),
	}
	if !slices.Equal(src.Reqs, want) {
		t.Errorf("Reqs =\n%q\nwant\n%q", src.Reqs, want)
	}
	if !slices.Contains(src.Files, filepath.Join(root, "pyproject.toml")) {
		t.Errorf("Files %v lack the workspace root's pyproject.toml", src.Files)
	}
	for dir, member := range map[string]bool{"api": true, "packages/shared": true, "packages/skip": false, "other": false} {
		ws, err := findUVWorkspace(root, dir)
		if err != nil || (ws != nil) != member {
			t.Errorf("findUVWorkspace(%s) = %+v, %v; want member %t", dir, ws, err, member)
		}
	}
}

// A Pipfile's first [[source]] is the default index and the others are
// searched too; a package's index must be one of them.
func TestPipfileSources(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"Pipfile": `[[source]]
name = "corp"
url = "https://corp.example/simple"
verify_ssl = true

[[source]]
name = "pypi"
url = "https://pypi.org/simple"

[[source]]
name = "extra"
url = "https://extra.example/simple"

[packages]
mylib = { version = "==1.0", index = "corp" }
six = "*"
local = { path = "./lib" }
`,
	})
	src, err := findDeps(root, ".")
	if err != nil || src == nil {
		t.Fatalf("findDeps: %+v, %v", src, err)
	}
	want := []string{
		"--index-url https://corp.example/simple",
		"--extra-index-url https://extra.example/simple",
		"local @ file://" + filepath.ToSlash(filepath.Join(root, "lib")),
		"mylib==1.0",
		"six",
	}
	if !slices.Equal(src.Reqs, want) {
		t.Errorf("Reqs =\n%q\nwant\n%q", src.Reqs, want)
	}

	writeTree(t, root, map[string]string{"Pipfile": "[packages]\nmylib = { version = \"*\", index = \"corp\" }\n"})
	if _, err := findDeps(root, "."); err == nil || !strings.Contains(err.Error(), "Pipfile") || !strings.Contains(err.Error(), "[[source]]") {
		t.Errorf("an index that is no [[source]]: %v, want an error naming Pipfile and [[source]]", err)
	}

	writeTree(t, root, map[string]string{"Pipfile.lock": `{"_meta": {"sources": [{"name": "corp", "url": "https://corp.example/simple"}]},
"default": {"mylib": {"version": "==1.0", "index": "corp"}}}`})
	src, err = findDeps(root, ".")
	if err != nil || src == nil {
		t.Fatalf("findDeps: %+v, %v", src, err)
	}
	if want := []string{"--index-url https://corp.example/simple", "mylib==1.0"}; !slices.Equal(src.Reqs, want) {
		t.Errorf("Pipfile.lock Reqs = %q, want %q", src.Reqs, want)
	}
}

// pylock.toml's package indexes other than PyPI are searched.
func TestPylockIndexes(t *testing.T) {
	lock := `lock-version = "1.0"
[[packages]]
name = "mylib"
version = "1.0"
index = "https://corp.example/simple"
[[packages]]
name = "six"
version = "1.16.0"
index = "https://pypi.org/simple/"
`
	reqs, _, err := pylockRequirements([]byte(lock), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"--extra-index-url https://corp.example/simple", "mylib==1.0", "six==1.16.0"}; !slices.Equal(reqs, want) {
		t.Errorf("reqs = %q, want %q", reqs, want)
	}
}

// The environment's index settings decide what is installed, so they
// are part of the dependency cache key.
func TestDepsKeyFollowsIndexEnv(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"requirements.txt": "mylib\n"})
	d, err := findLambdaDeps(root, ".")
	if err != nil || d == nil {
		t.Fatalf("findLambdaDeps: %+v, %v", d, err)
	}
	target := pyTarget{version: "3.12", wheelArch: "x86_64"}
	keys := map[string]bool{}
	for _, env := range [][]string{nil, {"PIP_INDEX_URL=https://a.example/simple"}, {"UV_EXTRA_INDEX_URL=https://b.example/simple"}, {"PIP_FIND_LINKS=/wheels"}} {
		k, err := depsKey(root, d, target, "uv", env)
		if err != nil {
			t.Fatal(err)
		}
		if keys[k] {
			t.Errorf("env %q: the same key as another index setting", env)
		}
		keys[k] = true
	}
}

// A pyproject.toml whose dependencies are only Poetry's installs none of
// them, on Vercel as here: say so.
func TestWarnPoetryOnly(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"pyproject.toml": "[tool.poetry]\nname = \"app\"\n\n[tool.poetry.dependencies]\npython = \"^3.12\"\nsix = \"*\"\n",
		"api/index.py":   "app = None\n",
	})
	var buf bytes.Buffer
	warnPoetryOnly(slog.New(slog.NewTextHandler(&buf, nil)), root, "api")
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "pyproject.toml") || !strings.Contains(out, "[tool.poetry.dependencies]") {
		t.Errorf("log = %q, want a warning naming pyproject.toml and [tool.poetry.dependencies]", out)
	}
}
