package devserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Timeouts and bounds of the front's connections (net/http's server, which
// takes the connections the front hands off, has the same timeouts).
const (
	// frontIdleTimeout closes a kept-alive connection with no request for
	// this long.
	frontIdleTimeout = 2 * time.Minute
	// frontHeaderTimeout bounds reading a request head once its first byte
	// came.
	frontHeaderTimeout = 30 * time.Second
	// frontReadSize is the read buffer of a connection: a request head
	// that does not fit goes to net/http, which allows up to 1 MB.
	frontReadSize = 16 << 10
	// frontWatchAfter is how long a request runs before the front starts
	// watching its connection for the client going away (which cancels
	// the request's context, as net/http's server does from the start).
	frontWatchAfter = 50 * time.Millisecond
	// frontLinger bounds lingeringClose.
	frontLinger = 500 * time.Millisecond
	// frontForceWait bounds the wait for handlers once a shutdown has
	// cancelled their requests and closed their connections.
	frontForceWait = time.Second
)

// front serves the dev server's HTTP/1.1 connections. net/http's server
// starts a goroutine per request to watch the connection, and its wake-ups
// are a fifth of the dev server's CPU time at low concurrency
// (bench/README.md); the front serves a connection in one goroutine,
// parsing each request with http.ReadRequest and answering through
// frontWriter, and watches only requests that run for a while.
//
// It takes only plain requests (see plainRequest): HTTP/1.1, a head that
// fits its buffer, no Upgrade, Expect or Transfer-Encoding. The first
// request that is not plain hands its connection, with every byte not yet
// consumed, to srv for the rest of the connection's life, so WebSocket
// upgrades, 100-continue, chunked uploads and every error answer to a
// malformed request are net/http's own.
type front struct {
	handler http.Handler
	srv     *http.Server // serves handed-off connections
	handoff *handoffListener
	log     *slog.Logger

	// ctx is the parent of every request context; cancelled by a forced
	// close.
	ctx    context.Context
	cancel context.CancelFunc

	// served and handedOff count requests served here and connections
	// given (or, after shutdown, offered) to srv.
	served, handedOff atomic.Int64

	// shuttingDown is set before closing, and read without the lock on
	// every request: connections stop taking requests, and responses
	// close their connection and say so, as net/http's do. (Set before
	// shutdown looks at idle, read after a connection sets it: one of the
	// two sees the other.)
	shuttingDown atomic.Bool

	// idleTimeout and headerTimeout are frontIdleTimeout and
	// frontHeaderTimeout but in tests.
	idleTimeout, headerTimeout time.Duration

	// The clock (frontclock.go): clockSeq is bumped when work is
	// scheduled; clockNext is when the clock wakes next; clockPoke wakes
	// it earlier. Times are clockTime values, from clockBase.
	clockSeq   atomic.Int64
	clockNext  atomic.Int64
	clockPoke  chan struct{}
	clockBase  time.Time
	clockWakes atomic.Int64 // times the clock looked at the connections (for tests)
	// afterLook, set by tests only, runs each time the clock has looked
	// at the connections, before it decides how long to sleep.
	afterLook func()

	mu           sync.Mutex
	conns        map[*frontConn]struct{}
	closing      bool
	clockRunning bool           // the clock's goroutine runs
	wg           sync.WaitGroup // the accept loop, the connection goroutines and the clock
}

func newFront(h http.Handler, srv *http.Server, addr net.Addr, log *slog.Logger) *front {
	f := &front{
		handler: h,
		srv:     srv,
		handoff: newHandoffListener(addr),
		log:     log,
		conns:   make(map[*frontConn]struct{}),
		// net/http's server, which takes over some connections, has the
		// same (server.go).
		idleTimeout:   frontIdleTimeout,
		headerTimeout: frontHeaderTimeout,
		// One pending poke is enough: the clock looks at everything.
		clockPoke: make(chan struct{}, 1),
		clockBase: time.Now(),
	}
	// Handlers see the values net/http's server puts in a request's
	// context; ReverseProxy aborts a response whose body copy failed only
	// when http.ServerContextKey is there.
	f.ctx, f.cancel = context.WithCancel(context.WithValue(context.Background(), http.ServerContextKey, srv))
	return f
}

// serve accepts connections on ln until it is closed, and runs srv on the
// handed-off ones. It returns http.ErrServerClosed after shutdown.
func (f *front) serve(ln net.Listener) error {
	f.wg.Add(1)
	srvDone := make(chan error, 1)
	go func() {
		defer f.wg.Done()
		srvDone <- f.srv.Serve(f.handoff)
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			f.mu.Lock()
			closing := f.closing
			f.mu.Unlock()
			if closing {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors: wait as net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				f.log.Warn("accepting a connection failed; retrying", "err", err, "in", delay)
				t := time.NewTimer(delay)
				select {
				case <-t.C:
				case <-f.ctx.Done():
					t.Stop()
				}
				continue
			}
			f.handoff.Close()
			<-srvDone
			return err
		}
		delay = 0
		c := newFrontConn(f, nc)
		f.mu.Lock()
		if f.closing {
			f.mu.Unlock()
			nc.Close()
			continue
		}
		f.conns[c] = struct{}{}
		f.wg.Add(1)
		f.startClock()
		f.mu.Unlock()
		go c.serve()
	}
}

// shutdown stops accepting, closes idle connections and waits for the
// others to finish their request, and for net/http's server to do the
// same, until ctx ends: then every connection is closed. ln is the
// listener serve was given.
func (f *front) shutdown(ctx context.Context, ln net.Listener) error {
	f.shuttingDown.Store(true)
	f.mu.Lock()
	f.closing = true
	for c := range f.conns {
		c.closeIfIdle()
	}
	f.mu.Unlock()
	ln.Close()
	err := f.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() { f.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		err = errors.Join(err, context.Cause(ctx))
		f.forceClose()
		// Every request is cancelled and every connection closed; a
		// handler that ignores both is left behind, not waited for.
		t := time.NewTimer(frontForceWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			f.log.Warn("handlers still running after the server closed", "after", frontForceWait)
		}
	}
	return err
}

// forceClose cuts every connection, of both servers, and cancels every
// request.
func (f *front) forceClose() {
	f.cancel()
	f.srv.Close()
	f.shuttingDown.Store(true)
	f.mu.Lock()
	f.closing = true
	for c := range f.conns {
		c.nc.Close()
	}
	f.mu.Unlock()
}

func (f *front) forget(c *frontConn) {
	f.mu.Lock()
	delete(f.conns, c)
	last := len(f.conns) == 0
	f.mu.Unlock()
	if last {
		f.pokeClock() // to stop
	}
	f.wg.Done()
}

// frontConn is one connection the front serves.
type frontConn struct {
	f          *front
	ctx        context.Context // the parent of its requests' contexts
	nc         net.Conn
	io         *sockIO // reads and writes nc for the front's own requests
	remoteAddr string
	br         *bufio.Reader // reads through the frontConn (see Read)
	bw         *bufio.Writer
	w          frontWriter // reused by each request
	curBody    *frontBody  // the current request's body; nil for none
	// cancel cancels the current request's context (a failed write to
	// the client does, as in net/http).
	cancel context.CancelCauseFunc

	// head reads a request head copied out of br, so that a request that
	// is not plain leaves br untouched for net/http.
	headBytes  bytes.Reader
	head       *bufio.Reader
	lastMethod string

	idle atomic.Bool // waiting for a request; shutdown may close it

	// The byte a watch read (pipelining clients send the next request
	// early), returned by the next Read.
	stash    [1]byte
	hasStash bool
	watch    frontWatch
}

func newFrontConn(f *front, nc net.Conn) *frontConn {
	c := &frontConn{f: f, nc: nc, io: newSockIO(nc), remoteAddr: nc.RemoteAddr().String()}
	c.ctx = context.WithValue(f.ctx, http.LocalAddrContextKey, nc.LocalAddr())
	c.br = bufio.NewReaderSize(c, frontReadSize)
	c.bw = bufio.NewWriterSize(frontConnWriter{c}, 4<<10)
	c.head = bufio.NewReaderSize(&c.headBytes, 4<<10)
	c.w.c = c
	c.watch.c = c
	return c
}

// Read reads from the connection, after the byte a watch read, if any.
func (c *frontConn) Read(p []byte) (int, error) {
	if c.hasStash && len(p) > 0 {
		c.hasStash = false
		p[0] = c.stash[0]
		return 1, nil
	}
	return c.io.Read(p)
}

// frontConnWriter writes to the connection and cancels the request when
// that fails: the client is gone.
type frontConnWriter struct{ c *frontConn }

func (w frontConnWriter) Write(p []byte) (int, error) {
	n, err := w.c.io.Write(p)
	if err != nil && w.c.cancel != nil {
		w.c.cancel(errClientGone)
	}
	return n, err
}

func (c *frontConn) closeIfIdle() {
	if c.idle.Load() {
		c.nc.Close()
	}
}

func (c *frontConn) serve() {
	handedOff := false
	defer func() {
		if !handedOff {
			c.nc.Close()
		}
		c.f.forget(c)
	}()
	for first := true; ; first = false {
		// Idle (shutdown may close it) until a whole head has arrived,
		// as net/http's server counts it.
		c.idle.Store(true)
		if c.f.shuttingDown.Load() {
			return
		}
		// Like net/http: a new connection has the header timeout for its
		// first request, a kept-alive one the idle timeout before the
		// next request starts, and then the header timeout for its head.
		// The clock keeps them (readWithin).
		if first {
			c.watch.readWithin(c.f.headerTimeout)
			if _, err := c.br.Peek(1); err != nil {
				return
			}
		} else {
			c.watch.readWithin(c.f.idleTimeout)
			if _, err := c.br.Peek(4); err != nil {
				return
			}
			if !c.watch.readWithin(c.f.headerTimeout) {
				return
			}
		}
		if c.lastMethod == http.MethodPost {
			// Some clients send a CRLF after a POST body; net/http drops
			// up to four such bytes once.
			peek, _ := c.br.Peek(4)
			c.br.Discard(numLeadingCRLF(peek))
		}
		req, n := c.readPlain()
		if n < 0 {
			return // the head did not come within the header timeout: net/http closes too
		}
		if !c.watch.readWithin(0) {
			return // the timeout came with the head
		}
		if req == nil {
			c.f.handedOff.Add(1)
			handedOff = c.f.handoff.deliver(&handedConn{Conn: c.nc, r: c.br})
			return
		}
		c.idle.Store(false)
		if c.f.shuttingDown.Load() {
			// Shutdown came between the head and now (it closes only idle
			// connections); net/http checks here too.
			return
		}
		c.br.Discard(n)
		c.lastMethod = req.Method
		if !c.serveRequest(req) {
			if c.w.linger {
				c.lingeringClose()
			}
			return
		}
	}
}

// readPlain reads the next request head, without consuming it, and parses
// it when it is complete within the read buffer: it returns the request
// and the head's length when the request is plain, or nil; n is -1 when
// the head did not come before the connection's deadline.
func (c *frontConn) readPlain() (*http.Request, int) {
	n := headLen(c.br)
	if n < 0 {
		for n < 0 && c.br.Buffered() < frontReadSize {
			if _, err := c.br.Peek(c.br.Buffered() + 1); err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return nil, -1
				}
				return nil, 0 // net/http reports the error (or the EOF)
			}
			n = headLen(c.br)
		}
	}
	if n <= 0 {
		return nil, 0 // larger than the buffer, or a leading empty line
	}
	raw, _ := c.br.Peek(n)
	c.headBytes.Reset(raw)
	c.head.Reset(&c.headBytes)
	req, err := http.ReadRequest(c.head)
	if err != nil || !plainRequest(req) || !hasHostField(raw) {
		return nil, 0
	}
	req.RemoteAddr = c.remoteAddr
	return req, n
}

// headLen is the length of the request head at the start of br's buffer,
// through its empty line; -1 when the buffer does not hold all of it, 0
// when it starts with an empty line (net/http's to answer).
func headLen(br *bufio.Reader) int {
	buf, _ := br.Peek(br.Buffered())
	start := 0
	for {
		i := bytes.IndexByte(buf[start:], '\n')
		if i < 0 {
			return -1
		}
		line := buf[start : start+i]
		start += i + 1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			if start <= 2 {
				return 0
			}
			return start
		}
	}
}

func numLeadingCRLF(b []byte) int {
	n := 0
	for _, c := range b {
		if c != '\r' && c != '\n' {
			break
		}
		n++
	}
	return n
}

// plainRequest reports whether the front serves req: an HTTP/1.1 request
// net/http's server would accept as is, whose body (if any) has a known
// length and that asks for nothing net/http handles specially.
func plainRequest(req *http.Request) bool {
	if req.ProtoMajor != 1 || req.ProtoMinor != 1 || req.Method == http.MethodConnect || req.RequestURI == "*" ||
		len(req.TransferEncoding) > 0 || req.ContentLength < 0 {
		return false
	}
	// http.ReadRequest took the Host field out (refusing two) into
	// req.Host, but for the absolute form: left to net/http.
	if req.URL.Host != "" || !plainHost(req.Host) {
		return false
	}
	for _, k := range [...]string{"Upgrade", "Expect", "Transfer-Encoding", "Http2-Settings"} {
		if _, ok := req.Header[k]; ok {
			return false
		}
	}
	return validFields(req.Header) && !isUpgrade(req)
}

// hasHostField reports whether a request head has a Host field, which
// net/http's server requires of HTTP/1.1 requests.
func hasHostField(head []byte) bool {
	_, rest, _ := bytes.Cut(head, []byte("\n"))
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if len(line) >= 5 && bytes.EqualFold(line[:5], []byte("host:")) {
			return true
		}
	}
	return false
}

// plainHost accepts a subset of what net/http's server does as a Host:
// letters, digits and the characters of names, IPv6 literals and ports.
func plainHost(h string) bool { return alnumOr(h, "-._:[]%") }

// serveRequest runs the handler for req and finishes its response; it
// reports whether the connection may serve another request.
func (c *frontConn) serveRequest(req *http.Request) (keep bool) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	c.cancel = cancel
	defer func() {
		c.cancel = nil
		cancel(nil)
	}()
	req = req.WithContext(ctx)
	c.curBody = nil
	req.Body = http.NoBody
	if req.ContentLength > 0 {
		c.curBody = &frontBody{c: c, remaining: req.ContentLength, closing: req.Close}
		req.Body = c.curBody
	}
	c.w.reset(req)
	c.f.served.Add(1)
	c.watch.start(cancel)
	defer func() {
		v := recover()
		c.watch.stop() // done already unless the handler panicked or called Goexit
		if v != nil {
			if v != http.ErrAbortHandler {
				c.f.log.Error("bug: handler panicked", "path", req.URL.Path, "panic", v)
			}
			// As net/http: what reached the connection's buffer is sent,
			// the response's own buffer is not.
			c.bw.Flush()
			if c.curBody != nil {
				c.curBody.Close()
			}
			keep = false
		}
	}()
	c.f.handler.ServeHTTP(&c.w, req)
	c.watch.stop()
	cancel(nil) // as net/http: the request's context ends before the response is finished
	return c.w.finish()
}

// lingeringClose ends a connection whose client may still be sending a
// request body the handler did not read: closing it at once would reset
// the connection and could drop the response from the client's buffer.
// It shuts down the writing side and reads what comes until the client
// closes or frontLinger passes (net/http waits the same 500 ms).
func (c *frontConn) lingeringClose() {
	if cw, ok := c.nc.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.nc.SetReadDeadline(time.Now().Add(frontLinger))
	io.Copy(io.Discard, c.nc)
}

// handedConn is a connection given to net/http with the bytes the front
// read but did not consume.
type handedConn struct {
	net.Conn
	r *bufio.Reader
}

func (h *handedConn) Read(p []byte) (int, error) { return h.r.Read(p) }

// CloseWrite lets net/http half-close the connection before closing it
// (so that a client still sending gets the response, not a reset).
func (h *handedConn) CloseWrite() error {
	if cw, ok := h.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile for net/http's responses.
func (h *handedConn) ReadFrom(r io.Reader) (int64, error) { return io.Copy(h.Conn, r) }

// handoffListener hands connections to net/http's server.
type handoffListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newHandoffListener(addr net.Addr) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// deliver hands c to the server; false when the listener is closed.
func (l *handoffListener) deliver(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.closed:
		return false
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *handoffListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }
