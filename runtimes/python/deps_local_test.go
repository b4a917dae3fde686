package python

import (
	"slices"
	"testing"
)

func TestLocalRequirementPaths(t *testing.T) {
	dir := "/proj"
	lines := []string{
		"flask==3.0.0",
		"./wheels/mylib-1.0-py3-none-any.whl",
		"../shared/lib  # comment",
		"other @ file:///abs/other.tar.gz",
		"pkg @ file:./vendor/pkg ; python_version >= '3.9'",
		"-e ../editable",
		"--find-links ./dist",
		"--find-links=https://example.com/simple",
		"-f ./more",
		"remote @ https://example.com/remote.whl",
		"# ./commented",
		"/abs/local.whl#sha256=00",
	}
	want := []string{
		"/proj/wheels/mylib-1.0-py3-none-any.whl", "/shared/lib", "/abs/other.tar.gz", "/proj/vendor/pkg",
		"/editable", "/proj/dist", "/proj/more", "/abs/local.whl",
	}
	if got := localRequirementPaths(lines, dir); !slices.Equal(got, want) {
		t.Errorf("localRequirementPaths =\n%q\nwant\n%q", got, want)
	}
}

// A rebuilt local wheel is a new install: the dependency key follows what
// the requirements point to, not only the requirements file.
func TestDepsKeyFollowsLocalFiles(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"requirements.txt":                  "./wheels/mylib-1.0-py3-none-any.whl\n--find-links ./dist\n",
		"wheels/mylib-1.0-py3-none-any.whl": "one",
		"dist/a-1.0-py3-none-any.whl":       "a",
		"api/index.py":                      "app = None\n",
	})
	d, err := findLambdaDeps(root, ".")
	if err != nil || d == nil {
		t.Fatalf("findLambdaDeps: %+v, %v", d, err)
	}
	target := pyTarget{version: "3.12", wheelArch: "x86_64"}
	key := func() string {
		t.Helper()
		k, err := depsKey(root, d, target, "uv")
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k1 := key()
	writeTree(t, root, map[string]string{"wheels/mylib-1.0-py3-none-any.whl": "two"})
	k2 := key()
	if k1 == k2 {
		t.Error("the key did not change with the local wheel's content")
	}
	writeTree(t, root, map[string]string{"dist/b-1.0-py3-none-any.whl": "b"})
	if k3 := key(); k3 == k2 {
		t.Error("the key did not change with a new wheel in the --find-links folder")
	}
}

func TestUVLockPinsForks(t *testing.T) {
	lock := `version = 1
requires-python = ">=3.9"
resolution-markers = ["python_full_version >= '3.10'", "python_full_version < '3.10'"]

[[package]]
name = "numpy"
version = "2.0.2"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.10'"]

[[package]]
name = "numpy"
version = "2.2.6"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version >= '3.10'"]

[[package]]
name = "six"
version = "1.16.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "torch"
version = "2.5.1+cpu"
source = { registry = "https://download.pytorch.org/whl/cpu" }

[[package]]
name = "urllib3"
version = "2.2.3"
source = { registry = "https://pypi.org/simple/" }

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
`
	got, indexes, err := uvLockPins([]byte(lock))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"numpy==2.0.2 ; (python_full_version < '3.10')",
		"numpy==2.2.6 ; (python_full_version >= '3.10')",
		"six==1.16.0",
		"torch==2.5.1+cpu",
		"urllib3==2.2.3",
	}
	if !slices.Equal(got, want) {
		t.Errorf("pins =\n%q\nwant\n%q", got, want)
	}
	if want := []string{"https://download.pytorch.org/whl/cpu"}; !slices.Equal(indexes, want) {
		t.Errorf("indexes = %q, want %q (PyPI's, with or without a slash, is the default)", indexes, want)
	}
}
