package golang

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// StartDev compiles the entrypoint and starts it as a dev process.
//
// A function (KindFunction) is compiled into a generated wrapper main that
// serves its handler on 127.0.0.1 and reports the port on fd 3 (the port
// file is the fallback). A standalone server (KindServer) is its own
// package main, built with go build (never go run, which would leave the
// server orphaned when the go command is killed) and started with
// PORT=<free port>; it is ready once the port accepts connections.
//
// The rebuild path runs exactly one go command (go build, with
// CGO_ENABLED=0 -trimpath -ldflags "-s -w" -buildvcs=false) and nothing
// else: no go list, no go mod (but for an entry without go.mod whose
// package imports other modules, go mod tidy in the cache when that set of
// imports is new: nomod.go). The binary goes to
// <CacheDir>/go/bin/<slug>-<hash>; the process runs in the project root
// with req.Env. A compile failure is a *runtimes.BuildError naming the
// user's files.
func (r *Runtime) StartDev(ctx context.Context, req runtimes.DevRequest) (runtimes.DevProcess, error) {
	log := req.Logger
	if log == nil {
		log = r.logger()
	}
	bin, err := r.buildDev(ctx, req)
	if err != nil {
		return nil, err
	}
	cfg := proc.Config{
		Name:   req.File,
		Path:   bin,
		Dir:    req.Root,
		Env:    req.Env,
		Stdout: req.Stdout,
		Stderr: req.Stderr,
		Port:   proc.PortFD3,
		Logger: log,
	}
	if req.Entrypoint.Kind == runtimes.KindServer {
		cfg.Port = proc.PortEnv
	}
	p, err := proc.Start(ctx, cfg)
	if err != nil {
		// A *proc.StartError names the entry and carries its last stderr
		// lines.
		return nil, err
	}
	return p, nil
}

// buildDev compiles the dev binary of req and returns its path.
func (r *Runtime) buildDev(ctx context.Context, req runtimes.DevRequest) (string, error) {
	log := req.Logger
	if log == nil {
		log = r.logger()
	}
	op := "building " + req.File
	settings, err := devSettings(req.Env)
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	cache := cacheDir(req.Root, req.CacheDir)
	name := entryName(req.Root, req.File)
	wrap := wrapDev
	if req.Entrypoint.Kind == runtimes.KindServer {
		wrap = wrapNone
	}
	p, err := r.plan(ctx, planSpec{
		root:     req.Root,
		file:     req.File,
		symbol:   req.Entrypoint.Symbol,
		wrap:     wrap,
		settings: settings,
		scratch:  filepath.Join(cache, "go", "dev", name),
		cache:    cache,
	})
	if err != nil {
		return "", wrapOp(op, err)
	}
	binDir := filepath.Join(cache, "go", "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	bin := filepath.Join(binDir, name)
	if settings.hostExe() {
		bin += ".exe"
	}
	// Build to a fresh name and rename: a running old binary keeps its
	// inode, and the new one is never exec'd while still being written.
	tmp, err := os.CreateTemp(binDir, ".build-"+name+"-*")
	if err != nil {
		return "", fmt.Errorf("%s: %w", op, err)
	}
	tmp.Close()
	os.Remove(tmp.Name())
	if err := r.compile(ctx, p, op, tmp.Name(), log); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	if err := os.Rename(tmp.Name(), bin); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("%s: %w", op, err)
	}
	return bin, nil
}

// wrapOp prefixes err with op unless it already says what failed (a
// *runtimes.BuildError carries its own Op).
func wrapOp(op string, err error) error {
	if _, ok := err.(*runtimes.BuildError); ok {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
