// Package project loads a project directory into one model: its functions
// (api/ functions, Go standalone servers, Python framework apps), their
// routes, the vercel.json configuration and every diagnostic about them.
//
// Load is cheap enough to run on every keystroke: it walks the tree once,
// parses vercel.json with positions and analyzes entrypoints syntactically
// (no go list, no interpreter, no subprocess). It takes the editor's
// unsaved buffers as an overlay, and a Cache makes a reload after a one-file
// change re-analyze only that file.
//
// A broken project still loads: problems become Diagnostics, never errors.
// Load returns an error only when the directory itself cannot be read.
package project

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
)

// Options tune Load. The zero value loads from disk without caching.
type Options struct {
	// Overlay maps absolute file paths to unsaved contents that replace
	// (or add to) what is on disk. Nil means none.
	Overlay map[string][]byte
	// Cache memoizes per-file analysis between loads. Nil disables it.
	Cache *Cache
}

// loader holds the state of one Load call.
type loader struct {
	ctx  context.Context
	root string
	opts Options
	ig   *fileutil.Rules
	// files are the project's files (slash paths relative to root) after
	// ignores, sorted.
	files []string
	// sigs are the files' signatures, filled lazily by sig.
	dirents map[string]fs.DirEntry
	// ignored are the paths the walk left out (not entered, for
	// folders), except the root's .git and .vercel, whose files no build
	// ever uses.
	ignored []string
	// symlinks are the symbolic links the walk listed as files: a folder
	// behind one is not walked, but a build's includeFiles follows it.
	symlinks []string
	// includeMemo keeps includeMatches' answers for this load.
	includeMemo map[string]bool
	// configSrc is the vercel.json contents (nil when absent).
	configSrc []byte
	diags     []runtimes.Diagnostic
}

// Load reads the project at dir.
func Load(ctx context.Context, dir string, opts Options) (*Project, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("loading project %s: %w", dir, err)
	}
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("loading project %s: %w", dir, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("loading project %s: not a directory", dir)
	}
	l := &loader{ctx: ctx, root: root, opts: opts}
	vi := l.readIgnoreFile()
	l.ig = fileutil.NewRules(fileutil.VercelDefaults, vi)
	if err := l.walk(); err != nil {
		return nil, err
	}

	p := &Project{Root: root}
	p.Config = l.loadConfig()
	p.GoVersion, err = l.withDiags(l.goVersion())
	if err != nil {
		return nil, err
	}
	p.PythonVersion, _ = l.withDiags(l.pythonVersion())
	if p.Legacy() {
		p.StaticGlobs = l.staticBuilds(p.Config)
		if len(p.StaticGlobs) > 0 {
			p.PublicDir = "."
		}
	} else {
		p.PublicDir = l.publicDir(p.Config)
	}

	if err := l.discover(p); err != nil {
		return nil, err
	}
	l.diags = append(l.diags, l.tomlSyntax(p.HasPython())...)
	if p.PublicDir == "" && l.rootStatic(p) {
		p.PublicDir = "."
	}
	l.resolveConfig(p)
	l.checkIncludeFiles(p)
	l.checkStaticLinks(p)
	l.routes(p)
	p.Diagnostics = sortDiagnostics(l.diags)
	return p, nil
}

// readIgnoreFile returns .vercelignore, else .nowignore (as
// fileutil.ReadIgnoreFile), nil when there is none. One that is a folder
// is a warning and counts as absent, as for Vercel and the build; one that
// cannot be read is an error. Either way the project loads: the ignore
// files are user input like any other.
func (l *loader) readIgnoreFile() []byte {
	for _, name := range fileutil.IgnoreFiles {
		b, err := l.read(name)
		switch {
		case err == nil:
			return b
		case errors.Is(err, fs.ErrNotExist):
		case fileutil.IsFolderError(err):
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: name, Severity: runtimes.SeverityWarning, Code: "ignore-file-folder",
				Message: fmt.Sprintf("%s is a folder, so no ignore rules are read from it (Vercel does not read it either); remove the folder, or make %s a file of ignore patterns", name, name),
			})
		default:
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: name, Severity: runtimes.SeverityError, Code: "ignore-file-unreadable",
				Message: fmt.Sprintf("reading %s: %v; make it readable or remove it", name, err),
			})
			return nil
		}
	}
	return nil
}

func (l *loader) withDiags(v Version, d []runtimes.Diagnostic) (Version, error) {
	l.diags = append(l.diags, d...)
	return v, l.ctx.Err()
}

// read returns a project file (slash path relative to root), overlay first.
func (l *loader) read(rel string) ([]byte, error) {
	abs := filepath.Join(l.root, filepath.FromSlash(rel))
	if data, ok := l.opts.Overlay[abs]; ok {
		return data, nil
	}
	return os.ReadFile(abs)
}

// sig identifies the current version of a project file for the cache.
func (l *loader) sig(rel string) (fileSig, bool) {
	abs := filepath.Join(l.root, filepath.FromSlash(rel))
	if data, ok := l.opts.Overlay[abs]; ok {
		return fileSig{sum: maphash.Bytes(l.opts.Cache.seed, data), overlay: true}, true
	}
	d, ok := l.dirents[rel]
	if !ok {
		return fileSig{}, false
	}
	info, err := d.Info()
	if err != nil {
		return fileSig{}, false
	}
	return fileSig{size: info.Size(), mtime: info.ModTime()}, true
}

// walk lists the project's files, skipping ignored paths.
func (l *loader) walk() error {
	seen := map[string]bool{}
	l.dirents = map[string]fs.DirEntry{}
	// A root given through a symbolic link is walked where it leads
	// (WalkDir does not enter a link); the files keep their paths below
	// the root as given.
	top := l.root
	if real, err := filepath.EvalSymlinks(top); err == nil {
		top = real
	}
	err := filepath.WalkDir(top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == top {
				return err
			}
			return nil // unreadable entries are skipped, not fatal
		}
		if p == top {
			return nil
		}
		rel := filepath.ToSlash(p[len(top)+1:])
		if l.ig.Match(rel, d.IsDir()) {
			if rel != ".git" && rel != ".vercel" {
				l.ignored = append(l.ignored, rel)
			}
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return l.ctx.Err()
		}
		seen[rel] = true
		l.files = append(l.files, rel)
		l.dirents[rel] = d
		if d.Type()&fs.ModeSymlink != 0 {
			l.symlinks = append(l.symlinks, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing files of %s: %w", l.root, err)
	}
	// Unsaved new files exist only in the overlay.
	for abs := range l.opts.Overlay {
		rel, err := filepath.Rel(l.root, abs)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue
		}
		rel = filepath.ToSlash(rel)
		if !seen[rel] && !l.ig.Ignored(rel, false) {
			l.files = append(l.files, rel)
		}
	}
	sort.Strings(l.files)
	return nil
}

func (l *loader) loadConfig() *config.Config {
	data, err := l.read(config.File)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: config.File, Severity: runtimes.SeverityError, Code: "config-unreadable",
				Message: fmt.Sprintf("reading vercel.json: %v", err),
			})
		}
		return &config.Config{}
	}
	l.configSrc = data
	cfg, diags := config.Parse(config.File, data)
	l.diags = append(l.diags, diags...)
	if cfg == nil {
		cfg = &config.Config{Path: config.File}
	}
	return cfg
}

func (l *loader) publicDir(cfg *config.Config) string {
	dir := "public"
	if cfg.OutputDirectory != "" {
		dir = strings.Trim(path.Clean(cfg.OutputDirectory), "/")
	}
	prefix := dir + "/"
	i := sort.SearchStrings(l.files, prefix)
	if i < len(l.files) && strings.HasPrefix(l.files[i], prefix) {
		return dir
	}
	return ""
}

// rootStatic reports whether the project root is the static folder: a
// project of api functions without a public folder, and with files other
// than the api folder's and package.json (Vercel's detect-builders then
// adds the static builder "!{api/**,package.json}"). A Go server or a
// Python app gets only its public folder, and legacy builds only what
// they name.
func (l *loader) rootStatic(p *Project) bool {
	if !p.RootCanBeStatic() {
		return false
	}
	for _, f := range l.files {
		if !strings.HasPrefix(f, "api/") && f != "package.json" {
			return true
		}
	}
	return false
}

// exists reports whether rel is a project file.
func (l *loader) exists(rel string) bool {
	i := sort.SearchStrings(l.files, rel)
	return i < len(l.files) && l.files[i] == rel
}

func sortDiagnostics(d []runtimes.Diagnostic) []runtimes.Diagnostic {
	if d == nil {
		return []runtimes.Diagnostic{}
	}
	sort.SliceStable(d, func(i, j int) bool {
		a, b := d[i], d[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Range.Start.Offset != b.Range.Start.Offset {
			return a.Range.Start.Offset < b.Range.Start.Offset
		}
		return a.Code < b.Code
	})
	return d
}
