package lsp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/buildsys"
	"github.com/lambdalens/lambdalens/runtimes"
)

// cancelledBuildWait bounds how long a new build waits for a cancelled
// one to end before saying it cannot start. A cancelled build ends once
// its compilers have been killed and waited for, well under a second
// normally; a runtime that ignores cancellation must not hold the new
// build (and its goroutine) for ever.
const cancelledBuildWait = 30 * time.Second

// buildState is a folder's running build. Guarded by folder.mu.
type buildState struct {
	cancel context.CancelFunc // nil when no build runs
	ctx    context.Context    // the running build's; done once cancelled
	done   chan struct{}      // closed when the running build has ended
	what   string
}

// cancelBuild cancels the running build, if any, and reports whether there
// was one. It does not wait: a build started next waits for this one to
// end (see runBuild).
func (f *folder) cancelBuild() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.build.cancel == nil {
		return false
	}
	f.build.cancel()
	return true
}

// runBuild builds the project (fnID "") or one function into
// .vercel/output, reporting progress, turning failures into diagnostics
// and the outcome into a message. It runs on a background goroutine.
//
// A build asked for while another runs is refused, unless the other was
// cancelled: then it starts once that one has ended (both write
// .vercel/output), as gopls runs a command after the one it cancelled.
func (f *folder) runBuild(ctx context.Context, fnID string) {
	what := "every function"
	if fnID != "" {
		what = fnID
	}
	if len(f.s.cfg.Runtimes) == 0 {
		f.s.showMessage(protocol.MessageTypeError, "lambdalens build: "+errNoRuntimes.Error())
		return
	}
	var timeout <-chan time.Time
	for {
		f.mu.Lock()
		if f.build.cancel == nil {
			break // f.mu held
		}
		running, cancelled, done := f.build.what, f.build.ctx.Err() != nil, f.build.done
		f.mu.Unlock()
		if !cancelled {
			f.s.showMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens build: a build of %s is already running in %s; cancel it first (lambdalens.build.cancel)", running, f.name))
			return
		}
		if timeout == nil {
			t := time.NewTimer(cancelledBuildWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-done:
		case <-ctx.Done():
			return
		case <-timeout:
			f.s.showMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens build: the cancelled build of %s in %s has not stopped after %s; try again later", running, f.name, cancelledBuildWait))
			return
		}
	}
	if f.isClosedLocked() {
		f.mu.Unlock()
		return
	}
	bctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	f.build = buildState{cancel: cancel, ctx: bctx, done: done, what: what}
	f.mu.Unlock()
	defer func() {
		cancel()
		f.mu.Lock()
		f.build = buildState{}
		f.mu.Unlock()
		close(done)
	}()

	wd := f.s.prog.start(bctx, "Building for Lambda", fmt.Sprintf("%s: %s", f.name, what), cancel)
	opts := buildsys.Options{
		Dir:      f.root,
		Runtimes: f.s.cfg.Runtimes,
		Logger:   baseLogger(f.s.cfg),
		Events: func(e buildsys.Event) {
			f.buildEvent(bctx, wd, e)
		},
	}
	if fnID != "" {
		opts.Only = escapeGlob(fnID)
	}
	sum, err := buildsys.Run(bctx, opts)
	f.publish(ctx, nil)

	switch {
	case err == nil && sum != nil:
		wd.end(ctx, "completed")
		f.s.showMessage(protocol.MessageTypeInfo, buildSummary(f.root, sum))
	case bctx.Err() != nil && ctx.Err() == nil:
		wd.end(ctx, "cancelled")
		f.s.showMessage(protocol.MessageTypeInfo, fmt.Sprintf("lambdalens build: the build of %s was cancelled; the previous output was kept", what))
	default:
		wd.end(ctx, "failed")
		f.s.showMessage(protocol.MessageTypeError, "lambdalens build: "+buildFailure(err))
		f.log.Info("build failed", "err", err)
	}
}

// buildEvent turns a buildsys event into a progress report and, for final
// stages, into the function's build diagnostics. Events arrive one at a
// time.
func (f *folder) buildEvent(ctx context.Context, wd *workDone, e buildsys.Event) {
	total := max(e.Total, 1)
	switch e.Stage {
	case buildsys.StageBuilding:
		wd.report(ctx, fmt.Sprintf("%s (%d of %d)", e.Function, min(e.Completed+1, total), total), uint32(e.Completed*100/total))
	case buildsys.StageDone, buildsys.StageCached:
		f.diags.setBuild(e.Function, nil)
		wd.report(ctx, fmt.Sprintf("%s done (%d of %d)", e.Function, e.Completed, total), uint32(e.Completed*100/total))
	case buildsys.StageFailed:
		if ctx.Err() != nil && errors.Is(e.Err, context.Canceled) {
			// Cancelled: the failure is the cancellation's, not the
			// code's; the function keeps the build diagnostics it had.
			return
		}
		var diags []runtimes.Diagnostic
		var fe *buildsys.FunctionError
		if errors.As(e.Err, &fe) {
			diags = fe.Diagnostics()
		} else if len(e.Diagnostics) > 0 {
			diags = e.Diagnostics
		} else if e.Err != nil {
			first, _, _ := strings.Cut(e.Err.Error(), "\n")
			diags = []runtimes.Diagnostic{{File: e.File, Severity: runtimes.SeverityError, Code: "build-failed", Message: first}}
		}
		f.diags.setBuild(e.Function, diags)
		wd.report(ctx, fmt.Sprintf("%s failed (%d of %d)", e.Function, e.Completed, total), uint32(e.Completed*100/total))
	}
}

// buildSummary is the message of a successful build.
func buildSummary(root string, sum *buildsys.Summary) string {
	out := sum.OutDir
	if r, err := filepath.Rel(root, out); err == nil && !strings.HasPrefix(r, "..") {
		out = r
	}
	var b strings.Builder
	fmt.Fprintf(&b, "lambdalens build: built %d function%s into %s in %s", len(sum.Functions), plural(len(sum.Functions)), out, sum.Duration.Round(1e6))
	for i, fn := range sum.Functions {
		if i == 8 {
			fmt.Fprintf(&b, "; and %d more", len(sum.Functions)-i)
			break
		}
		sep := ": "
		if i > 0 {
			sep = ", "
		}
		size := humanSize(fn.Size)
		if fn.ZipSize > 0 {
			size += ", zip " + humanSize(fn.ZipSize)
		}
		cached := ""
		if fn.Cached {
			cached = ", cached"
		}
		fmt.Fprintf(&b, "%s%s (%s%s)", sep, fn.ID, size, cached)
	}
	return b.String()
}

// buildFailure is the message of a failed build.
func buildFailure(err error) string {
	var fail *buildsys.Failure
	var derr *buildsys.DiagnosticsError
	switch {
	case errors.As(err, &fail):
		ids := make([]string, len(fail.Errors))
		for i, fe := range fail.Errors {
			ids[i] = fe.ID
		}
		return fmt.Sprintf("%d of %d function%s failed to build (%s); the errors are on the files as diagnostics, and the previous output was kept",
			len(fail.Errors), fail.Total, plural(fail.Total), strings.Join(ids, ", "))
	case errors.As(err, &derr):
		return fmt.Sprintf("the project has %d error%s, so nothing was built; the errors are on the files as diagnostics", len(derr.Diagnostics), plural(len(derr.Diagnostics)))
	case err == nil:
		return "the build failed"
	}
	first, _, _ := strings.Cut(err.Error(), "\n")
	return first
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// escapeGlob makes a function ID match itself as a doublestar pattern
// (IDs hold brackets: "api/users/[id]").
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]{}\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
