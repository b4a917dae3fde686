package buildsys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lambdalens/lambdalens/buildsys/zipper"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Run builds the selected functions of a project concurrently and, when all
// of them built, replaces the Build Output directory with the result.
//
// It returns the summary (also when functions failed; nil when the options
// or the project were unusable) and an error: a *DiagnosticsError when the
// project has error diagnostics, a *Failure when functions failed (every
// failure is in it), or the error that stopped the run.
func Run(ctx context.Context, o Options) (*Summary, error) {
	start := time.Now()
	c, err := newConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	r := &runner{runConfig: c}
	sum, err := r.run(ctx)
	sum.Duration = time.Since(start)
	r.printer.summary(sum)
	return sum, err
}

// runner is one Run.
type runner struct {
	*runConfig

	mu        sync.Mutex // serializes emit
	completed int
}

// emit reports e to the printer and the Events hook, one at a time.
func (r *runner) emit(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Stage.Final() {
		r.completed++
	}
	e.Completed, e.Total = r.completed, len(r.fns)
	r.printer.event(e)
	if r.events != nil {
		r.events(e)
	}
}

func (r *runner) newEvent(stage Stage, fn *project.Function) Event {
	return Event{Stage: stage, Function: fn.ID, File: fn.File, Language: fn.Language(), Arch: r.arch[fn.ID]}
}

func (r *runner) run(ctx context.Context) (*Summary, error) {
	p := r.project
	sum := &Summary{Root: p.Root, Legacy: p.Legacy()}

	parent := filepath.Dir(r.outDir)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return sum, fmt.Errorf("creating %s: %w", parent, err)
	}
	staging, err := os.MkdirTemp(parent, filepath.Base(r.outDir)+".tmp-")
	if err != nil {
		return sum, fmt.Errorf("creating the staging directory: %w", err)
	}
	// MkdirTemp makes it private (0700); the output is for deploy tools
	// and CI steps that may run as other users, like the folders in it.
	if err := os.Chmod(staging, 0o755); err != nil {
		os.RemoveAll(staging)
		return sum, fmt.Errorf("creating the staging directory: %w", err)
	}
	// Only now: a run stopped before building lists no functions.
	sum.Functions = make([]FunctionSummary, len(r.fns))
	committed := false
	defer func() {
		if !committed {
			if err := os.RemoveAll(staging); err != nil {
				r.logger.Warn("removing the staging directory", "dir", staging, "err", err)
			}
		}
	}()

	cache := newCache(r.builder, filepath.Join(r.cacheDir, "build"), r.logger, r.noCache)
	work := builderFunc(func(ctx context.Context, req Request) (*Result, error) {
		r.emit(r.newEvent(StageBuilding, req.Function))
		t0 := time.Now()
		res, err := cache.Build(ctx, req)
		if err != nil {
			return nil, err
		}
		if err := r.finish(req, res); err != nil {
			return nil, err
		}
		res.Duration = time.Since(t0)
		return res, nil
	})
	b := WithLimit(work, r.jobs)

	for _, fn := range r.fns {
		r.emit(r.newEvent(StageQueued, fn))
	}
	// Failures are values, not errors of the group: one failed function
	// must neither cancel nor hide the others.
	var g errgroup.Group
	for i, fn := range r.fns {
		g.Go(func() error {
			sum.Functions[i] = r.buildOne(ctx, b, staging, fn)
			return nil
		})
	}
	_ = g.Wait()

	if err := ctx.Err(); err != nil {
		return sum, fmt.Errorf("building %s: %w", p.Root, context.Cause(ctx))
	}
	var failed []*FunctionError
	for _, f := range sum.Functions {
		if fe := (*FunctionError)(nil); errors.As(f.Err, &fe) {
			failed = append(failed, fe)
		}
	}
	if len(failed) > 0 {
		return sum, &Failure{Errors: failed, Total: len(r.fns)}
	}

	// The build's own folders are never static files, wherever they are
	// (the project root can be the static folder): the output, its
	// temporary siblings and the cache.
	own := newOwnFolders(parent, filepath.Base(r.outDir)+".tmp-", r.outDir, staging, r.cacheDir)
	overrides, err := copyStatic(p, staging, own)
	if err != nil {
		return sum, err
	}
	if err := writeConfig(staging, p.Routes, overrides); err != nil {
		return sum, err
	}
	if err := replaceDir(staging, r.outDir, exchange); err != nil {
		return sum, err
	}
	committed = true
	sum.OutDir = r.outDir
	if r.cacheTTL > 0 {
		pruneCache(filepath.Join(r.cacheDir, "build"), r.cacheTTL, time.Now(), r.logger)
	}
	for i := range sum.Functions {
		f := &sum.Functions[i]
		base := filepath.Join(r.outDir, functionsDir, filepath.FromSlash(f.ID))
		f.Dir = base + ".func"
		if r.zip {
			f.Zip = base + ".zip"
		}
	}
	return sum, nil
}

// buildOne builds fn into the staging directory and reports its events.
func (r *runner) buildOne(ctx context.Context, b Builder, staging string, fn *project.Function) FunctionSummary {
	s := FunctionSummary{ID: fn.ID, File: fn.File, Language: fn.Language(), Arch: r.arch[fn.ID]}
	dir := filepath.Join(staging, functionsDir, filepath.FromSlash(fn.ID)+".func")
	var res *Result
	err := os.MkdirAll(dir, 0o755)
	if err != nil {
		err = fmt.Errorf("creating the output directory of %s: %w", fn.File, err)
	} else {
		res, err = b.Build(ctx, Request{Project: r.project, Function: fn, Arch: s.Arch, OutDir: dir})
	}
	if err != nil {
		fe := &FunctionError{ID: fn.ID, File: fn.File, Err: err}
		s.Err = fe
		e := r.newEvent(StageFailed, fn)
		e.Err = fe
		if be := (*runtimes.BuildError)(nil); errors.As(err, &be) {
			e.Diagnostics = be.Diagnostics
		}
		r.emit(e)
		return s
	}
	s.Runtime = res.Artifact.Runtime
	s.Size, s.ZipSize, s.Duration, s.Cached, s.Key = res.Size, res.ZipSize, res.Duration, res.Cached, res.Key
	e := r.newEvent(StageDone, fn)
	if res.Cached {
		e.Stage = StageCached
	}
	e.Runtime, e.Size, e.ZipSize, e.Duration = s.Runtime, s.Size, s.ZipSize, s.Duration
	r.emit(e)
	return s
}

// finish completes a built or restored .func directory: checks that it is
// self-contained, writes .vc-config.json, measures it and zips it.
func (r *runner) finish(req Request, res *Result) error {
	fn := req.Function
	if err := checkMaterialised(req.OutDir); err != nil {
		return fmt.Errorf("checking the output of %s: %w", fn.File, err)
	}
	vc, err := newVCConfig(req.Project, fn, res.Artifact, req.Arch)
	if err != nil {
		return err
	}
	if err := checkEntrypoint(req.OutDir, vc); err != nil {
		return fmt.Errorf("checking the output of %s: %w", fn.File, err)
	}
	if err := writeJSON(filepath.Join(req.OutDir, vcConfigFile), vc); err != nil {
		return err
	}
	if res.Size, err = dirSize(req.OutDir); err != nil {
		return fmt.Errorf("measuring the output of %s: %w", fn.File, err)
	}
	if !r.zip {
		return nil
	}
	res.Zip = strings.TrimSuffix(req.OutDir, ".func") + ".zip"
	// The zip is a function of the cached files and the timestamp alone, so
	// the cache entry keeps it too: zipping a binary costs more than
	// computing its key.
	cached := ""
	if res.Key != "" {
		cached = filepath.Join(r.cacheDir, "build", res.Key, fmt.Sprintf("lambda-%d.zip", r.zipTime.Unix()))
		size, err := checkStat(cached)
		if err == nil && linkOrCopy(cached, res.Zip, cachedPerm(0o644), true) == nil {
			res.ZipSize = size
			return nil
		}
		if errors.Is(err, errEntryChanged) {
			r.logger.Debug("cached zip unusable, zipping again", "function", fn.ID, "why", err)
		}
	}
	res.ZipSize, err = zipper.WriteFile(res.Zip, req.OutDir, zipper.Options{
		Modified: r.zipTime,
		Exclude:  func(name string) bool { return name == vcConfigFile },
	})
	if err != nil {
		return fmt.Errorf("zipping %s: %w", fn.ID, err)
	}
	if cached != "" {
		if err := storeFile(res.Zip, cached); err != nil {
			r.logger.Debug("keeping the zip in the build cache", "function", fn.ID, "err", err)
		}
	}
	return nil
}
