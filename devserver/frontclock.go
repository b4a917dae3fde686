package devserver

import (
	"context"
	"sync"
	"time"
)

// The front's clock does the timed work on the connections it serves: it
// ends a wait for the client that ran past its limit (the idle and header
// timeouts), starts watching the connection of a request that has run for
// frontWatchAfter, and cancels a request at its deadline (a function's
// maxDuration). One goroutine does it for every connection, so that a
// request arms and stops no timer: a timer per request cost about a tenth
// of the front's CPU time per request, and so did the three read
// deadlines a request used to set (bench/README.md). The clock sleeps
// until the next thing due (at least frontTick, so that it looks at
// several connections at once, at most frontClockNap) and runs while the
// front has a connection: the accept loop starts it, and it stops when
// the last connection is gone.
const (
	// frontTick is the clock's shortest sleep: a watch starts, a
	// deadline cancels and a wait ends up to about frontTick late (never
	// early).
	frontTick = 10 * time.Millisecond
	// frontClockNap is the clock's longest sleep.
	frontClockNap = 30 * time.Second
)

// startClock starts the clock unless it runs. Call with f.mu held.
func (f *front) startClock() {
	if f.clockRunning {
		return
	}
	f.clockRunning = true
	f.clockNext.Store(f.clockTime(time.Now().Add(frontTick)))
	f.wg.Add(1)
	go f.runClock()
}

// clockTime is t as the clock's atomics hold it: nanoseconds on the
// monotonic clock since the front was made (a step of the wall clock
// changes nothing).
func (f *front) clockTime(t time.Time) int64 { return int64(t.Sub(f.clockBase)) }

// schedule tells the clock that something is due at due: the clock wakes
// for it if it would sleep past it. Call it after recording what is due
// where tick finds it.
func (f *front) schedule(due time.Time) {
	f.clockSeq.Add(1)
	if f.clockNext.Load() > f.clockTime(due)+int64(frontTick) {
		f.pokeClock()
	}
}

func (f *front) pokeClock() {
	select {
	case f.clockPoke <- struct{}{}:
	default: // a poke is pending
	}
}

// runClock does what is due on every connection, sleeping in between,
// until the front has no connection left.
//
// It cannot miss work recorded while it looks: schedule bumps clockSeq
// and then reads clockNext, the clock stores clockNext and then reads
// clockSeq, so either the clock sees the change (and looks again after
// frontTick) or schedule sees the new clockNext (and pokes it).
func (f *front) runClock() {
	defer f.wg.Done()
	timer := time.NewTimer(frontTick)
	defer timer.Stop()
	for {
		select {
		case <-f.ctx.Done():
			f.mu.Lock()
			f.clockRunning = false
			f.mu.Unlock()
			return
		case <-timer.C:
		case <-f.clockPoke:
		}
		f.clockWakes.Add(1)
		seq := f.clockSeq.Load()
		now := time.Now()
		next := now.Add(frontClockNap)
		f.mu.Lock()
		if len(f.conns) == 0 {
			// A connection accepted later starts the clock again (under
			// f.mu, as this check).
			f.clockRunning = false
			f.mu.Unlock()
			return
		}
		for c := range f.conns {
			if due := c.watch.tick(now); !due.IsZero() && due.Before(next) {
				next = due
			}
		}
		f.mu.Unlock()
		if f.afterLook != nil {
			f.afterLook()
		}
		wait := max(next.Sub(now), frontTick)
		f.clockNext.Store(f.clockTime(now.Add(wait)))
		if f.clockSeq.Load() != seq {
			wait = frontTick
		}
		timer.Reset(wait)
	}
}

// frontWatch is the clock's state for one connection: the limit on its
// wait for the client between requests, and the watch and deadline of its
// current request.
//
// A wait past its limit ends as a read deadline would end it (the clock
// sets one in the past), and the connection is closed, as net/http's
// server closes one that was idle for too long or sent its head too
// slowly.
//
// The watch cancels the request's context when the client goes away, as
// net/http's server does with a read it starts for every request. Here
// the read starts only once the request has run for frontWatchAfter with
// its body read: the clock starts a goroutine that reads one byte from
// the connection until the request ends (stop makes the read time out) or
// the client closes the connection (it cancels the request). A byte that
// arrives is the start of a pipelined request and is kept for the next
// read, after those the connection's buffer already holds.
type frontWatch struct {
	c *frontConn

	mu sync.Mutex
	// readDue is when the wait for the client ends; zero: no limit.
	// readExpired is set once it did, or once maxDuration cut a body
	// read: the connection's read deadline is in the past.
	readDue     time.Time
	readExpired bool
	cancel      context.CancelCauseFunc // of the current request; nil between requests
	started     time.Time
	deadline    time.Time // zero: none
	cause       error     // the cancellation cause at deadline
	reading     bool
	done        chan struct{} // closed when the read returned
}

// readWithin gives the client d from now to send what the connection
// waits for; 0 lifts the limit. It reports false when the limit set
// before had run out: the connection is to be closed.
func (w *frontWatch) readWithin(d time.Duration) bool {
	var due time.Time
	if d > 0 {
		due = time.Now().Add(d)
	}
	w.mu.Lock()
	expired := w.readExpired
	w.readDue = due
	w.mu.Unlock()
	if !expired && d > 0 {
		w.c.f.schedule(due)
	}
	return !expired
}

// start arms the watch for a request whose context cancel cancels.
func (w *frontWatch) start(cancel context.CancelCauseFunc) {
	now := time.Now()
	w.mu.Lock()
	w.cancel, w.started, w.deadline = cancel, now, time.Time{}
	w.mu.Unlock()
	w.c.f.schedule(now.Add(frontWatchAfter))
}

// cancelAfter cancels the current request with cause once d has passed,
// unless the returned stop is called first (or the request ends).
func (w *frontWatch) cancelAfter(d time.Duration, cause error) (stop func()) {
	at := time.Now().Add(d)
	w.mu.Lock()
	w.deadline, w.cause = at, cause
	w.mu.Unlock()
	w.c.f.schedule(at)
	return w.clearDeadline
}

func (w *frontWatch) clearDeadline() {
	w.mu.Lock()
	w.deadline, w.cause = time.Time{}, nil
	w.mu.Unlock()
}

// tick does what is due at now, the end of a wait, the cancellation at
// the deadline and the start of the read, and returns when the next thing
// is due (zero for nothing).
func (w *frontWatch) tick(now time.Time) (next time.Time) {
	w.mu.Lock()
	if !w.readDue.IsZero() {
		if now.Before(w.readDue) {
			next = w.readDue
		} else {
			// Under w.mu, so that readWithin, which the connection calls
			// before it serves a request, sees that it came.
			w.readDue, w.readExpired = time.Time{}, true
			w.c.nc.SetReadDeadline(time.Unix(1, 0))
		}
	}
	cancel := w.cancel
	if cancel == nil {
		w.mu.Unlock()
		return next
	}
	var cause error
	fire := !w.deadline.IsZero() && !now.Before(w.deadline)
	if fire {
		cause = w.cause
		w.deadline, w.cause = time.Time{}, nil
	}
	next = earliest(next, w.deadline)
	var done chan struct{}
	if !w.reading {
		switch watchAt := w.started.Add(frontWatchAfter); {
		case now.Before(watchAt):
			next = earliest(next, watchAt)
		case w.bodyUnread():
			next = earliest(next, now.Add(frontTick)) // look again
		default:
			w.reading = true
			done = make(chan struct{})
			w.done = done
		}
	}
	if fire && w.bodyUnread() {
		// A handler still reading the body waits for the client (one
		// that stopped sending): a read deadline in the past ends that
		// read, so the request ends with its timeout. Under w.mu and
		// marked expired, like a read timeout: the connection, its body
		// unread, serves no other request.
		w.readExpired = true
		w.c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	w.mu.Unlock()
	if fire {
		cancel(cause)
	}
	if done != nil {
		// Owned by the connection: stop ends the read and waits for done.
		go w.read(cancel, done)
	}
	return next
}

// earliest is the earlier of two times, a zero one meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
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
	if reading {
		w.c.nc.SetReadDeadline(time.Unix(1, 0))
		<-done
		w.c.nc.SetReadDeadline(time.Time{})
	}
}
