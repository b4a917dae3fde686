package python

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// localLib is a pure-Python package "mylib" built with setuptools.
func localLib(name, value string) map[string]string {
	return map[string]string{
		name + "/pyproject.toml": "[project]\nname = \"" + name + "\"\nversion = \"0.1\"\n" +
			"[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n",
		name + "/" + name + "/__init__.py": "VALUE = " + value + "\n",
	}
}

// Issue (review): "-e ./lib" (also in a -r include) shipped an editable
// .pth pointing at this machine's path; with uv, any local tree failed
// with "Building source distributions is disabled".
func TestBuildLocalTrees(t *testing.T) {
	lambdatest.RequirePyPI(t)
	root := t.TempDir()
	files := map[string]string{
		"requirements.txt": "--editable ./liba\n-r sub/base.txt\n./libc\n",
		"sub/base.txt":     "-e ./libb  # shared code\n",
		"api/index.py":     "app = None\n",
	}
	for _, lib := range []string{"liba", "libb", "libc"} {
		for k, v := range localLib(lib, "1") {
			files[k] = v
		}
	}
	writeFiles(t, root, files)
	for name, env := range testInstallers(t) {
		t.Run(name, func(t *testing.T) {
			dir, _ := mustBuild(t, &Runtime{}, buildSpec{root: root, file: "api/index.py", env: env})
			vendor := filepath.Join(dir, vendorDir)
			for _, lib := range []string{"liba", "libb", "libc"} {
				if _, err := os.Stat(filepath.Join(vendor, lib, "__init__.py")); err != nil {
					t.Errorf("%s is not vendored as a package: %v", lib, err)
				}
			}
			if pth := findFiles(t, vendor, ".pth"); len(pth) > 0 {
				t.Errorf("editable .pth files vendored: %v", pth)
			}
		})
	}
	b, _ := os.ReadFile(filepath.Join(root, "sub", "base.txt"))
	if string(b) != files["sub/base.txt"] {
		t.Errorf("sub/base.txt was changed: %q", b)
	}
}

func TestEditableTarget(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"-e ./lib", "./lib"},
		{"--editable=../lib[x]  # c", "../lib[x]"},
		{"--editable\t./a", "./a"},
		{"-e.", "./"},
		{"-e .[dev]", "./[dev]"},
		{"-e git+https://h/r.git#egg=r", "git+https://h/r.git#egg=r"},
		{"--editables", ""},
		{"./lib", ""},
		{"-r base.txt", ""},
	} {
		got, ok := editableTarget(tc.line)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("editableTarget(%q) = %q, %v, want %q", tc.line, got, ok, tc.want)
		}
	}
}
