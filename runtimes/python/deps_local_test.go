package python

import (
	"path/filepath"
	"slices"
	"strings"
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
		k, err := depsKey(root, d, target, "uv", nil)
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

// Lines ending in a backslash continue on the next, as pip reads them
// (pip-compile --generate-hashes writes every pin that way); a comment
// never continues, and the numbers are those of each logical line's first
// physical line, for errors.
func TestRequirementLinesJoinContinuations(t *testing.T) {
	in := "flask==3.0.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n" +
		"# a comment \\\n-r \\\r\n  base.txt\n./wheels/x.whl \\\n"
	got := requirementLines([]byte(in))
	want := []reqLine{
		{"flask==3.0.0     --hash=sha256:aa     --hash=sha256:bb", 1},
		{"# a comment \\", 4},
		{"-r   base.txt", 5},
		{"./wheels/x.whl ", 7},
	}
	if !slices.Equal(got, want) {
		t.Errorf("requirementLines =\n%+v\nwant\n%+v", got, want)
	}
	if got := parseRequirementIncludes([]byte(in)); !slices.Equal(got, []string{"base.txt"}) {
		t.Errorf("includes = %q, want [base.txt]", got)
	}
	// A comment ends a continued line, and stays a comment.
	if got := parseRequirementIncludes([]byte("-r base.txt\\\n# note\n")); !slices.Equal(got, []string{"base.txt"}) {
		t.Errorf("includes before a comment = %q, want [base.txt]", got)
	}
	if got := localRequirementPaths(requirementTexts([]byte(in)), "/proj"); !slices.Equal(got, []string{"/proj/wheels/x.whl"}) {
		t.Errorf("local paths = %q, want [/proj/wheels/x.whl]", got)
	}
}

// A missing include on a continued line is reported at the line it
// starts on, after continued lines before it.
func TestRequirementIncludeLineAfterContinuations(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"requirements.txt": "flask==3.0.0 \\\n    --hash=sha256:aa\n--requirement \\\n  missing.txt\n",
	})
	_, err := requirementIncludes(filepath.Join(root, "requirements.txt"))
	if err == nil || !strings.HasPrefix(err.Error(), "requirements.txt:3: --requirement missing.txt: ") {
		t.Errorf("got %v, want an error at requirements.txt:3", err)
	}
}
