package devserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// Bounds of the process lifecycle.
const (
	// stopTimeout bounds stopping one process (the runtime's grace period
	// between SIGINT and SIGKILL is shorter).
	stopTimeout = 10 * time.Second
	// maxDrain bounds how long a replaced process may keep serving the
	// requests it had when the new one took over. A request cannot outlive
	// its function's maxDuration anyway; this caps the default of 300 s.
	maxDrain = 60 * time.Second
	// acquireAttempts bounds how often one request waits for a start
	// (a process that dies right after starting, builds superseded by
	// newer edits) before it gives up.
	acquireAttempts = 10
	// lostGrace is how long a process that refused a connection is given
	// to finish exiting on its own before it is retired and stopped.
	lostGrace = time.Second
)

// function is one entrypoint of the project and its process. The serving
// instance is read without locks on the request path; starting, swapping
// and failures are guarded by mu.
type function struct {
	s   *Server
	id  string
	def atomic.Pointer[project.Function]
	// cur is the instance serving requests, nil before the first start,
	// after a crash and after a failed build.
	cur atomic.Pointer[instance]

	mu sync.Mutex
	// pending is the build-and-start in progress, if any.
	pending *startCall
	// dirty: a relevant change arrived while pending ran; one follow-up
	// build runs when it ends (changes are coalesced).
	dirty       bool
	dirtyReason string
	// failure is the page served after a failed build, until a build
	// succeeds.
	failure *httpError
	// inputs are the files the function depends on; nil until the runtime
	// told us (see inputs.go). inputsStale: they may have changed since
	// (new files, changed imports or manifests); the next build refreshes
	// them.
	inputs      *inputSet
	inputsStale bool
	// refreshGen counts the refreshes of the inputs builds have started;
	// refreshDone is the newest one that has ended. A refresh older than
	// refreshGen when it ends leaves the inputs to the newer one.
	refreshGen, refreshDone int64
	// unjudged are the events that did not count when they came, while
	// inputs was nil (not a source file) or stale or being refreshed (not
	// in the old inputs); refreshInputs judges them against the new ones.
	// unjudgedLost: more came than maxUnjudged.
	unjudged     []watch.Event
	unjudgedLost bool
	// removed: the function is gone from the project or the server is
	// closing; nothing starts any more.
	removed bool
	// crashed: the last process crashed; the next start says so.
	crashed bool
	// restartReason, when set, is the reason the next start gives.
	restartReason string
	// startFailed: the last start failed in a way the next request tries
	// again (not remembered as failure); a change rebuilds at once, so
	// that its result is known (the language server shows it).
	startFailed bool
}

// startCall is one build-and-start. Requests that need the process wait on
// done; err is set before done is closed (nil when the result is for them
// to look up in the function).
type startCall struct {
	done chan struct{}
	err  error
}

// instance is one running process of a function.
type instance struct {
	f    *function
	proc runtimes.DevProcess
	addr string
	// target is the proxy's URL for the process.
	target *url.URL
	// output are the writers of its stdout and stderr, flushed when it
	// exits.
	output [2]*lineWriter
	// inflight counts requests using the instance. Once retired, the last
	// one out closes drained.
	inflight  atomic.Int64
	retired   atomic.Bool
	drained   chan struct{}
	drainOnce sync.Once
	// stopping is set before the dev server stops the process, so that its
	// exit is not reported as a crash.
	stopping atomic.Bool
	// lost is set when the process refused a connection: it died (or
	// closed its listener) on its own, so its end is a crash even if the
	// dev server stops it before noticing.
	lost atomic.Bool
}

func newFunction(s *Server, def *project.Function) *function {
	f := &function{s: s, id: def.ID, inputsStale: true}
	f.def.Store(def)
	return f
}

// maxDuration is the function's vercel.json maxDuration.
func (f *function) maxDuration() time.Duration {
	d := f.def.Load().Config.MaxDuration
	if d <= 0 {
		d = project.DefaultMaxDuration
	}
	return time.Duration(d) * time.Second
}

func (i *instance) exited() bool {
	select {
	case <-i.proc.Done():
		return true
	default:
		return false
	}
}

func (i *instance) release() {
	if i.inflight.Add(-1) == 0 && i.retired.Load() {
		i.drainOnce.Do(func() { close(i.drained) })
	}
}

// acquire returns a live instance with its in-flight count taken, starting
// the process if needed (concurrent callers share one start). The caller
// must call release. Errors are *httpError (a failed build, a failed
// start) or ctx's error.
func (f *function) acquire(ctx context.Context) (*instance, error) {
	for range acquireAttempts {
		if inst := f.cur.Load(); inst != nil && !inst.exited() {
			inst.inflight.Add(1)
			// A swap between the load and the increment would let the old
			// instance drain and stop under us: check it is still current.
			if f.cur.Load() == inst {
				return inst, nil
			}
			inst.release()
			continue
		}
		p, err := f.ensureStarting("first request")
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		select {
		case <-p.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if p.err != nil {
			return nil, p.err
		}
	}
	return nil, newHTTPError(http.StatusBadGateway, codeNoResponse,
		fmt.Errorf("%s did not stay up after %d starts", f.id, acquireAttempts))
}

// ensureStarting returns the start in progress, starting one if there is
// no live instance. It returns nil, nil when an instance is live.
func (f *function) ensureStarting(reason string) (*startCall, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return nil, newHTTPError(http.StatusBadGateway, codeNoResponse, fmt.Errorf("%s was removed from the project", f.id))
	}
	if inst := f.cur.Load(); inst != nil && !inst.exited() {
		return nil, nil
	}
	if f.pending != nil {
		// With a failed build's page up too: a build in progress is of
		// newer code (a change started it), so the request waits for it
		// rather than get an error the save may have fixed.
		return f.pending, nil
	}
	if f.failure != nil {
		return nil, f.failure
	}
	if f.crashed || f.cur.Load() != nil {
		reason = "restart after a crash"
	}
	if f.restartReason != "" {
		reason, f.restartReason = f.restartReason, ""
	}
	// Not f.pending: a start refused during shutdown is already over.
	return f.startLocked(reason), nil
}

// prewarm starts the function unless it runs already.
func (f *function) prewarm() {
	if _, err := f.ensureStarting("prewarm"); err != nil {
		f.s.log.Debug("prewarm skipped", "function", f.id, "err", err)
	}
}

// changed is called when an input of the function changed; structural
// says the set of inputs may have changed too. A running (or failed, or
// prewarmed) function is rebuilt in the background while the old process
// keeps serving; a function that never started stays lazy.
func (f *function) changed(reason string, structural bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return
	}
	f.inputsStale = f.inputsStale || structural
	if f.pending != nil {
		if !f.dirty {
			f.dirty, f.dirtyReason = true, reason
		}
		return
	}
	inst := f.cur.Load()
	running := inst != nil && !inst.exited()
	if !running && f.failure == nil && !f.startFailed && !f.s.cfg.Prewarm {
		return
	}
	f.startLocked(reason)
}

// startLocked starts a build-and-start in the background and returns it;
// during shutdown, it returns it failed. f.mu is held.
func (f *function) startLocked(reason string) *startCall {
	p := &startCall{done: make(chan struct{})}
	f.pending = p
	if !f.s.goBackground("building "+f.id, func() { f.build(p, reason) }) {
		f.pending = nil
		p.err = newHTTPError(http.StatusBadGateway, codeNoResponse, errors.New("the dev server is shutting down"))
		close(p.done)
	}
	return p
}

// build runs one build-and-start and publishes its result.
func (f *function) build(p *startCall, reason string) {
	s := f.s
	// Changes kept for the inputs to judge happened before this build,
	// which reads the files as they are now.
	f.mu.Lock()
	f.unjudged, f.unjudgedLost = nil, false
	f.mu.Unlock()
	def := f.def.Load()
	snap := s.state.Load()
	s.out.emit(Event{Type: EventBuildStarted, Function: f.id, File: def.File, Reason: reason})
	start := time.Now()

	var proc runtimes.DevProcess
	var err error
	stdout := &lineWriter{p: s.out, function: f.id, file: def.File, stream: "stdout"}
	stderr := &lineWriter{p: s.out, function: f.id, file: def.File, stream: "stderr"}
	rt, ok := s.cfg.Runtimes[def.Language()]
	if !ok {
		err = fmt.Errorf("no runtime for %s functions is configured", def.Language())
	} else {
		proc, err = rt.StartDev(s.ctx, runtimes.DevRequest{
			Root:       s.root,
			File:       def.File,
			Entrypoint: def.Entrypoint,
			Env:        snap.env,
			CacheDir:   s.cacheDir,
			Stdout:     stdout,
			Stderr:     stderr,
			Logger:     s.cfg.Logger,
		})
	}
	var inst *instance
	if err == nil {
		// The new process may listen on a port an exited one used: drop
		// idle keep-alive connections, which could lead to the dead one.
		s.dropIdleConns()
		inst = &instance{f: f, proc: proc, addr: proc.Addr(), drained: make(chan struct{}), output: [2]*lineWriter{stdout, stderr}}
		inst.target = &url.URL{Scheme: "http", Host: inst.addr}
		s.out.emit(Event{Type: EventBuildFinished, Function: f.id, File: def.File, Duration: time.Since(start), PID: proc.PID(), Addr: inst.addr})
		s.out.emit(Event{Type: EventProcessStarted, Function: f.id, File: def.File, PID: proc.PID(), Addr: inst.addr})
	} else if s.closing() {
		s.log.Debug("build abandoned: shutting down", "function", f.id, "err", err)
	} else {
		ev := Event{Type: EventBuildFailed, Function: f.id, File: def.File, Duration: time.Since(start), Message: err.Error()}
		var be *runtimes.BuildError
		if errors.As(err, &be) {
			ev.Output, ev.Diagnostics, ev.Message = be.Output, be.Diagnostics, be.Op+": "+errString(be.Err)
		}
		s.out.emit(ev)
		s.log.Debug("build failed", "function", f.id, "err", err)
	}

	var retire *instance
	var be *runtimes.BuildError
	isBuildErr := errors.As(err, &be)
	f.mu.Lock()
	f.pending = nil
	refresh := ok && (err == nil || isBuildErr) && f.inputsStale
	var gen int64
	if refresh {
		f.inputsStale = false
		f.refreshGen++
		gen = f.refreshGen
	}
	redo, redoReason := f.dirty, f.dirtyReason
	f.dirty, f.dirtyReason = false, ""
	switch {
	case f.removed || s.closing():
		p.err = newHTTPError(http.StatusBadGateway, codeNoResponse, errors.New("the function was removed or the dev server is shutting down"))
		retire, inst = inst, nil
		redo = false
	case err == nil:
		retire = f.cur.Swap(inst)
		f.failure, f.crashed, f.startFailed, f.restartReason = nil, false, false, ""
	case redo:
		// A newer change is waiting: this failure is stale, and the old
		// process (if any) keeps serving until the follow-up build ends.
	case isBuildErr && !be.Retry || !ok:
		// The code does not compile: serve the error page until it does.
		f.failure = buildFailure(f.id, err)
		p.err = f.failure
		retire = f.cur.Swap(nil)
	default:
		// The new code built but its process failed to start (crashed
		// before reporting its port, timed out, or a build error that may
		// not recur: BuildError.Retry). The old process goes,
		// as does an earlier build's error page: neither is what is on
		// disk now. Not remembered: the next request tries again and gets
		// this start's error if it fails the same way.
		p.err = buildFailure(f.id, err)
		f.failure, f.startFailed = nil, true
		retire = f.cur.Swap(nil)
	}
	if redo {
		f.startLocked(redoReason)
	}
	f.mu.Unlock()
	close(p.done)

	if inst != nil && !s.goBackground("watching "+f.id, inst.monitor) {
		inst.stop()
	}
	if retire != nil {
		s.retire(retire)
	}
	if refresh {
		f.refreshInputs(rt, def, gen)
	}
}

func errString(err error) string {
	if err == nil {
		return "failed"
	}
	return err.Error()
}

// monitor waits for the process to end and reports a crash; the next
// request then starts a new process. A crash is an exit the dev server did
// not ask for, or one the runtime reports as a failure (the process may
// have died on its own just before the dev server stopped it).
func (i *instance) monitor() {
	<-i.proc.Done()
	f, s := i.f, i.f.s
	s.dropIdleConns()
	for _, w := range i.output {
		w.flush()
	}
	def := f.def.Load()
	ev := Event{Type: EventProcessExited, Function: f.id, File: def.File, PID: i.proc.PID(), ExitStatus: "exited"}
	err := i.proc.Err()
	if err != nil {
		ev.ExitStatus = exitStatus(err)
	}
	if err != nil || !i.stopping.Load() {
		ev.Crashed = true
		// The process-exited event tells the user; the log, for --verbose.
		s.log.Debug("function process crashed", "function", f.id, "pid", ev.PID, "status", ev.ExitStatus)
		f.mu.Lock()
		if f.cur.CompareAndSwap(i, nil) {
			f.crashed = true
		}
		f.mu.Unlock()
	}
	s.out.emit(ev)
}

// exitStatus is how a crash reads in the process-exited event. For a
// *proc.ExitError that is the status alone: the process's stderr lines
// were printed as they came, and the last of them may be older than the
// crash (a panic a request before an os.Exit). Other errors (a runtime's
// diagnosis, such as a Python traceback) are kept whole.
func exitStatus(err error) string {
	if ee, ok := err.(*proc.ExitError); ok && ee.Err != nil {
		return ee.Err.Error()
	}
	return err.Error()
}

// markStopping records that the dev server ends the process, so that its
// exit is not reported as a crash; a process already gone crashed.
func (i *instance) markStopping() {
	if !i.exited() && !i.lost.Load() {
		i.stopping.Store(true)
	}
}

// timedOut takes out of service a process that let a request run past
// maxDuration: on Vercel the instance ends, while here the handler would
// run on (a loop burning a core, threads and connections piling up). New
// requests go to a new process; the old one is stopped once its other
// requests are done, as after a reload.
func (f *function) timedOut(inst *instance) {
	f.mu.Lock()
	current := f.cur.CompareAndSwap(inst, nil)
	if current {
		f.restartReason = "restart after a request ran past maxDuration"
	}
	f.mu.Unlock()
	if !current {
		return // replaced meanwhile; whoever replaced it retires it
	}
	f.s.warn(fmt.Sprintf("%s: a request ran past maxDuration (%s); its process is replaced", f.id, f.maxDuration()))
	f.s.retire(inst)
}

// abandon takes out of service an instance that refused a connection: it
// died, or closed its listener, without the dev server noticing yet. That
// is a crash. The process gets lostGrace to finish exiting, so that its
// monitor reports the real exit status (stopping it first would turn a
// death by a signal into a clean stop), and is retired after that.
func (f *function) abandon(inst *instance) {
	inst.lost.Store(true)
	f.mu.Lock()
	current := f.cur.CompareAndSwap(inst, nil)
	if current {
		f.crashed = true
	}
	f.mu.Unlock()
	if !current {
		return // replaced meanwhile; whoever replaced it retires it
	}
	s := f.s
	started := s.goBackground("abandoning "+f.id, func() {
		t := time.NewTimer(lostGrace)
		defer t.Stop()
		select {
		case <-inst.proc.Done():
			return
		case <-t.C:
		case <-s.ctx.Done():
		}
		s.retire(inst)
	})
	if !started {
		s.retire(inst)
	}
}

// stop ends the process and waits for it, bounded by stopTimeout.
func (i *instance) stop() {
	i.markStopping()
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := i.proc.Stop(ctx); err != nil {
		i.f.s.log.Warn("stopping function process", "function", i.f.id, "pid", i.proc.PID(), "err", err)
	}
}

// retire stops an instance that no longer receives new requests once its
// in-flight requests have finished (bounded by maxDrain and the function's
// maxDuration).
func (s *Server) retire(old *instance) {
	old.retired.Store(true)
	if old.inflight.Load() == 0 {
		old.drainOnce.Do(func() { close(old.drained) })
	}
	bound := min(old.f.maxDuration(), maxDrain)
	started := s.goBackground("draining "+old.f.id, func() {
		t := time.NewTimer(bound)
		defer t.Stop()
		select {
		case <-old.drained:
		case <-t.C:
			s.log.Warn("replaced process still busy; stopping it", "function", old.f.id, "pid", old.proc.PID(), "inflight", old.inflight.Load())
		case <-s.ctx.Done():
		}
		old.stop()
	})
	if !started {
		old.stop()
	}
}

// remove retires the function: it was deleted from the project.
func (f *function) remove() {
	f.mu.Lock()
	f.removed = true
	old := f.cur.Swap(nil)
	f.mu.Unlock()
	f.s.outside.update(f, nil)
	if old != nil {
		f.s.retire(old)
	}
}

// shutdown stops the function's process at once (server Close).
func (f *function) shutdown(ctx context.Context) {
	f.mu.Lock()
	f.removed = true
	old := f.cur.Swap(nil)
	f.mu.Unlock()
	if old == nil {
		return
	}
	old.markStopping()
	if err := old.proc.Stop(ctx); err != nil {
		f.s.log.Warn("stopping function process", "function", f.id, "err", err)
	}
}
