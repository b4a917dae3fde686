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
	d, err := findLambdaDeps(root)
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
