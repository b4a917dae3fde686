package devserver

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// errClientGone is the cancellation cause of a request whose client
// closed its connection.
var errClientGone = errors.New("the client closed the connection")

// frontBody is the body of a request the front serves: Content-Length
// bytes of the connection. Like net/http's, it is safe for concurrent use
// (a transport may still read it while the response is being written),
// Close drains up to frontDiscardBody so that the connection can be kept,
// and reads after the handler returned fail.
type frontBody struct {
	c *frontConn
	// closing: the request asked to close the connection, so Close does
	// not drain.
	closing bool

	mu        sync.Mutex
	remaining int64
	sawEOF    bool
	closed    bool
	// earlyClose: closed with more than frontDiscardBody unread, so the
	// connection cannot carry another request.
	earlyClose bool
}

func (b *frontBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *frontBody) readLocked(p []byte) (int, error) {
	if b.remaining == 0 {
		b.sawEOF = true
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	switch {
	case b.remaining == 0:
		b.sawEOF = true
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Close drains up to frontDiscardBody of what is left, as net/http's
// body does; more left (or exactly that much: net/http cannot tell) is an
// early close, after which the connection ends.
func (b *frontBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	switch {
	case b.sawEOF || b.remaining == 0 || b.closing:
		return nil
	case b.remaining > frontDiscardBody:
		b.earlyClose = true
		return nil
	}
	var buf [4 << 10]byte
	var drained int64
	for {
		n, err := b.readLocked(buf[:min(len(buf), int(frontDiscardBody-drained))])
		drained += int64(n)
		if err == io.EOF || drained == frontDiscardBody {
			b.earlyClose = drained == frontDiscardBody
			return nil
		}
		if err != nil {
			b.earlyClose = true
			return err
		}
	}
}

// frontWatch cancels a request's context when its client goes away, as
// net/http's server does with a read it starts for every request. Here the
// read starts only once the request has run for frontWatchAfter with its
// body read: a timer runs watch, which reads one byte from the connection
// until the request ends (stop makes the read time out) or the client
// closes the connection (it cancels the request). A byte that arrives is
// the start of a pipelined request and is kept for the next read, after
// those the connection's buffer already holds.
type frontWatch struct {
	c     *frontConn
	timer *time.Timer // runs fire; reused

	mu      sync.Mutex
	cancel  context.CancelCauseFunc // of the current request; nil between requests
	reading bool
	done    chan struct{} // closed when the read returned
}

// start arms the watch for a request whose context cancel cancels.
func (w *frontWatch) start(cancel context.CancelCauseFunc) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancel = cancel
	if w.timer == nil {
		w.timer = time.AfterFunc(frontWatchAfter, w.fire)
	} else {
		w.timer.Reset(frontWatchAfter)
	}
}

// fire starts the read, on the timer's goroutine, which it then owns
// until the read returns.
func (w *frontWatch) fire() {
	w.mu.Lock()
	if w.cancel == nil || w.reading {
		w.mu.Unlock()
		return
	}
	if b := w.c.curBody; b != nil {
		// A body read in progress holds the lock (it may wait for the
		// client for long): not read yet, then.
		unread := true
		if b.mu.TryLock() {
			unread = b.remaining > 0 && !b.closed
			b.mu.Unlock()
		}
		if unread {
			// The handler is still reading the body: look again later.
			w.timer.Reset(frontWatchAfter)
			w.mu.Unlock()
			return
		}
	}
	w.reading = true
	done := make(chan struct{})
	w.done = done
	cancel := w.cancel
	w.mu.Unlock()

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
	w.cancel = nil
	reading, done := w.reading, w.done
	w.reading = false
	w.timer.Stop()
	w.mu.Unlock()
	if reading {
		w.c.nc.SetReadDeadline(time.Unix(1, 0))
		<-done
		w.c.nc.SetReadDeadline(time.Time{})
	}
}
