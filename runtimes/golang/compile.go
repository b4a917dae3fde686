package golang

import (
	"context"
	"errors"
	"fmt"
	"go/build"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// wrapper says which main package a build produces.
type wrapper int

const (
	// wrapNone builds the entry's own package main (a standalone server).
	wrapNone wrapper = iota
	// wrapDev builds a dev wrapper that serves the entry's handler on
	// 127.0.0.1 and reports its port on fd 3.
	wrapDev
	// wrapLambda builds a Lambda bootstrap that runs the entry's handler
	// under the lambdaloop runtime.
	wrapLambda
	// wrapChild builds the Lambda bootstrap of a standalone server: the
	// lambdaloop runtime proxying to the "user-server" binary beside it.
	wrapChild
	// wrapPackage builds nothing: it lays the entry's package as it is
	// compiled (for Inputs, which only lists its imports).
	wrapPackage
)

// plan is one go build, computed from the file system: the target, the
// overlay that makes it compile without touching the user's tree, the
// package to build and the go command's environment.
type plan struct {
	t      *target
	ov     *overlay
	layout packageLayout
	// pkg is the import path given to go build.
	pkg  string
	env  []string
	args []string // go build flags, without -overlay, -o and the package
	// work is the user's go.work the module builds in ("" for none); env
	// names a copy of it (layWork).
	work string
	// bctx decides which files of a folder the go command compiles.
	bctx *build.Context
}

// planSpec says what to plan.
type planSpec struct {
	root, file string
	// symbol is the handler (functions); "" detects it.
	symbol   string
	wrap     wrapper
	settings buildSettings
	// scratch is where generated files go (stable per entry and mode).
	scratch string
	// read reads the entry file (nil: from disk).
	read runtimes.FileReader
	// cache is the request's cache directory (default
	// <root>/.vercel/cache), where the requirements of a project without
	// go.mod are kept (nomod.go).
	cache string
	// offline lays only requirements found before: no go mod tidy.
	offline bool
}

// plan prepares a build. It stats a few directories, reads the entry's
// directory and writes nothing to the user's tree; the go command is not
// run, except when there is no go.mod: once per process to learn the
// toolchain's version, and go mod tidy when the package's imports of other
// modules are new (nomod.go).
func (r *Runtime) plan(ctx context.Context, spec planSpec) (*plan, error) {
	t, err := locate(spec.root, spec.file)
	if err != nil {
		return nil, err
	}
	p := &plan{t: t, ov: newOverlay(spec.scratch), args: spec.settings.flags}
	p.env = mergeEnv(spec.settings.env, []string{"PWD=" + t.modDir})
	var goVersion string
	if t.virtualMod {
		p.env = mergeEnv(p.env, []string{"GOWORK=off"})
		if goVersion, err = r.toolchainVersion(ctx, spec.settings.env); err != nil {
			return nil, err
		}
	}
	if !t.virtualMod {
		if p.work, err = p.layWork(filepath.Join(spec.scratch, "work")); err != nil {
			return nil, err
		}
	}
	bctx := buildContext(spec.settings)
	p.bctx = bctx
	switch spec.wrap {
	case wrapChild:
		p.pkg = layWrapper(p.ov, t, packageLayout{}, wrapChild)
	case wrapNone, wrapPackage:
		p.layout, err = layPackage(p.ov, t, bctx, spec.read, "", false)
		if err != nil {
			return nil, err
		}
		if spec.wrap == wrapNone && p.layout.pkgName != "" && p.layout.pkgName != "main" {
			return nil, fmt.Errorf("a Go server must be package main, not package %s", p.layout.pkgName)
		}
		p.pkg = t.pkgImport
	default:
		p.layout, err = layPackage(p.ov, t, bctx, spec.read, spec.symbol, true)
		if err != nil {
			return nil, err
		}
		p.pkg = layWrapper(p.ov, t, p.layout, spec.wrap)
	}
	cache := spec.cache
	if cache == "" {
		cache = cacheDir(spec.root, "")
	}
	if err := r.layModule(ctx, p, goVersion, cache, spec.offline); err != nil {
		return nil, err
	}
	return p, nil
}

// compile writes the overlay and runs go build -o out. A failure of the
// go command is a *runtimes.BuildError whose output and diagnostics name
// the user's files.
func (r *Runtime) compile(ctx context.Context, p *plan, op, out string, log *slog.Logger) error {
	overlayPath, err := p.ov.write()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	args := append([]string{"build"}, p.args...)
	if overlayPath != "" {
		args = append(args, "-overlay="+overlayPath)
	}
	args = append(args, "-o", out, p.pkg)
	env, done, err := withWorkDir(p.env)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer done()
	cmd := r.command(ctx, p.t.modDir, env, args...)
	start := time.Now()
	output, err := cmd.CombinedOutput()
	log.Debug("go build", "op", op, "dir", p.t.modDir, "args", args, "took", time.Since(start), "err", err)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, context.Cause(ctx))
	}
	m := &outputMapper{root: p.t.root, cwd: p.t.modDir, ov: p.ov, file: p.t.file, genImport: p.t.genImport}
	mapped, diags := m.mapOutput(string(output))
	if notes, cgo := p.cgoNotes(diags); notes != "" {
		if mapped != "" && !strings.HasSuffix(mapped, "\n") {
			mapped += "\n"
		}
		mapped += notes
		diags = append(diags, cgo...)
	}
	return &runtimes.BuildError{Op: op, Output: mapped, Diagnostics: diags, Err: err}
}

// withWorkDir returns env with GOTMPDIR set to a new folder, and a function
// that removes it. go build and go list put their work directory there,
// and a go command killed on cancel (see command) cannot remove its own.
func withWorkDir(env []string) ([]string, func(), error) {
	tmp, err := os.MkdirTemp("", "lambdalens-go-build-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating the go command's work folder: %w", err)
	}
	return mergeEnv(env, []string{"GOTMPDIR=" + tmp}), func() { os.RemoveAll(tmp) }, nil
}

// command returns a go command that is killed, with the compilers and
// linkers it started, when ctx ends. (go build has no interrupt handler:
// a SIGINT to the go command alone would leave them running.)
func (r *Runtime) command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.goCmd(), args...)
	cmd.Dir = dir
	cmd.Env = env
	proc.Group(cmd, 5*time.Second)
	return cmd
}

// toolchainVersions caches, per go command, the version written into the
// go.mod laid over module-less entries. The toolchain on PATH does not
// change under a running process, and asking once keeps the go command off
// the rebuild path.
var toolchainVersions sync.Map

var goVersionRE = regexp.MustCompile(`^go(\d+\.\d+(?:\.\d+|rc\d+)?)`)

// toolchainVersion returns the local toolchain's version in go.mod form
// ("1.26.8").
func (r *Runtime) toolchainVersion(ctx context.Context, env []string) (string, error) {
	if v, ok := toolchainVersions.Load(r.goCmd()); ok {
		return v.(string), nil
	}
	cmd := r.command(ctx, os.TempDir(), mergeEnv(env, []string{"GOTOOLCHAIN=local", "GOWORK=off", "GOFLAGS="}), "env", "GOVERSION")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("asking %s for its version: %w%s", r.goCmd(), err, stderrOf(err))
	}
	sm := goVersionRE.FindStringSubmatch(strings.TrimSpace(string(out)))
	if sm == nil {
		return "", fmt.Errorf("asking %s for its version: unexpected answer %q", r.goCmd(), out)
	}
	toolchainVersions.Store(r.goCmd(), sm[1])
	return sm[1], nil
}

// stderrOf returns ": <stderr>" for an *exec.ExitError with output.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return ": " + strings.TrimSpace(string(ee.Stderr))
	}
	return ""
}

// cacheDir returns the cache directory of a request, defaulting to
// <root>/.vercel/cache.
func cacheDir(root, dir string) string {
	if dir != "" {
		return dir
	}
	return filepath.Join(root, ".vercel", "cache")
}

// entryName is "<slug>-<hash>" for an entry: readable in directory
// listings, unique per project root and entry.
func entryName(root, file string) string {
	s := slug(strings.TrimSuffix(file, ".go"))
	if len(s) > 60 {
		s = s[len(s)-60:]
	}
	return s + "-" + shortHash(filepath.Join(root, file))
}
