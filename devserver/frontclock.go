package devserver

import (
	"context"
	"sync"
	"time"
)

// The front's clock does the timed work on the requests it serves: it
// starts watching the connection of a request that has run for
// frontWatchAfter, and cancels a request at its deadline (a function's
// maxDuration). One goroutine ticks for every connection, so that a
// request arms and stops no timer: a timer per request cost about a
// tenth of the front's CPU time per request (bench/README.md).
const (
	// frontTick is the clock's period: a watch starts up to frontTick
	// after frontWatchAfter, and a deadline is kept to within frontTick.
	frontTick = 10 * time.Millisecond
	// frontClockLinger is how long the clock keeps ticking with no
	// request in flight before it stops; the next request starts it.
	frontClockLinger = time.Second
)

// begin starts the clock's work on a request: called by the front for
// each request it serves, before the handler runs, with end after it.
func (f *front) begin() {
	f.inflight.Add(1)
	if !f.clockRunning.Load() && f.clockRunning.CompareAndSwap(false, true) {
		f.wg.Add(1) // a connection goroutine is running: f.wg is not zero
		go f.runClock()
	}
}

func (f *front) end() { f.inflight.Add(-1) }

// runClock ticks until no request has been in flight for
// frontClockLinger, or, once the front is closing, none is.
func (f *front) runClock() {
	defer f.wg.Done()
	t := time.NewTicker(frontTick)
	defer t.Stop()
	var idleSince time.Time
	for {
		select {
		case <-f.ctx.Done():
			f.clockRunning.Store(false)
			return
		case now := <-t.C:
			f.mu.Lock()
			closing := f.closing
			for c := range f.conns {
				c.watch.tick(now)
			}
			f.mu.Unlock()
			if f.inflight.Load() > 0 {
				idleSince = time.Time{}
				continue
			}
			if idleSince.IsZero() {
				idleSince = now
			}
			if !closing && now.Sub(idleSince) < frontClockLinger {
				continue
			}
			// Stop, unless a request began meanwhile and saw the clock
			// still running (it reads clockRunning after counting itself
			// in flight, so one of the two sees the other).
			f.clockRunning.Store(false)
			if f.inflight.Load() == 0 || !f.clockRunning.CompareAndSwap(false, true) {
				return
			}
			idleSince = time.Time{}
		}
	}
}

// frontWatch is the clock's state for one connection's current request.
//
// It cancels the request's context when the client goes away, as
// net/http's server does with a read it starts for every request. Here
// the read starts only once the request has run for frontWatchAfter with
// its body read: the clock starts a goroutine that reads one byte from
// the connection until the request ends (stop makes the read time out) or
// the client closes the connection (it cancels the request). A byte that
// arrives is the start of a pipelined request and is kept for the next
// read, after those the connection's buffer already holds.
type frontWatch struct {
	c *frontConn

	mu       sync.Mutex
	cancel   context.CancelCauseFunc // of the current request; nil between requests
	started  time.Time
	deadline time.Time // zero: none
	cause    error     // the cancellation cause at deadline
	reading  bool
	done     chan struct{} // closed when the read returned
}

// start arms the watch for a request whose context cancel cancels.
func (w *frontWatch) start(cancel context.CancelCauseFunc) {
	now := time.Now()
	w.mu.Lock()
	w.cancel, w.started, w.deadline = cancel, now, time.Time{}
	w.mu.Unlock()
	w.c.f.begin()
}

// cancelAfter cancels the current request with cause once d has passed,
// unless the returned stop is called first (or the request ends).
func (w *frontWatch) cancelAfter(d time.Duration, cause error) (stop func()) {
	at := time.Now().Add(d)
	w.mu.Lock()
	w.deadline, w.cause = at, cause
	w.mu.Unlock()
	return w.clearDeadline
}

func (w *frontWatch) clearDeadline() {
	w.mu.Lock()
	w.deadline, w.cause = time.Time{}, nil
	w.mu.Unlock()
}

// tick does what is due at now: the cancellation at the deadline, the
// start of the read.
func (w *frontWatch) tick(now time.Time) {
	w.mu.Lock()
	if w.cancel == nil {
		w.mu.Unlock()
		return
	}
	cancel := w.cancel
	if !w.deadline.IsZero() && !now.Before(w.deadline) {
		cause := w.cause
		w.deadline, w.cause = time.Time{}, nil
		w.mu.Unlock()
		cancel(cause)
		return
	}
	if w.reading || now.Sub(w.started) < frontWatchAfter || w.bodyUnread() {
		w.mu.Unlock()
		return
	}
	w.reading = true
	done := make(chan struct{})
	w.done = done
	w.mu.Unlock()
	// Owned by the connection: stop ends the read and waits for done.
	go w.read(cancel, done)
}

// bodyUnread reports whether the handler may still be reading the
// request's body, which it reads from the connection the watch would
// read: then the watch waits. A read in progress holds the body's lock
// (it may wait for the client for long): that counts as unread.
func (w *frontWatch) bodyUnread() bool {
	b := w.c.curBody
	if b == nil || !b.mu.TryLock() {
		return b != nil
	}
	defer b.mu.Unlock()
	return b.remaining > 0 && !b.closed
}

func (w *frontWatch) read(cancel context.CancelCauseFunc, done chan struct{}) {
	defer close(done)
	n, err := w.c.nc.Read(w.c.stash[:])
	if n == 1 {
		w.c.hasStash = true
		return
	}
	w.mu.Lock()
	stopping := w.cancel == nil
	w.mu.Unlock()
	if err != nil && !stopping {
		cancel(errClientGone)
	}
}

// stop ends the watch of the current request and waits for its read.
func (w *frontWatch) stop() {
	w.mu.Lock()
	if w.cancel == nil {
		w.mu.Unlock()
		return
	}
	w.cancel, w.deadline, w.cause = nil, time.Time{}, nil
	reading, done := w.reading, w.done
	w.reading = false
	w.mu.Unlock()
	w.c.f.end()
	if reading {
		w.c.nc.SetReadDeadline(time.Unix(1, 0))
		<-done
		w.c.nc.SetReadDeadline(time.Time{})
	}
}
