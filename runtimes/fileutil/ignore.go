// Package fileutil holds the small file-system helpers that the project loader
// and the runtimes share: Vercel's ignore rules (the default list and
// .vercelignore in gitignore syntax) and copying a file into an artifact.
// It sits at the bottom of the module, below project, so both can use it.
package fileutil

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"
)

// VercelDefaults is Vercel's default ignore list (reference §3.1): these
// never count as project files, are never served and never watched.
var VercelDefaults = []string{
	".hg", ".git", ".gitmodules", ".svn", ".cache", ".next", ".now", ".vercel",
	".npmignore", ".dockerignore", ".gitignore", ".*.swp", ".DS_Store",
	".env.local", ".env.*.local", ".venv", ".yarn/cache", ".pnp*",
	"node_modules", "__pycache__", "venv", "CVS",
}

// IgnoreFiles are the project's ignore files in the order Vercel looks for
// them: .vercelignore, else the legacy .nowignore.
var IgnoreFiles = []string{".vercelignore", ".nowignore"}

// ReadIgnoreFile returns the content of the first of IgnoreFiles that read
// (given a name relative to the project root) finds; nil when there is none.
// An ignore file that is a folder counts as absent, as for Vercel, which
// reads an ignore file it cannot read as empty; project.Load warns about
// it (IsFolderError tells that error).
func ReadIgnoreFile(read func(name string) ([]byte, error)) ([]byte, error) {
	for _, name := range IgnoreFiles {
		b, err := read(name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !IsFolderError(err) {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
	}
	return nil, nil
}

// IsFolderError reports whether err is reading a folder as a file (as
// os.ReadFile of a folder fails).
func IsFolderError(err error) bool {
	return errors.Is(err, syscall.EISDIR)
}

// ignoreRule is one line of an ignore file in gitignore syntax.
type ignoreRule struct {
	pattern string // doublestar pattern, anchored at the root
	// base is set for patterns without a slash ("node_modules", "*.log"):
	// they match the last path segment at any depth, which path.Match on
	// the base name decides much faster than a "**/" doublestar pattern.
	base    string
	negate  bool
	dirOnly bool
}

// Rules decide which project paths are ignored, from patterns in gitignore
// syntax (Vercel's defaults, .vercelignore: "#" comments, "!" negation, a trailing
// "/" for directories, a leading or inner "/" anchoring at the root, "**").
//
// It is written here on top of doublestar rather than taken from a
// gitignore library because the Go gitignore packages available are either
// unmaintained or part of a large VCS library; the subset Vercel honours is
// small and fully tested in ignore_test.go.
type Rules struct {
	rules []ignoreRule
}

// NewRules builds Rules from patterns (such as VercelDefaults) followed by
// the lines of ignore files (the contents of .vercelignore; nil when
// absent). Later rules win, as in git.
func NewRules(patterns []string, ignoreFiles ...[]byte) *Rules {
	ig := &Rules{}
	for _, p := range patterns {
		ig.add(p)
	}
	for _, f := range ignoreFiles {
		sc := bufio.NewScanner(bytes.NewReader(f))
		for sc.Scan() {
			ig.add(sc.Text())
		}
	}
	return ig
}

func (ig *Rules) add(line string) {
	line = strings.TrimRight(line, " \t\r")
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	r := ignoreRule{}
	if strings.HasPrefix(line, "!") {
		r.negate = true
		line = line[1:]
	}
	line = strings.TrimPrefix(line, `\`)
	// Vercel drops a leading "./" (@vercel/client's clearRelative).
	line = strings.TrimPrefix(line, "./")
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimSuffix(line, "/")
	}
	if line == "" {
		return
	}
	// "dir/**" matches everything inside dir but not dir itself, so that
	// "!dir/file" can re-include a file (gitignore; doublestar's "**"
	// would also match dir).
	if rest, ok := strings.CutSuffix(line, "/**"); ok && rest != "" {
		line = rest + "/**/*"
	}
	// A pattern with a slash (other than a trailing one) is anchored at
	// the root; otherwise it matches at any depth.
	if strings.Contains(line, "/") {
		r.pattern = strings.TrimPrefix(line, "/")
		if !doublestar.ValidatePattern(r.pattern) {
			return
		}
	} else {
		if _, err := path.Match(line, ""); err != nil {
			return
		}
		r.base = line
	}
	ig.rules = append(ig.rules, r)
}

// Ignored reports whether rel (slash-separated, relative to the root) is
// ignored. isDir tells whether rel is a directory. It also checks the
// parents: a file inside an ignored directory is ignored. Callers walking a
// tree, which skip ignored directories, use the cheaper Match.
func (ig *Rules) Ignored(rel string, isDir bool) bool {
	if rel == "" || rel == "." {
		return false
	}
	// Check parents first: a file inside an ignored directory is ignored
	// (gitignore cannot re-include a file whose parent is excluded).
	if dir := path.Dir(rel); dir != "." && ig.Ignored(dir, true) {
		return true
	}
	return ig.Match(rel, isDir)
}

// Match reports whether rel itself matches the rules, without looking at
// its parents (the caller has already skipped ignored directories).
func (ig *Rules) Match(rel string, isDir bool) bool {
	ignored := false
	for _, r := range ig.rules {
		if r.dirOnly && !isDir {
			continue
		}
		var ok bool
		if r.base != "" {
			ok, _ = path.Match(r.base, path.Base(rel))
		} else {
			ok, _ = doublestar.Match(r.pattern, rel)
		}
		if ok {
			ignored = !r.negate
		}
	}
	return ignored
}
