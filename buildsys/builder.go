package buildsys

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Builder builds one function into req.OutDir.
type Builder interface {
	Build(ctx context.Context, req Request) (*Result, error)
}

// CacheableBuilder is a Builder that can also tell, without building, a key
// that changes whenever its output for req would. WithCache needs one.
type CacheableBuilder interface {
	Builder
	// CacheKey must not depend on req.OutDir.
	CacheKey(ctx context.Context, req Request) (string, error)
}

// Request is one function to build.
type Request struct {
	Project  *project.Project
	Function *project.Function
	// Arch is the resolved architecture, "x86_64" or "arm64".
	Arch string
	// OutDir is the empty, existing .func directory to fill.
	OutDir string
}

// Result describes one built function.
type Result struct {
	// Artifact is what the runtime reported about the build: handler,
	// runtime, environment and so on.
	Artifact *runtimes.Artifact
	// Cached is true when the files were restored from the build cache.
	Cached bool
	// Key is the cache key; empty when the build did not go through
	// WithCache.
	Key string
	// Duration is the time spent building or restoring, not counting the
	// wait for a WithLimit slot. Set by Run.
	Duration time.Duration
	// Size is the total size in bytes of the function's files. Set by Run.
	Size int64
	// Zip is the path of the function's zip and ZipSize its size; empty
	// and 0 unless Options.Zip. Set by Run.
	Zip     string
	ZipSize int64
}

// builderFunc adapts a function to Builder.
type builderFunc func(ctx context.Context, req Request) (*Result, error)

func (f builderFunc) Build(ctx context.Context, req Request) (*Result, error) { return f(ctx, req) }

// cacheFormat versions the cache layout and key derivation; bump it when
// either changes so old entries are never misread.
const cacheFormat = "lambdalens-build-cache-v1"

// runtimeBuilder builds a function with the runtime of its language.
type runtimeBuilder struct {
	runtimes map[runtimes.Language]runtimes.Runtime
	// cacheDir is BuildRequest.CacheDir.
	cacheDir string
	// env is BuildRequest.Env.
	env    []string
	logger *slog.Logger
}

var _ CacheableBuilder = (*runtimeBuilder)(nil)

func (b *runtimeBuilder) request(req Request) (runtimes.Runtime, runtimes.BuildRequest, error) {
	fn := req.Function
	rt := b.runtimes[fn.Language()]
	if rt == nil {
		return nil, runtimes.BuildRequest{}, fmt.Errorf("building %s: no runtime for language %q", fn.File, fn.Language())
	}
	p := req.Project
	return rt, runtimes.BuildRequest{
		Root:          p.Root,
		File:          fn.File,
		Entrypoint:    fn.Entrypoint,
		Arch:          req.Arch,
		OutDir:        req.OutDir,
		IncludeFiles:  fn.Config.IncludeFiles,
		ExcludeFiles:  fn.Config.ExcludeFiles,
		GoVersion:     p.GoVersion.Value,
		PythonVersion: p.PythonVersion.Value,
		CacheDir:      b.cacheDir,
		Env:           b.env,
		Logger:        b.logger.With("function", fn.ID),
	}, nil
}

// Build runs the runtime's Build. A *runtimes.BuildError comes back as is:
// its Op already names the file and the target.
func (b *runtimeBuilder) Build(ctx context.Context, req Request) (*Result, error) {
	rt, br, err := b.request(req)
	if err != nil {
		return nil, err
	}
	art, err := rt.Build(ctx, br)
	if err != nil {
		if be := (*runtimes.BuildError)(nil); errors.As(err, &be) {
			return nil, err
		}
		return nil, fmt.Errorf("building %s for linux/%s: %w", req.Function.File, goarch(req.Arch), err)
	}
	if art == nil {
		return nil, fmt.Errorf("building %s: the %s runtime returned no artifact", req.Function.File, rt.Language())
	}
	return &Result{Artifact: art}, nil
}

// CacheKey combines the runtime's key with everything else that shapes the
// function: architecture, entrypoint and the resolved vercel.json settings.
func (b *runtimeBuilder) CacheKey(ctx context.Context, req Request) (string, error) {
	rt, br, err := b.request(req)
	if err != nil {
		return "", err
	}
	br.OutDir = ""
	rk, err := rt.CacheKey(ctx, br)
	if err != nil {
		// As is: the runtime's error already says "computing the cache
		// key of <file>" (the runtimes.Runtime contract).
		return "", err
	}
	fn := req.Function
	parts, err := json.Marshal(struct {
		Format     string
		Language   runtimes.Language
		RuntimeKey string
		Arch       string
		File       string
		Entrypoint runtimes.Entrypoint
		Config     project.FunctionConfig
	}{cacheFormat, fn.Language(), rk, req.Arch, fn.File, fn.Entrypoint, fn.Config})
	if err != nil {
		return "", fmt.Errorf("computing the cache key of %s: %w", fn.File, err)
	}
	sum := sha256.Sum256(parts)
	return hex.EncodeToString(sum[:]), nil
}

// goarch maps a Lambda architecture name to GOARCH, for messages.
func goarch(arch string) string {
	if arch == "x86_64" {
		return "amd64"
	}
	return arch
}
