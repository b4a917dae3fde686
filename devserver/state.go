package devserver

import (
	"context"
	"fmt"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/routing"
)

// snapshot is everything a request needs, immutable once published: the
// project model, its compiled router, the functions by ID, the static
// files and the child environment. Requests load the current snapshot
// with one atomic read; reloads publish a new one.
type snapshot struct {
	proj   *project.Project
	router *routing.Router
	routes *routeCache // of router's results; nil when they cannot be kept
	// funcs are keyed by function ID. *function values live across
	// snapshots as long as the function exists.
	funcs map[string]*function
	// static holds the files under staticRoot (slash paths relative to
	// it), minus ignored ones. staticRoot is absolute; "" when the project
	// has no public directory.
	static     map[string]struct{}
	staticRoot string
	ignorer    *fileutil.Rules
	// env is the complete environment of function processes.
	env []string
}

// IsFunction implements routing.FunctionSet.
func (s *snapshot) IsFunction(p string) bool {
	_, ok := s.funcs[p]
	return ok
}

// Exists implements routing.Filesystem: function IDs and static files are
// the outputs.
func (s *snapshot) Exists(p string) bool {
	if _, ok := s.funcs[p]; ok {
		return true
	}
	_, ok := s.static[p]
	return ok
}

// load reads the project and builds a snapshot. Functions that exist in
// prev with the same entrypoint file and language keep their *function
// (and so their process); it is the caller's job to retire the others.
func (s *Server) load(ctx context.Context, prev *snapshot) (*snapshot, error) {
	p, err := project.Load(ctx, s.root, project.Options{Cache: s.cache})
	if err != nil {
		return nil, err
	}
	router, err := routing.NewRouter(p.Routes, routing.FSOptions{
		CleanURLs: p.Config.CleanURLs, TrailingSlash: p.Config.TrailingSlash != nil && *p.Config.TrailingSlash,
	})
	if err != nil {
		return nil, fmt.Errorf("compiling the routes of %s: %w", s.root, err)
	}
	snap := &snapshot{proj: p, router: router, routes: newRouteCache(router), funcs: make(map[string]*function, len(p.Functions))}
	// As project.Load and the build: .vercelignore, else .nowignore.
	ignore, _ := fileutil.ReadIgnoreFile(func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(s.root, name)) })
	snap.ignorer = fileutil.NewRules(fileutil.VercelDefaults, ignore)
	if p.PublicDir != "" {
		snap.staticRoot = filepath.Join(s.root, filepath.FromSlash(p.PublicDir))
		snap.static = scanStatic(s.root, snap.staticRoot, snap.ignorer, p.StaticExcluded)
	}
	env, warnings := buildEnv(s.root, os.Environ(), p.Config.Env, s.hostPort)
	snap.env = env
	for _, w := range warnings {
		s.warn(w)
	}
	for _, def := range p.Functions {
		var f *function
		if prev != nil {
			if old := prev.funcs[def.ID]; old != nil {
				od := old.def.Load()
				if od.File == def.File && od.Language() == def.Language() {
					f = old
				}
			}
		}
		if f == nil {
			f = newFunction(s, def)
		}
		snap.funcs[def.ID] = f
	}
	return snap, nil
}

// reportLoad emits EventProjectLoaded and warns about functions no runtime
// can run.
func (s *Server) reportLoad(snap *snapshot, prev *snapshot) {
	ids := make([]string, 0, len(snap.funcs))
	for id, f := range snap.funcs {
		ids = append(ids, id)
		lang := f.def.Load().Language()
		if _, ok := s.cfg.Runtimes[lang]; !ok && (prev == nil || prev.funcs[id] == nil) {
			s.warn(fmt.Sprintf("%s: no %s runtime is available; its requests will fail", f.def.Load().File, lang))
		}
	}
	slices.Sort(ids)
	verb := "loaded"
	if prev != nil {
		verb = "reloaded"
	}
	msg := fmt.Sprintf("%s project: %d function(s)", verb, len(ids))
	if len(ids) > 0 {
		msg += ": " + strings.Join(ids, ", ")
	}
	switch {
	case snap.proj.Legacy():
		if len(snap.static) > 0 {
			msg += fmt.Sprintf("; %d static file(s) from @vercel/static builds", len(snap.static))
		}
	case snap.proj.PublicDir == ".":
		if len(snap.static) > 0 {
			msg += fmt.Sprintf("; %d static file(s) in the project root (no public/)", len(snap.static))
		}
	case snap.staticRoot != "":
		msg += fmt.Sprintf("; %d static file(s) in %s/", len(snap.static), snap.proj.PublicDir)
	}
	s.out.emit(Event{Type: EventProjectLoaded, Message: msg, Diagnostics: snap.proj.Diagnostics})
	if prev == nil && len(ids) == 0 && snap.staticRoot == "" {
		s.warn(fmt.Sprintf("nothing to serve in %s: no functions (api/**/*.go, api/**/*.py, a Go server, a Python app) and no static files; is it the project's root? Files added later are picked up", s.root))
	}
}

// withStatic returns a copy of snap with the static files rescanned. The
// copy gets a route cache of its own: the old one's results were decided
// on the old set of files.
func (s *Server) withStatic(snap *snapshot) *snapshot {
	cp := *snap
	if cp.staticRoot != "" {
		cp.static = scanStatic(s.root, cp.staticRoot, cp.ignorer, cp.proj.StaticExcluded)
	}
	cp.routes = newRouteCache(cp.router)
	return &cp
}

// scanStatic lists the regular files below dir that the ignore rules keep
// and excluded (given a slash path relative to root) does not drop.
func scanStatic(root, dir string, ig *fileutil.Rules, excluded func(rel string, isDir bool) bool) map[string]struct{} {
	files := make(map[string]struct{})
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable parts are simply not served
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		if slashRel := filepath.ToSlash(rel); ig.Ignored(slashRel, d.IsDir()) || excluded(slashRel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			// Symlinks are served when they lead to a regular file.
			if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		}
		srel, err := filepath.Rel(dir, p)
		if err == nil {
			files[filepath.ToSlash(srel)] = struct{}{}
		}
		return nil
	})
	return files
}

// ignoreWatch is what the file watcher skips: version control, dependency
// and cache directories, and editor swap files. It is deliberately not
// .vercelignore: an ignored file may still be a function's input.
func ignoreWatch(rel string, isDir bool) bool {
	for seg := range strings.SplitSeq(rel, "/") {
		switch seg {
		case ".git", ".hg", ".svn", "node_modules", ".vercel", "__pycache__", ".venv", "venv",
			".mypy_cache", ".pytest_cache", ".ruff_cache", ".idea":
			return true
		}
	}
	if isDir {
		return false
	}
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	return strings.HasSuffix(base, ".swp") || strings.HasSuffix(base, ".swx") ||
		strings.HasSuffix(base, "~") || base == "4913" || strings.HasPrefix(base, ".#")
}
