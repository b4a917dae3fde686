package golang

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// virtualModulePath is the module path of the go.mod that lambdalens lays
// over the entry's directory when no go.mod is found above it.
const virtualModulePath = "lambdalens.local/handler"

// genPrefix starts the name of the virtual directory, inside the entry's
// module, that holds generated packages. Import path elements cannot start
// with a dot, hence no ".lambdalens".
const genPrefix = "lambdalensgen_"

// target says where one entrypoint's package lives and how it is compiled.
// It is recomputed from the file system for every compile (a handful of
// stats and one small read), so a go.mod created or removed between two
// builds is picked up without asking the go command.
//
// The user's tree is never written: whatever the build needs beyond it
// (a generated main package, a go.mod when there is none, renamed copies of
// files) is laid over it with go build -overlay.
type target struct {
	// root is the absolute project root; file the entry, slash-separated
	// and relative to root.
	root, file string
	// entry is the absolute path of the entry file and pkgDir its
	// directory.
	entry, pkgDir string
	// modDir is the directory the go command runs in: the directory of the
	// nearest go.mod above pkgDir (searched up to the file system root,
	// beyond the project), or pkgDir itself when there is none.
	modDir  string
	modPath string
	// virtualMod is true when no go.mod was found: the build lays a
	// generated go.mod (module virtualModulePath) over pkgDir and sets
	// GOWORK=off.
	virtualMod bool
	// relocated is true when pkgDir has no valid import path (a directory
	// named "[id]", say): the package's files are laid over a virtual
	// directory inside genDir instead.
	relocated bool
	// compileDir is where the go command sees the entry's package (pkgDir,
	// or the virtual directory when relocated) and pkgImport its import
	// path.
	compileDir, pkgImport string
	// genDir is the virtual directory of generated packages and genImport
	// its import path. Its name carries a hash of the entry's path relative
	// to modDir, so it is the same in every checkout (import paths end up
	// in the binary) and differs between entries of one module.
	genDir, genImport string
	// id is a short hash of the entry's path relative to modDir.
	id string
}

// locate computes the target of the entry file (slash path relative to
// root).
func locate(root, file string) (*target, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("project root %q is not absolute", root)
	}
	clean := path.Clean(file)
	if file == "" || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return nil, fmt.Errorf("entry %q is not a path inside the project", file)
	}
	t := &target{root: filepath.Clean(root), file: clean}
	t.entry = filepath.Join(t.root, filepath.FromSlash(clean))
	t.pkgDir = filepath.Dir(t.entry)

	modDir, modPath, err := findModule(t.pkgDir)
	if err != nil {
		return nil, err
	}
	if modDir == "" {
		t.virtualMod = true
		t.modDir, t.modPath = t.pkgDir, virtualModulePath
	} else {
		t.modDir, t.modPath = modDir, modPath
	}

	rel, err := filepath.Rel(t.modDir, t.entry)
	if err != nil {
		return nil, fmt.Errorf("locating %s in its module: %w", file, err)
	}
	rel = filepath.ToSlash(rel)
	t.id = shortHash(rel)
	t.genDir = filepath.Join(t.modDir, genPrefix+t.id)
	t.genImport = t.modPath + "/" + genPrefix + t.id

	t.compileDir, t.pkgImport = t.pkgDir, t.modPath
	if relDir := path.Dir(rel); relDir != "." {
		t.pkgImport = t.modPath + "/" + relDir
	}
	if !validImportPath(t.pkgImport) {
		t.relocated = true
		t.compileDir = filepath.Join(t.genDir, "pkg")
		t.pkgImport = t.genImport + "/pkg"
	}
	return t, nil
}

// findModule searches dir and its parents for go.mod. It returns "" when
// there is none.
func findModule(dir string) (modDir, modPath string, err error) {
	for d := dir; ; {
		gomod := filepath.Join(d, "go.mod")
		if fi, err := os.Stat(gomod); err == nil && fi.Mode().IsRegular() {
			data, err := os.ReadFile(gomod)
			if err != nil {
				return "", "", fmt.Errorf("reading %s: %w", gomod, err)
			}
			mp, err := modulePath(data)
			if err != nil {
				return "", "", fmt.Errorf("reading %s: %w", gomod, err)
			}
			return d, mp, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", "", nil
		}
		d = parent
	}
}

// modulePath returns the path of a go.mod's module directive.
func modulePath(gomod []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "//"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != "module" {
			continue
		}
		p := strings.Join(f[1:], " ")
		if strings.HasPrefix(p, `"`) || strings.HasPrefix(p, "`") {
			u, err := strconv.Unquote(p)
			if err != nil {
				return "", fmt.Errorf("invalid module path %s: %w", p, err)
			}
			p = u
		}
		if p == "" {
			break
		}
		return p, nil
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", errors.New(`no module directive; add a line such as "module example.com/app" at its top`)
}

// validImportPath reports whether the go command accepts p as the import
// path of a package directory: the element rules of module.CheckImportPath
// and, for the last element, the first-character rule of the go command's
// SafeArg.
func validImportPath(p string) bool {
	elems := strings.Split(p, "/")
	for _, e := range elems {
		if e == "" || strings.Trim(e, ".") == "" || e[0] == '.' || e[len(e)-1] == '.' {
			return false
		}
		for _, r := range e {
			if !(r == '-' || r == '.' || r == '_' || r == '~' || r == '+' ||
				'0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') {
				return false
			}
		}
	}
	return SafeFileName(elems[len(elems)-1])
}

// SafeFileName reports whether the go command accepts name as a package
// file (cmd/go's SafeArg): it must not start with ASCII punctuation other
// than '.', '_' and '/'. "[id].go" fails.
func SafeFileName(name string) bool {
	if name == "" {
		return false
	}
	c := name[0]
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' ||
		c == '.' || c == '_' || c == '/' || c >= utf8.RuneSelf
}

// shortHash is the first 10 hex digits of the SHA-256 of s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:5])
}

// slug turns a path into an identifier-friendly string: every byte that is
// not an ASCII letter, digit or underscore becomes '_'.
// "api/[id].go" → "api__id__go".
func slug(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
