package golang

import (
	"context"
	"fmt"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/lambdalens/lambdalens/runtimes"
)

// loadTimeout bounds one go list run of Inputs and CacheKey.
const loadTimeout = 2 * time.Minute

// loadMode is go/packages' metadata mode: names, files, the import graph
// and modules; no type checking.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedImports |
	packages.NeedDeps | packages.NeedModule | packages.NeedEmbedFiles | packages.NeedEmbedPatterns

// Inputs returns what a dev process or build of req.File depends on:
//
//   - Dirs: the directory of every package in the entry's import closure
//     that is not read from GOROOT or the module cache: main and go.work
//     modules, modules replaced by a local directory and vendored copies
//     (go build reads vendor/, so an edit there matters, as it does to
//     CacheKey); any .go file added, removed or changed there matters
//     (Exts is [".go"]);
//   - Files: go.mod and go.sum of those modules, go.work and go.work.sum,
//     vendor/modules.txt, the files the packages embed, and the go.mod
//     files that would change the entry's module if they appeared (between
//     the entry and its module, or up to the project root when there is no
//     module). Files may name files that do not exist yet.
//
// It runs go list once (GOPROXY=off, so never the network) through
// golang.org/x/tools/go/packages. The dev server calls it only when imports
// or go.mod change, never on the rebuild path.
func (r *Runtime) Inputs(ctx context.Context, req runtimes.InputsRequest) (runtimes.Inputs, error) {
	op := "listing the inputs of " + req.File
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	settings, err := devSettings(nil)
	if err != nil {
		return runtimes.Inputs{}, fmt.Errorf("%s: %w", op, err)
	}
	p, err := r.plan(ctx, planSpec{
		root:     req.Root,
		file:     req.File,
		wrap:     wrapPackage,
		settings: settings,
		scratch:  filepath.Join(cacheDir(req.Root, req.CacheDir), "go", "inputs", entryName(req.Root, req.File)),
		cache:    cacheDir(req.Root, req.CacheDir),
		read:     req.Read,
		offline:  true,
	})
	if err != nil {
		return runtimes.Inputs{}, wrapOp(op, err)
	}
	pkgs, err := r.load(ctx, p)
	if err != nil {
		return runtimes.Inputs{}, fmt.Errorf("%s: %w", op, err)
	}
	goenv, err := r.goEnv(ctx, p)
	if err != nil {
		return runtimes.Inputs{}, fmt.Errorf("%s: %w", op, err)
	}

	t := p.t
	dirs := map[string]bool{t.pkgDir: true}
	files := map[string]bool{}
	trees := map[string]bool{}
	packages.Visit(pkgs, nil, func(pkg *packages.Package) {
		// The standard library (no module) and the module cache are the
		// toolchain's; everything else is the user's to edit. The same
		// line as hashClosure's.
		if pkg.Module == nil || inModCache(pkg, goenv.modCache) {
			return
		}
		if dir := filepath.Clean(pkg.Dir); pkg.Dir != "" {
			if t.relocated && dir == t.compileDir {
				dir = t.pkgDir // compiled from a virtual folder (see keymemo)
			}
			for _, tree := range embedTrees(filepath.Clean(pkg.Dir), dir, pkg.EmbedPatterns) {
				trees[tree] = true
			}
		}
		for _, f := range slices.Concat(pkg.GoFiles, pkg.OtherFiles, pkg.IgnoredFiles) {
			if real := p.realPath(f); real != "" {
				dirs[filepath.Dir(real)] = true
			}
		}
		for _, f := range pkg.EmbedFiles {
			if real := p.realPath(f); real != "" {
				files[real] = true
			}
		}
		if gomod := p.realPath(pkg.Module.GoMod); gomod != "" {
			files[gomod] = true
			files[filepath.Join(filepath.Dir(gomod), "go.sum")] = true
		}
	})
	for _, root := range pkgs {
		// go build's default -pgo=auto reads default.pgo beside the main
		// package (the user's, for a server).
		if real := p.realPath(filepath.Join(root.Dir, "default.pgo")); root.Name == "main" && root.Dir != "" && real != "" {
			files[real] = true
		}
	}
	for _, f := range p.moduleFiles() {
		files[f] = true
	}
	return runtimes.Inputs{
		Files:    sortedKeys(files),
		Dirs:     sortedKeys(dirs),
		AnyTrees: sortedKeys(trees),
		Exts:     []string{".go"},
		Skip:     []string{"_test.go"},
	}, nil
}

// load writes the plan's overlay and lists the closure of its package with
// go/packages.
func (r *Runtime) load(ctx context.Context, p *plan) ([]*packages.Package, error) {
	overlayPath, err := p.ov.write()
	if err != nil {
		return nil, err
	}
	env, done, err := withWorkDir(mergeEnv(p.env, []string{"GOPROXY=off"}))
	if err != nil {
		return nil, err
	}
	defer done()
	cfg := &packages.Config{
		Mode:    loadMode,
		Context: ctx,
		Dir:     p.t.modDir,
		Env:     env,
	}
	if overlayPath != "" {
		cfg.BuildFlags = []string{"-overlay=" + overlayPath}
	}
	pkgs, err := packages.Load(cfg, p.pkg)
	if err != nil {
		return nil, fmt.Errorf("listing packages: %w", err)
	}
	return pkgs, nil
}

// realPath maps a path the go command reported to the file on disk behind
// it: a virtual path laid over by the plan's overlay maps to the user file
// it stands for; generated files map to "".
func (p *plan) realPath(f string) string {
	if f == "" {
		return ""
	}
	f = filepath.Clean(f)
	if actual, ok := p.ov.replace[f]; ok {
		if org, ok := p.ov.origins[f]; ok && org.file != "" {
			return filepath.Join(p.t.root, filepath.FromSlash(org.file))
		}
		if actual == "" || strings.HasPrefix(actual, p.ov.scratch) {
			return ""
		}
		return actual
	}
	if fileutil.Within(p.t.genDir, f) {
		return ""
	}
	return f
}

// moduleFiles are the files outside the package closure that decide how
// the entry's module builds: go.work, go.work.sum, vendor/modules.txt, and
// the go.mod files whose appearance would change the module.
func (p *plan) moduleFiles() []string {
	t := p.t
	var out []string
	stop := t.modDir
	if t.virtualMod {
		stop = t.root
	}
	for d := t.pkgDir; ; d = filepath.Dir(d) {
		out = append(out, filepath.Join(d, "go.mod"))
		if d == stop || filepath.Dir(d) == d || !fileutil.Within(stop, d) {
			break
		}
	}
	if t.virtualMod {
		return out
	}
	out = append(out, filepath.Join(t.modDir, "vendor", "modules.txt"))
	if work := p.work; work != "" {
		out = append(out, work, work+".sum", filepath.Join(filepath.Dir(work), "vendor", "modules.txt"))
	}
	return out
}

// findWork returns the go.work the go command uses from dir: $GOWORK when
// set ("" for "off"), else the nearest go.work above dir.
func findWork(dir string, env []string) string {
	if v, ok := envValue(env, "GOWORK"); ok && v != "" && v != "auto" {
		if v == "off" {
			return ""
		}
		return v
	}
	for d := dir; ; d = filepath.Dir(d) {
		w := filepath.Join(d, "go.work")
		if fi, err := os.Stat(w); err == nil && fi.Mode().IsRegular() {
			return w
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// embedTrees are the folders in which a file may join a package through
// its //go:embed patterns (go/packages reports them joined to listed, the
// folder the go command compiled; dir is that folder on disk): for each
// pattern, the folder its leading elements without wildcards name,
// recursively, since a pattern that matches a folder embeds everything
// in it. A pattern that starts with a wildcard gives the package's folder.
func embedTrees(listed, dir string, patterns []string) []string {
	var out []string
	for _, pat := range patterns {
		rel, err := filepath.Rel(listed, pat)
		if err != nil || !filepath.IsLocal(rel) {
			continue
		}
		elems := strings.Split(strings.TrimPrefix(filepath.ToSlash(rel), "all:"), "/")
		lit := 0
		for lit < len(elems) && !strings.ContainsAny(elems[lit], `*?[\`) {
			lit++
		}
		out = append(out, filepath.Join(append([]string{dir}, elems[:lit]...)...))
	}
	return out
}
