package python

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func writeTestFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A function's inputs are the project modules it imports, through any
// depth and form of import, and not the other functions' files.
func TestInputsFollowImports(t *testing.T) {
	root := t.TempDir()
	writeTestFiles(t, root, map[string]string{
		"api/__init__.py":        "",
		"api/a.py":               "import json\nfrom lib import helpers\nfrom . import util\nfrom .shapes.circle import area\n\ndef handler(): pass\n",
		"api/util.py":            "X = 1\n",
		"api/shapes/__init__.py": "",
		"api/shapes/circle.py":   "def area(): pass\n",
		"api/b.py":               "import lib.other\n",
		"lib/__init__.py":        "",
		"lib/helpers.py":         "try:\n    from .deep import x\nexcept ImportError:\n    x = None\n",
		"lib/deep.py":            "x = 1\n",
		"lib/other.py":           "y = 2\n",
		"dyn/uses_importlib.py":  "import importlib\nmod = importlib.import_module('lib.other')\n",
		"api/dynamic.py":         "import dyn.uses_importlib\n",
	})
	in, err := (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: root, File: "api/a.py"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range in.Files {
		if rel, _ := filepath.Rel(root, f); filepath.Ext(rel) == ".py" {
			got = append(got, filepath.ToSlash(rel))
		}
	}
	slices.Sort(got)
	want := []string{"api/__init__.py", "api/a.py", "api/shapes/__init__.py", "api/shapes/circle.py", "api/util.py", "lib/__init__.py", "lib/deep.py", "lib/helpers.py"}
	if !slices.Equal(got, want) || len(in.Trees) != 0 {
		t.Errorf("inputs of api/a.py = %v (trees %v), want %v and no trees", got, in.Trees, want)
	}
	// importlib: the imports cannot be followed; every .py file counts.
	in, err = (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: root, File: "api/dynamic.py"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in.Trees, []string{root}) {
		t.Errorf("inputs of a function reaching importlib: trees %v, want [%s]", in.Trees, root)
	}
}

func TestAbsoluteModule(t *testing.T) {
	for _, tc := range []struct{ rel, name, want string }{
		{"api/x.py", "lib.y", "lib.y"},
		{"api/x.py", ".util", "api.util"},
		{"api/sub/x.py", "..util", "api.util"},
		{"api/__init__.py", ".m", "api.m"},
		{"x.py", "..up", ""},
	} {
		got, ok := absoluteModule(tc.rel, tc.name)
		if !ok {
			got = ""
		}
		if got != tc.want {
			t.Errorf("absoluteModule(%q, %q) = %q, want %q", tc.rel, tc.name, got, tc.want)
		}
	}
}
