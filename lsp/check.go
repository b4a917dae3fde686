package lsp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/typecheck"
	"github.com/lambdalens/lambdalens/runtimes"
)

// checkDelay is how long after a save the typed check starts.
//
// Rationale: "save all" and format-on-save send several didSave
// notifications within a few hundred milliseconds; one check of all the
// packages involved costs about as much as one check of a single package
// (the go list and export data dominate), so saves are batched.
const checkDelay = 150 * time.Millisecond

// checkState is a folder's on-save type check. Guarded by folder.mu.
type checkState struct {
	pending   map[string]bool    // saved .go files (absolute) not checked yet
	requested bool               // a check is due, even with nothing pending
	lastSave  time.Time          // of the newest save
	cancel    context.CancelFunc // cancels the running check; nil when idle
	wake      chan struct{}      // capacity 1; created with the loop
	loopStart bool
}

// saved is called for every saved file: a .go file queues a typed check,
// and build diagnostics of the file (about its previous content) go.
func (f *folder) saved(path string) {
	if rel, ok := f.rel(path); ok && f.diags.dropBuildFile(rel) {
		f.s.goBackground("publish", func(ctx context.Context) { f.publish(ctx, nil) })
	}
	if !strings.HasSuffix(path, ".go") {
		return
	}
	f.queueCheck(path)
}

// diskChanged is called with the files that changed on disk (created,
// written, deleted: a git checkout, a file removed in a terminal). While
// typed diagnostics are shown, a change to a Go file may have made them
// stale: they are checked again, and a deleted file's own go at once.
func (f *folder) diskChanged(paths []string) {
	typed := f.diags.typedFiles()
	if len(typed) == 0 {
		return
	}
	goChanged, dropped := false, false
	for _, p := range paths {
		if !strings.HasSuffix(p, ".go") || f.ignoredPath(p) {
			continue
		}
		goChanged = true
		rel, ok := f.rel(p)
		if _, err := os.Stat(p); ok && errors.Is(err, fs.ErrNotExist) && slices.Contains(typed, rel) {
			f.diags.setTyped([]string{rel}, nil, nil, nil)
			dropped = true
		}
	}
	if dropped {
		f.s.goBackground("publish", func(ctx context.Context) { f.publish(ctx, nil) })
	}
	if goChanged {
		// runCheck adds the files that have typed diagnostics.
		f.queueCheck()
	}
}

// queueCheck queues a typed check of the packages of paths (absolute .go
// files) and of the files with typed diagnostics, after checkDelay.
func (f *folder) queueCheck(paths ...string) {
	if !f.s.currentSettings().TypeCheckOnSave || !hasGoModule(f.root) {
		return
	}
	f.mu.Lock()
	if f.check.pending == nil {
		f.check.pending = map[string]bool{}
	}
	for _, p := range paths {
		f.check.pending[p] = true
	}
	f.check.requested = true
	f.check.lastSave = time.Now()
	if f.check.cancel != nil {
		f.check.cancel() // the newer save supersedes it; its files stay pending
	}
	start := !f.check.loopStart
	if start {
		f.check.loopStart = true
		f.check.wake = make(chan struct{}, 1)
	}
	wake := f.check.wake
	f.mu.Unlock()
	if start {
		f.s.goBackground("type checks of "+f.root, func(ctx context.Context) { f.checkLoop(ctx, wake) })
	}
	select {
	case wake <- struct{}{}:
	default:
	}
}

// cancelCheck cancels the running check, if any. Edits in the editor do
// not: the check is about the saved files, and its diagnostics show only
// while a file still has the content that was checked.
func (f *folder) cancelCheck() {
	f.mu.Lock()
	if f.check.cancel != nil {
		f.check.cancel()
	}
	f.mu.Unlock()
}

// hasGoModule reports whether root is in a Go module or workspace.
func hasGoModule(root string) bool {
	for _, name := range []string{"go.mod", "go.work"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			return true
		}
	}
	return false
}

// checkLoop runs typed checks after saves until the session ends.
func (f *folder) checkLoop(ctx context.Context, wake chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		}
		// Wait for the saves to pause.
		for {
			f.mu.Lock()
			wait := time.Until(f.check.lastSave.Add(checkDelay))
			f.mu.Unlock()
			if wait <= 0 {
				break
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		f.mu.Lock()
		files := make([]string, 0, len(f.check.pending))
		for p := range f.check.pending {
			files = append(files, p)
		}
		clear(f.check.pending)
		requested := f.check.requested
		f.check.requested = false
		cctx, cancel := context.WithCancel(ctx)
		f.check.cancel = cancel
		f.mu.Unlock()
		if requested && !f.isClosed() {
			if !f.runCheck(cctx, files) {
				f.mu.Lock()
				for _, p := range files {
					f.check.pending[p] = true
				}
				f.check.requested = true
				f.mu.Unlock()
			}
		}
		f.mu.Lock()
		f.check.cancel = nil
		f.mu.Unlock()
		cancel()
	}
}

// runCheck type-checks the packages of files (and of the files that have
// typed diagnostics, so that fixes elsewhere clear them) with progress,
// and publishes the outcome. It reports false when it was cancelled.
func (f *folder) runCheck(ctx context.Context, files []string) bool {
	snap, err := f.ensure(ctx)
	if err != nil {
		return ctx.Err() == nil
	}
	for _, rel := range f.diags.typedFiles() {
		files = append(files, f.abs(rel))
	}
	if len(files) == 0 {
		return true
	}
	handlers := map[string]string{}
	for _, fn := range snap.project.Functions {
		if fn.Language() == runtimes.Go && fn.Kind() == runtimes.KindFunction {
			handlers[f.abs(fn.File)] = fn.Entrypoint.Symbol
		}
	}
	for _, d := range snap.project.Diagnostics {
		if d.Code == "go-handler-signature" || d.Code == "go-helper-file" {
			if _, ok := handlers[f.abs(d.File)]; !ok {
				handlers[f.abs(d.File)] = ""
			}
		}
	}
	names := make([]string, 0, len(files))
	for _, p := range files {
		if rel, ok := f.rel(p); ok {
			names = append(names, rel)
		}
	}
	wd := f.s.prog.start(ctx, "Type-checking", strings.Join(names, ", "), nil)
	res, err := typecheck.Check(ctx, typecheck.Request{Root: f.root, Files: files, Handlers: handlers})
	if err != nil {
		if ctx.Err() != nil {
			wd.end(context.WithoutCancel(ctx), "cancelled")
			return false
		}
		wd.end(ctx, "failed")
		f.log.Info("type check failed", "err", err)
		f.s.logMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens: %v", err))
		return true
	}
	var rels []string
	for _, p := range res.Files {
		if rel, ok := f.rel(p); ok {
			rels = append(rels, rel)
		}
	}
	sums := map[string]uint64{}
	for _, d := range res.Diagnostics {
		if _, ok := sums[d.File]; !ok {
			data, err := os.ReadFile(f.abs(d.File))
			if err == nil {
				sums[d.File] = f.diags.sum(data)
			}
		}
	}
	f.diags.setTyped(rels, sums, res.Diagnostics, res.Replaces)
	f.publish(ctx, nil)
	wd.end(ctx, fmt.Sprintf("%d problem%s", len(res.Diagnostics), plural(len(res.Diagnostics))))
	return true
}
