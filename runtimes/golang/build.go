package golang

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/sync/errgroup"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Build writes a provided.al2023 Lambda for one entrypoint into req.OutDir:
//
//   - a function becomes "bootstrap": a generated main that runs the
//     handler under the lambdaloop runtime, whose sources are laid into the
//     build (no module is downloaded);
//   - a standalone server becomes "bootstrap" (a generated main calling
//     lambdaloop.StartChild("user-server")) plus the user's own binary
//     "user-server", built side by side;
//   - includeFiles are copied in (relative to the function's folder for
//     functions, to the project root for servers).
//
// Binaries are built with CGO_ENABLED=0 GOOS=linux GOARCH=<arch> -trimpath
// -buildvcs=false -ldflags "-s -w -buildid=" and a fixed environment (see
// lambdaSettings), so two checkouts of the same sources give byte-identical
// files. The user's tree is never written. -toolexec in GOFLAGS is
// rejected.
func (r *Runtime) Build(ctx context.Context, req runtimes.BuildRequest) (*runtimes.Artifact, error) {
	log := req.Logger
	if log == nil {
		log = r.logger()
	}
	settings, err := lambdaSettings(req.Arch, req.Env)
	if err != nil {
		return nil, fmt.Errorf("building %s: %w", req.File, err)
	}
	op := fmt.Sprintf("building %s for linux/%s", req.File, settings.arch)
	if req.OutDir == "" {
		return nil, fmt.Errorf("%s: BuildRequest.OutDir is empty", op)
	}
	server := req.Entrypoint.Kind == runtimes.KindServer
	includes, err := resolveIncludes(req.Root, IncludeBase(req.File, server), req.IncludeFiles, req.ExcludeFiles, log)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	scratch := r.lambdaScratch(req, settings)

	if server {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error {
			return r.buildLambdaBinary(gctx, req, settings, wrapNone, scratch+"-server", "user-server", op, log)
		})
		g.Go(func() error {
			return r.buildLambdaBinary(gctx, req, settings, wrapChild, scratch+"-bootstrap", "bootstrap", op, log)
		})
		if err := g.Wait(); err != nil {
			return nil, err
		}
	} else if err := r.buildLambdaBinary(ctx, req, settings, wrapLambda, scratch, "bootstrap", op, log); err != nil {
		return nil, err
	}
	if err := copyIncludes(req.OutDir, includes); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return &runtimes.Artifact{
		Handler:         "bootstrap",
		Runtime:         "provided.al2023",
		RuntimeLanguage: "go",
		Architecture:    lambdaArch(req.Arch),
		Environment:     map[string]string{},
		SupportsWrapper: true,
	}, nil
}

// buildLambdaBinary plans and compiles one binary of a Lambda into
// req.OutDir/name, mode 0755.
func (r *Runtime) buildLambdaBinary(ctx context.Context, req runtimes.BuildRequest, settings buildSettings, wrap wrapper, scratch, name, op string, log *slog.Logger) error {
	p, err := r.plan(ctx, planSpec{
		root:     req.Root,
		file:     req.File,
		symbol:   req.Entrypoint.Symbol,
		wrap:     wrap,
		settings: settings,
		scratch:  scratch,
		cache:    cacheDir(req.Root, req.CacheDir),
	})
	if err != nil {
		return wrapOp(op, err)
	}
	out := filepath.Join(req.OutDir, name)
	cached := func(ctx context.Context) bool { return r.stdCached(ctx, p) }
	if err := r.throughGate(ctx, settings, cached, func() error { return r.compile(ctx, p, op, out, log) }); err != nil {
		return err
	}
	if err := os.Chmod(out, 0o755); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// lambdaScratch is the scratch directory of a Lambda build.
func (r *Runtime) lambdaScratch(req runtimes.BuildRequest, s buildSettings) string {
	return filepath.Join(cacheDir(req.Root, req.CacheDir), "go", "lambda", entryName(req.Root, req.File)+"-"+s.arch)
}
