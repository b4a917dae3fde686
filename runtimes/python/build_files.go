package python

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes/fileutil"

	"github.com/bmatcuk/doublestar/v4"
)

// lambdaExcludes are the globs Vercel's Python builder leaves out of a
// Lambda (reference §5.4). A pattern "x/**" also excludes the directory x
// itself, so that the walk does not enter it.
var lambdaExcludes = []string{
	".git/**", ".gitignore", ".vercel/**", ".pnpm-store/**",
	"**/node_modules/**", "**/.next/**", "**/.nuxt/**",
	"**/.venv/**", "**/venv/**", "**/__pycache__/**",
	"**/.mypy_cache/**", "**/.ruff_cache/**", "**/public/**",
	"**/pnpm-lock.yaml", "**/yarn.lock", "**/package-lock.json",
}

// reservedRootNames are what the build writes at the root of a .func; a
// project file of the same name is left out (with a warning) rather than
// mixed with it.
var reservedRootNames = []string{trampolineFile, vendorDir}

// sourceFile is one project file copied into a .func.
type sourceFile struct {
	// rel is the slash path relative to the project root, which is also
	// its path in the .func.
	rel string
	// src is the file to read (symlinks resolved).
	src  string
	mode fs.FileMode
	size int64
}

// fileFilter decides which project paths go into a Lambda.
type fileFilter struct {
	exclude []string // doublestar patterns relative to the root
	ignore  *fileutil.Rules
	// skipDirs are absolute directories never entered (the output and the
	// cache directory when they are inside the project).
	skipDirs []string
}

// newFileFilter combines the Python builder's excludes, Vercel's default
// ignore list (.env.local, .env.*.local, .cache, .DS_Store, .hg, .svn, ...:
// files the CLI never uploads, so never part of a deployment), .vercelignore
// and the vercel.json excludeFiles globs (relative to the project root, as
// for Vercel's Python builder).
func newFileFilter(root string, excludeFiles []string, skipDirs ...string) (*fileFilter, error) {
	f := &fileFilter{exclude: slices.Clone(lambdaExcludes)}
	for _, pat := range excludeFiles {
		if pat == "" {
			continue
		}
		p := filepath.ToSlash(pat)
		if path.IsAbs(p) || filepath.IsAbs(pat) {
			return nil, fmt.Errorf("excludeFiles: pattern %q must be relative to the project root", pat)
		}
		p = strings.TrimPrefix(path.Clean(p), "./")
		if p == ".." || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("excludeFiles: pattern %q escapes the project", pat)
		}
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("excludeFiles: %q is not a valid glob", pat)
		}
		f.exclude = append(f.exclude, p)
	}
	b, err := fileutil.ReadIgnoreFile(func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(root, name)) })
	if err != nil {
		return nil, err
	}
	// .vercelignore comes after the defaults, so that its "!" lines can
	// re-include one of them, as with the project loader's list.
	f.ignore = fileutil.NewRules(fileutil.VercelDefaults, b)
	for _, d := range skipDirs {
		if d != "" {
			if abs, err := filepath.Abs(d); err == nil {
				f.skipDirs = append(f.skipDirs, abs)
			}
		}
	}
	return f, nil
}

// excluded reports whether rel (slash path, not ".") is left out.
func (f *fileFilter) excluded(rel string, isDir bool) bool {
	for _, p := range f.exclude {
		if ok, _ := doublestar.Match(p, rel); ok {
			return true
		}
		// "x/**" excludes the directory x itself.
		if dirPat, ok := strings.CutSuffix(p, "/**"); ok && isDir {
			if ok, _ := doublestar.Match(dirPat, rel); ok {
				return true
			}
		}
	}
	return f.ignore.Match(rel, isDir)
}

// collectSources lists the project files that go into a Lambda, sorted by
// path. Symlinks to files inside the project are followed; symlinks that
// leave it, and symlinked directories, are skipped with a warning.
func collectSources(root string, filter *fileFilter, log *slog.Logger) ([]sourceFile, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolving the project root: %w", err)
	}
	var files []sourceFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("listing the project files: %w", err)
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		isDir := d.IsDir()
		if isDir && slices.Contains(filter.skipDirs, p) {
			return filepath.SkipDir
		}
		if filter.excluded(rel, isDir) {
			if isDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.Contains(rel, "/") && slices.Contains(reservedRootNames, rel) {
			log.Warn("leaving a project file out of the Lambda: the build writes its own", "path", rel)
			if isDir {
				return filepath.SkipDir
			}
			return nil
		}
		if isDir {
			return nil
		}
		src := p
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("listing the project files: %w", err)
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			real, err := filepath.EvalSymlinks(p)
			if err != nil {
				log.Warn("skipping a broken symlink", "path", rel, "err", err)
				return nil
			}
			if !fileutil.Within(realRoot, real) {
				log.Warn("skipping a symlink that leaves the project", "path", rel, "target", real)
				return nil
			}
			if info, err = os.Stat(real); err != nil {
				return fmt.Errorf("listing the project files: %w", err)
			}
			if info.IsDir() {
				log.Warn("skipping a symlinked directory", "path", rel, "target", real)
				return nil
			}
			src = real
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		mode := fs.FileMode(0o644)
		if info.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		files = append(files, sourceFile{rel: rel, src: src, mode: mode, size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(files, func(a, b sourceFile) int { return strings.Compare(a.rel, b.rel) })
	return files, nil
}

// copySources copies files into outDir.
func copySources(outDir string, files []sourceFile) error {
	made := map[string]bool{}
	for _, f := range files {
		dst := filepath.Join(outDir, filepath.FromSlash(f.rel))
		if dir := filepath.Dir(dst); !made[dir] {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("copying %s: %w", f.rel, err)
			}
			made[dir] = true
		}
		if err := fileutil.CopyFile(dst, f.src, f.mode); err != nil {
			return fmt.Errorf("copying %s: %w", f.rel, err)
		}
	}
	return nil
}
