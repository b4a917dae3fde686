package lsp

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/project"
)

// maxLoadAttempts bounds how often ensure retries a load that a newer edit
// cancelled while the caller still wants a result.
const maxLoadAttempts = 8

// folder is one workspace folder: one project, with its model, its
// diagnostics, its dev server, builds and type checks.
//
// The model is recomputed on every change: an edit bumps gen, cancels the
// running full phase and wakes the folder's loop, which publishes the
// quick diagnostics of the edited documents at once (see quickPass) and
// wakes fullLoop, which waits for the edits to pause
// (Settings.DiagnosticsDelay), loads the project with the open documents
// as an overlay (project.Load with a Cache re-analyzes only what changed)
// and publishes the diagnostics that changed. Requests that need
// the model (lenses, hovers) call ensure, which shares a load in flight or
// loads at once when the model is stale, so they never see a model older
// than the document they are about.
type folder struct {
	s     *server
	root  string
	name  string
	uri   protocol.DocumentURI
	cache *project.Cache
	log   *slog.Logger
	diags *diagState

	// dirty wakes loop, full wakes fullLoop (capacity 1 each).
	dirty chan struct{}
	full  chan struct{}
	// seen is the content of each open document as last diagnosed by
	// the quick phase. Owned by the loop goroutine.
	seen map[string][]byte

	// Guarded by s.mu.
	gen        uint64             // bumped by every change that may alter the model
	lastChange time.Time          // of the newest change
	passCancel context.CancelFunc // cancels the running full phase; nil when idle
	quickGen   uint64             // generation of the last quick phase
	snap       *snapshot          // newest model loaded
	inflight   *loadCall          // load running, if any
	closed     bool
	functions  string // fingerprint of snap's functions, for lens refreshes
	// implicit: made for files opened without a workspace folder (see
	// server.folderOrCreate), not from a workspace folder.
	implicit bool

	// mu guards the dev, build, check and watcher state.
	mu      sync.Mutex
	dev     devState
	build   buildState
	check   checkState
	watcher watch.Watcher
}

// snapshot is one loaded model and the editor state it was computed from.
type snapshot struct {
	gen     uint64
	project *project.Project
	// overlay holds the open documents' contents used, by absolute path;
	// versions and uris their versions and URIs.
	overlay  map[string][]byte
	versions map[string]int32
	uris     map[string]protocol.DocumentURI
}

// loadCall is a load in flight, shared by every caller that wants the
// same generation or older.
type loadCall struct {
	gen  uint64
	done chan struct{}
	snap *snapshot
	err  error
}

func newFolder(s *server, root, name string) *folder {
	return &folder{
		s:     s,
		root:  root,
		name:  name,
		uri:   pathURI(root),
		cache: project.NewCache(),
		log:   s.log.With("folder", root),
		diags: newDiagState(),
		dirty: make(chan struct{}, 1),
		full:  make(chan struct{}, 1),
		seen:  map[string][]byte{},
	}
}

// start runs the folder's loop and asks for a first load.
func (f *folder) start() {
	f.s.goBackground("diagnostics of "+f.root, f.loop)
	f.s.goBackground("model of "+f.root, f.fullLoop)
	f.invalidate(time.Time{}) // the zero time: no delay
}

// invalidate records a change made at t and wakes the loop.
func (f *folder) invalidate(t time.Time) {
	f.s.mu.Lock()
	f.gen++
	f.lastChange = t
	if f.passCancel != nil {
		f.passCancel()
	}
	f.s.mu.Unlock()
	select {
	case f.dirty <- struct{}{}:
	default:
	}
}

// loop runs the quick phase of diagnostics after every change (it costs
// microseconds; changes that arrive while it runs are handled together by
// the next run) and hands over to fullLoop, until the session ends. The
// phases run on separate goroutines so that a full phase, debounced and
// being cancelled, never delays the quick phase of the next edit.
func (f *folder) loop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.dirty:
		}
		if f.isClosed() {
			continue
		}
		f.quickPass(ctx)
		select {
		case f.full <- struct{}{}:
		default:
		}
	}
}

// fullLoop runs the full phase (load and publish) once changes have
// paused for the diagnostics delay, cancelled by every change.
func (f *folder) fullLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.full:
		}
		if !f.quiet(ctx) {
			return
		}
		pctx, cancel := context.WithCancel(ctx)
		f.s.mu.Lock()
		closed := f.closed
		stale := f.gen != f.quickGen
		f.passCancel = cancel
		f.s.mu.Unlock()
		if !closed && !stale {
			f.pass(pctx)
		}
		f.s.mu.Lock()
		f.passCancel = nil
		f.s.mu.Unlock()
		cancel()
	}
}

// quiet waits until no change happened for the diagnostics delay. It
// reports false when the session ends first.
func (f *folder) quiet(ctx context.Context) bool {
	delay := f.s.currentSettings().DiagnosticsDelay
	for {
		f.s.mu.Lock()
		wait := time.Until(f.lastChange.Add(delay))
		f.s.mu.Unlock()
		if wait <= 0 {
			return true
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// pass loads the model if it is stale and publishes its diagnostics.
func (f *folder) pass(ctx context.Context) {
	snap, err := f.ensure(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("loading the project", "err", err)
			f.s.logMessage(protocol.MessageTypeError, "lambdalens: "+err.Error())
		}
		return
	}
	f.diags.setModel(snap)
	f.publish(ctx, snap)

	fp := fingerprint(snap.project)
	f.s.mu.Lock()
	changed := fp != f.functions
	f.functions = fp
	f.s.mu.Unlock()
	if changed {
		f.s.refreshLenses()
	}
}

// ensure returns a model at least as new as the folder's latest change,
// loading it (or waiting for the load in flight) when needed.
func (f *folder) ensure(ctx context.Context) (*snapshot, error) {
	var lastErr error
	for range maxLoadAttempts {
		f.s.mu.Lock()
		want := f.gen
		if f.snap != nil && f.snap.gen >= want {
			snap := f.snap
			f.s.mu.Unlock()
			return snap, nil
		}
		call := f.inflight
		if call == nil || call.gen < want {
			call = &loadCall{gen: want, done: make(chan struct{})}
			f.inflight = call
			overlay, versions, uris := f.s.openDocsLocked(f.root)
			f.s.mu.Unlock()
			f.load(ctx, call, overlay, versions, uris)
		} else {
			f.s.mu.Unlock()
			select {
			case <-call.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if call.err == nil {
			return call.snap, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lastErr = call.err
		if !errors.Is(call.err, context.Canceled) {
			return nil, call.err
		}
		// Another caller's load was cancelled by a newer edit: try again.
	}
	return nil, lastErr
}

// load runs project.Load for call and publishes its outcome.
func (f *folder) load(ctx context.Context, call *loadCall, overlay map[string][]byte, versions map[string]int32, uris map[string]protocol.DocumentURI) {
	defer close(call.done)
	p, err := project.Load(ctx, f.root, project.Options{Overlay: overlay, Cache: f.cache})
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	if f.inflight == call {
		f.inflight = nil
	}
	if err != nil {
		call.err = err
		return
	}
	call.snap = &snapshot{gen: call.gen, project: p, overlay: overlay, versions: versions, uris: uris}
	if f.snap == nil || call.gen > f.snap.gen {
		f.snap = call.snap
	}
}

// current returns the newest model without loading; nil before the first
// load.
func (f *folder) current() *snapshot {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.snap
}

// openDocsLocked returns the contents, versions and URIs of the open
// documents under root. s.mu must be held.
func (s *server) openDocsLocked(root string) (map[string][]byte, map[string]int32, map[string]protocol.DocumentURI) {
	overlay := map[string][]byte{}
	versions := map[string]int32{}
	uris := map[string]protocol.DocumentURI{}
	for p, d := range s.docs {
		if within(root, p) {
			overlay[p] = d.content
			versions[p] = d.version
			uris[p] = d.uri
		}
	}
	return overlay, versions, uris
}

// fingerprint identifies the functions of a project and where their
// lenses go, so that lenses are refreshed only when that changes.
func fingerprint(p *project.Project) string {
	if p == nil {
		return ""
	}
	var b []byte
	for _, fn := range p.Functions {
		b = append(b, fn.ID...)
		b = append(b, 0)
		b = append(b, fn.File...)
		b = strconv.AppendInt(b, int64(fn.Entrypoint.SymbolRange.Start.Line), 10)
		b = append(b, '\n')
	}
	return string(b)
}

// abs returns the absolute path of a slash path relative to the root.
func (f *folder) abs(rel string) string { return filepath.Join(f.root, filepath.FromSlash(rel)) }

// rel returns the slash path of an absolute path relative to the root.
func (f *folder) rel(abs string) (string, bool) {
	r, err := filepath.Rel(f.root, abs)
	if err != nil || r == ".." || len(r) > 2 && r[:3] == ".."+string(filepath.Separator) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// close stops everything the folder runs: its pass, watcher, dev server,
// build and type check. It is idempotent.
func (f *folder) close(ctx context.Context) {
	f.s.mu.Lock()
	f.closed = true
	if f.passCancel != nil {
		f.passCancel()
	}
	f.s.mu.Unlock()

	f.stopWatching()
	f.cancelCheck()
	f.cancelBuild()
	f.stopDev(ctx, false)
}

// isClosed reports whether close was called.
func (f *folder) isClosed() bool {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.closed
}
