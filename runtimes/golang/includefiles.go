package golang

import (
	"fmt"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// includedFile is one file that includeFiles copies into the .func.
type includedFile struct {
	// src is the file to read: a real path inside the project, symlinks
	// resolved.
	src string
	// dest is the slash path inside the .func.
	dest string
	// mode is 0o755 for executables, else 0o644.
	mode fs.FileMode
}

// alwaysExcluded are root-level directories includeFiles never copies:
// the build's own output and caches, and version control.
var alwaysExcluded = []string{".vercel", ".git"}

// IncludeBase is the folder, a slash path relative to the project root,
// that the vercel.json includeFiles globs of file are relative to: the
// function's folder for a function (as Vercel's Go builder globs from the
// entrypoint's directory), the project root (".") for a standalone server
// (server true). The project model checks the globs from the same folder.
func IncludeBase(file string, server bool) string {
	if server {
		return "."
	}
	return path.Dir(path.Clean(file))
}

// IncludeGlob joins an includeFiles glob to base (see IncludeBase) into a
// glob relative to the project root. base is a folder name, not a glob: a
// function in api/[team]/ globs from that folder, so its brackets are
// escaped.
func IncludeGlob(base, glob string) string {
	return path.Join(escapeGlob(base), filepath.ToSlash(glob))
}

// escapeGlob quotes the characters doublestar gives a meaning to.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?[]{}\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// resolveIncludes expands vercel.json includeFiles globs (doublestar
// syntax) relative to base, a slash path relative to root: the function's
// folder for functions (as Vercel does), "." for servers. Files keep their
// path relative to base in the .func, or their path relative to the project
// root when they are outside base.
//
// A pattern that escapes the project ("../x", "/etc/x") is an error.
// Symlinks are followed only when their target stays inside the project;
// others are skipped with a warning. A matched directory is copied
// recursively. excludeFiles globs (same base) remove files from the result.
// The result is sorted by dest.
func resolveIncludes(root, base string, include, exclude []string, log *slog.Logger) ([]includedFile, error) {
	if len(include) == 0 {
		return nil, nil
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolving project root: %w", err)
	}
	var excl []string
	for _, pat := range exclude {
		p, err := projectPattern(base, pat)
		if err != nil {
			return nil, fmt.Errorf("excludeFiles: %w", err)
		}
		excl = append(excl, p)
	}
	r := &includeResolver{root: root, realRoot: realRoot, base: base, exclude: excl, log: log,
		seen: map[string]bool{}, visited: map[string]bool{}}
	for _, pat := range include {
		if pat == "" {
			continue
		}
		p, err := projectPattern(base, pat)
		if err != nil {
			return nil, fmt.Errorf("includeFiles: %w", err)
		}
		matches, err := doublestar.Glob(os.DirFS(root), p, doublestar.WithNoFollow())
		if err != nil {
			return nil, fmt.Errorf("includeFiles: expanding %q: %w", pat, err)
		}
		for _, m := range matches {
			if err := r.add(m); err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(r.files, func(a, b includedFile) int { return strings.Compare(a.dest, b.dest) })
	return r.files, nil
}

// projectPattern joins a glob to base and rejects one that leaves the
// project.
func projectPattern(base, pat string) (string, error) {
	slashed := filepath.ToSlash(pat)
	if path.IsAbs(slashed) || filepath.IsAbs(pat) {
		return "", fmt.Errorf("pattern %q escapes the project: it must be relative", pat)
	}
	p := IncludeGlob(base, slashed)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", fmt.Errorf("pattern %q escapes the project", pat)
	}
	if !doublestar.ValidatePattern(p) {
		return "", fmt.Errorf("pattern %q is not a valid glob", pat)
	}
	return p, nil
}

type includeResolver struct {
	root, realRoot, base string
	exclude              []string
	log                  *slog.Logger
	files                []includedFile
	seen                 map[string]bool // dests already added
	visited              map[string]bool // real directories already walked
}

// add adds the file or directory at rel (slash path relative to root).
func (r *includeResolver) add(rel string) error {
	// Cleaned: a glob such as ".." from api/ matches "." (the root), whose
	// children must still be ".git", not "./.git".
	rel = path.Clean(rel)
	if first, _, _ := strings.Cut(rel, "/"); slices.Contains(alwaysExcluded, first) {
		return nil
	}
	for _, ex := range r.exclude {
		if ok, _ := doublestar.Match(ex, rel); ok {
			return nil
		}
	}
	abs := filepath.Join(r.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		r.log.Warn("includeFiles: skipping unreadable path", "path", rel, "err", err)
		return nil
	}
	if !fileutil.Within(r.realRoot, real) {
		r.log.Warn("includeFiles: not following a symlink that leaves the project", "path", rel, "target", real)
		return nil
	}
	fi, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("includeFiles: %w", err)
	}
	switch {
	case fi.IsDir():
		if r.visited[real] {
			return nil
		}
		r.visited[real] = true
		entries, err := os.ReadDir(real)
		if err != nil {
			return fmt.Errorf("includeFiles: %w", err)
		}
		for _, e := range entries {
			if err := r.add(path.Join(rel, e.Name())); err != nil {
				return err
			}
		}
	case fi.Mode().IsRegular():
		dest := rel
		if r.base != "." && strings.HasPrefix(rel, r.base+"/") {
			dest = rel[len(r.base)+1:]
		}
		if dest == "bootstrap" || dest == "user-server" {
			return fmt.Errorf("includeFiles: %s would overwrite the function's %s", rel, dest)
		}
		if r.seen[dest] {
			return nil
		}
		r.seen[dest] = true
		mode := fs.FileMode(0o644)
		if fi.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		r.files = append(r.files, includedFile{src: real, dest: dest, mode: mode})
	}
	return nil
}

// copyIncludes copies the files into outDir.
func copyIncludes(outDir string, files []includedFile) error {
	for _, f := range files {
		dst := filepath.Join(outDir, filepath.FromSlash(f.dest))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("copying %s: %w", f.dest, err)
		}
		if err := fileutil.CopyFile(dst, f.src, f.mode); err != nil {
			return fmt.Errorf("copying %s: %w", f.dest, err)
		}
	}
	return nil
}
