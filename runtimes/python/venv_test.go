package python

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// A file requirements.txt includes decides the managed venv and is a dev
// input: editing it rebuilds the venv and restarts the process.
func TestVenvFollowsRequirementIncludes(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"requirements.txt":      "-r requirements/base.txt\n",
		"requirements/base.txt": "flask==3.0.0\n",
		"api/index.py":          "app = None\n",
	})
	deps, err := findLambdaDeps(root, ".")
	if err != nil || deps == nil {
		t.Fatalf("findLambdaDeps: %+v, %v", deps, err)
	}
	base := Interp{Path: "/usr/bin/python3", Version: "3.12"}
	h1, err := venvHash(base, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeTree(t, root, map[string]string{"requirements/base.txt": "flask==3.1.0\n"})
	h2, err := venvHash(base, deps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h1 == h2 {
		t.Error("the venv hash did not change with the included requirements file")
	}
	in, err := (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: root, File: "api/index.py"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(in.Files, filepath.Join(root, "requirements", "base.txt")) {
		t.Errorf("dev inputs lack the included requirements file: %v", in.Files)
	}
}
