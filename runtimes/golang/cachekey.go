package golang

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/lambdalens/lambdalens/runtimes/fileutil"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang/lambdaloop"
)

// cacheKeyVersion changes when the way keys are computed changes.
const cacheKeyVersion = "lambdalens-go-cachekey-4"

// CacheKey returns a hex SHA-256 that changes whenever Build's output for
// req would. It hashes exactly what goes into the build:
//
//   - the entry, its kind and handler, the architecture, the go build
//     flags, the output-affecting environment (cacheKeyEnv) and the Go
//     version the go command selects for the module;
//   - for every package of the closure (listed with go/packages for
//     linux/<arch>, GOPROXY=off) that is not read from the module cache
//     (main, workspace and directory-replaced modules, vendored copies, and
//     the generated wrapper and lambdaloop runtime laid over the build):
//     the name and content of each Go, other and embedded file; for a
//     module-cache package, its module's path and version (the standard
//     library is covered by the Go version);
//   - go.mod, go.sum, go.work, go.work.sum and vendor/modules.txt;
//   - lambdaloop.Version;
//   - the includeFiles: their names, modes and contents.
//
// Names are relative to the module directory, so two checkouts of the same
// sources have the same key. Everything but the includeFiles is remembered
// between calls, and recomputed only when a file it came from changed
// (keymemo.go).
func (r *Runtime) CacheKey(ctx context.Context, req runtimes.BuildRequest) (string, error) {
	log := req.Logger
	if log == nil {
		log = r.logger()
	}
	op := "computing the cache key of " + req.File
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	settings, err := lambdaSettings(req.Arch, req.Env)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	server := req.Entrypoint.Kind == runtimes.KindServer
	includes, err := resolveIncludes(req.Root, IncludeBase(req.File, server), req.IncludeFiles, req.ExcludeFiles, log)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}

	scratch := r.lambdaScratch(req, settings)
	specs := []planSpec{{wrap: wrapLambda, scratch: scratch}}
	if server {
		specs = []planSpec{{wrap: wrapNone, scratch: scratch + "-server"}, {wrap: wrapChild, scratch: scratch + "-bootstrap"}}
	}
	plans := make([]*plan, len(specs))
	for i, spec := range specs {
		spec.root, spec.file, spec.symbol, spec.settings = req.Root, req.File, req.Entrypoint.Symbol, settings
		spec.cache = cacheDir(req.Root, req.CacheDir)
		if plans[i], err = r.plan(ctx, spec); err != nil {
			return "", wrapOp(op, err)
		}
	}
	memo := r.memoPath(req, settings, plans)
	closure, ok := recall(memo)
	if !ok {
		start := time.Now()
		var watched []string
		closure, watched, err = r.closureKey(ctx, req, settings, plans)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		if watched != nil {
			if err := remember(memo, closure, watched, start, r.memoWindow()); err != nil {
				log.Debug("not remembering the cache key", "file", req.File, "err", err)
			}
		}
	}

	h := sha256.New()
	field := func(k string, v ...string) { fmt.Fprintf(h, "%s %q\n", k, v) }
	field("closure", closure)
	for _, f := range includes {
		sum, err := fileHash(f.src)
		if err != nil {
			return "", fmt.Errorf("%s: %w", op, err)
		}
		field("include", f.dest, f.mode.String(), sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// closureKey hashes everything of req's key but the includeFiles, with
// the go command: see CacheKey. watched lists what the key was computed
// from (for the memo, keymemo.go); nil when it must not be remembered.
func (r *Runtime) closureKey(ctx context.Context, req runtimes.BuildRequest, settings buildSettings, plans []*plan) (key string, watched []string, err error) {
	h := sha256.New()
	field := func(k string, v ...string) { fmt.Fprintf(h, "%s %q\n", k, v) }
	field("version", cacheKeyVersion, lambdaloop.Version)
	field("entry", req.File, string(req.Entrypoint.Kind), req.Entrypoint.Symbol)
	field("target", settings.goos, settings.arch)
	field("flags", settings.flags...)
	for _, k := range slices.Sorted(slices.Values(cacheKeyEnv)) {
		v, _ := envValue(settings.env, k)
		field("env", k, v)
	}
	goenv, err := r.goEnv(ctx, plans[0])
	if err != nil {
		return "", nil, err
	}
	field("go", goenv.version)
	memorable := true
	for _, p := range plans {
		pkgs, err := r.load(ctx, p)
		if err != nil {
			return "", nil, err
		}
		src, err := p.hashClosure(h, pkgs, goenv.modCache)
		if err != nil {
			return "", nil, err
		}
		memorable = memorable && !src.errors
		watched = append(watched, r.watchedPaths(p, src)...)
	}
	if !memorable {
		watched = nil
	}
	return hex.EncodeToString(h.Sum(nil)), watched, nil
}

// hashClosure writes the plan's package closure into h. Packages read from
// the module cache are named by module version (go.sum pins their
// content); every other non-standard package (the user's modules, local
// replacements, vendored copies, the generated wrapper) by its files.
// It returns what it read from the user's tree, for the key memo.
func (p *plan) hashClosure(h hash.Hash, pkgs []*packages.Package, modCache string) (closureSources, error) {
	var src closureSources
	var all []*packages.Package
	packages.Visit(pkgs, nil, func(pkg *packages.Package) { all = append(all, pkg) })
	slices.SortFunc(all, func(a, b *packages.Package) int { return strings.Compare(a.ID, b.ID) })
	modFiles := map[string]bool{}
	for _, pkg := range all {
		fmt.Fprintf(h, "package %q\n", pkg.ID)
		for _, e := range pkg.Errors {
			fmt.Fprintf(h, "error %q\n", e.Msg)
			src.errors = true
		}
		switch {
		case pkg.Module != nil && !inModCache(pkg, modCache):
			src.local = append(src.local, pkg)
			files := slices.Concat(pkg.GoFiles, pkg.OtherFiles, pkg.EmbedFiles)
			slices.Sort(files)
			for _, f := range slices.Compact(files) {
				if err := p.hashFile(h, "file", f); err != nil {
					return src, err
				}
			}
			if pkg.Module.GoMod != "" {
				modFiles[pkg.Module.GoMod] = true
				modFiles[filepath.Join(filepath.Dir(pkg.Module.GoMod), "go.sum")] = true
			}
		case pkg.Module != nil:
			fmt.Fprintf(h, "module %q %q\n", pkg.Module.Path, pkg.Module.Version)
			if rep := pkg.Module.Replace; rep != nil {
				fmt.Fprintf(h, "replace %q %q\n", rep.Path, rep.Version)
			}
		}
	}
	// go build's default -pgo=auto reads default.pgo beside the main
	// package: the user's own for a server or a package main handler.
	for _, root := range pkgs {
		if root.Name == "main" && root.Dir != "" {
			pgo := filepath.Join(root.Dir, "default.pgo")
			if err := p.hashFile(h, "pgo", pgo); err != nil {
				return src, err
			}
			src.pgo = append(src.pgo, pgo)
		}
	}
	for _, f := range p.moduleFiles() {
		modFiles[f] = true
	}
	src.modFiles = sortedKeys(modFiles)
	for _, f := range src.modFiles {
		if err := p.hashFile(h, "modfile", f); err != nil {
			return src, err
		}
	}
	return src, nil
}

// closureSources is what hashClosure read from the user's tree.
type closureSources struct {
	// local are the packages hashed by their files.
	local []*packages.Package
	// modFiles are the go.mod, go.sum, go.work ... files hashed.
	modFiles []string
	// pgo are the default.pgo paths hashed (present or not).
	pgo []string
	// errors is set when a package of the closure has errors.
	errors bool
}

// hashFile writes "<kind> <name> <content hash>" for the file the go
// command sees at path (through the overlay); a missing file hashes as
// "absent".
func (p *plan) hashFile(h hash.Hash, kind, path string) error {
	path = filepath.Clean(path)
	actual := path
	if a, ok := p.ov.replace[path]; ok {
		actual = a
	}
	sum := "absent"
	if actual != "" {
		s, err := fileHash(actual)
		switch {
		case err == nil:
			sum = s
		case !os.IsNotExist(err):
			return err
		}
	}
	fmt.Fprintf(h, "%s %q %s\n", kind, relSlash(p.t.modDir, path), sum)
	return nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// inModCache reports whether the package's files come from the module
// cache.
func inModCache(pkg *packages.Package, modCache string) bool {
	files := slices.Concat(pkg.GoFiles, pkg.OtherFiles)
	if modCache == "" || len(files) == 0 {
		return false
	}
	for _, f := range files {
		if !fileutil.Within(modCache, f) {
			return false
		}
	}
	return true
}

// goEnv is what CacheKey asks the go command.
type goEnv struct {
	// version is the Go version the go command builds the module with
	// (GOTOOLCHAIN may select another toolchain than the one on PATH).
	version string
	// modCache is GOMODCACHE.
	modCache string
}

// goEnv runs go env once for the plan's module.
func (r *Runtime) goEnv(ctx context.Context, p *plan) (goEnv, error) {
	cmd := r.command(ctx, p.t.modDir, p.env, "env", "GOVERSION", "GOMODCACHE")
	if p.t.virtualMod {
		// The go.mod exists only in the overlay, which go env does not
		// read; it names the local toolchain, so ask that one.
		cmd.Dir = os.TempDir()
		cmd.Env = mergeEnv(p.env, []string{"GOTOOLCHAIN=local"})
	}
	out, err := cmd.Output()
	if err != nil {
		return goEnv{}, fmt.Errorf("running %s env: %w%s", r.goCmd(), err, stderrOf(err))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return goEnv{}, fmt.Errorf("running %s env: unexpected output %q", r.goCmd(), out)
	}
	return goEnv{version: strings.TrimSpace(lines[0]), modCache: strings.TrimSpace(lines[1])}, nil
}
