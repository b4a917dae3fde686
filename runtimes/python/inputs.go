package python

import (
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxInputModules bounds the import closure of one function: past it,
// every .py file of the project counts as an input.
const maxInputModules = 2000

// importClosure returns the project's .py files (slash paths relative to
// root) that file imports, directly or through other project modules,
// file included, with the __init__.py of every package on the way: what a
// dev process of file runs. Imports resolve as in dev and on Lambda, from
// the project root (api/x.py is module api.x; relative imports from its
// package). A name that is no project file (the standard library, an
// installed package) is skipped. ok is false when the imports cannot be
// followed from the source alone (importlib, __import__, a file that
// cannot be read, more than maxInputModules modules).
func importClosure(root, file string) (files []string, ok bool) {
	seen := map[string]bool{}
	var queue []string
	add := func(rel string) {
		if !seen[rel] {
			seen[rel] = true
			queue = append(queue, rel)
		}
	}
	exists := func(rel string) bool {
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil && st.Mode().IsRegular()
	}
	// modules adds the files that importing the dotted name runs: each
	// package's __init__.py and the module itself.
	modules := func(name string) {
		parts := strings.Split(name, ".")
		for i := 1; i <= len(parts); i++ {
			p := strings.Join(parts[:i], "/")
			for _, c := range []string{p + "/__init__.py", p + ".py"} {
				if exists(c) {
					add(c)
				}
			}
		}
	}
	add(file)
	modules(strings.TrimSuffix(file, ".py")) // the packages above the entrypoint
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		if len(seen) > maxInputModules {
			return nil, false
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, false
		}
		if bytes.Contains(src, []byte("importlib")) || bytes.Contains(src, []byte("__import__")) {
			return nil, false
		}
		m, _ := scanModule(src, newLineIndex(src))
		names := slices.Clone(m.imports)
		// "from a import b" may import module a.b: the aliases hold
		// the qualified names.
		for _, q := range m.aliases {
			names = append(names, q)
		}
		for _, name := range names {
			if abs, ok := absoluteModule(rel, name); ok {
				modules(abs)
			}
		}
	}
	files = make([]string, 0, len(seen))
	for rel := range seen {
		files = append(files, rel)
	}
	slices.Sort(files)
	return files, true
}

// absoluteModule resolves name, as imported by the module at rel (a slash
// path), to an absolute dotted name: relative names (".m", "..pkg.m")
// from rel's package. ok is false for a relative name that climbs above
// the root.
func absoluteModule(rel, name string) (string, bool) {
	if !strings.HasPrefix(name, ".") {
		return name, true
	}
	dots := len(name) - len(strings.TrimLeft(name, "."))
	rest := name[dots:]
	// The package of api/x.py and of api/__init__.py is api.
	pkg := strings.Split(path.Dir(rel), "/")
	if pkg[0] == "." {
		pkg = nil
	}
	if dots-1 > len(pkg) {
		return "", false
	}
	base := pkg[:len(pkg)-(dots-1)]
	if rest != "" {
		base = append(slices.Clone(base), strings.Split(strings.Trim(rest, "."), ".")...)
	}
	if len(base) == 0 {
		return "", false
	}
	return strings.Join(base, "."), true
}
