package devserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"sync"
	"syscall"
	"time"
)

// Bounds of hopTransport's connection pool.
const (
	// hopMaxBody is the largest request body (with a known length) sent
	// on the direct path; larger and chunked bodies go through
	// http.Transport, which streams them while reading the response.
	hopMaxBody = 16 << 10
	// hopMaxIdlePerHost bounds the kept-alive connections to one process:
	// more than the concurrency any dev server sees.
	hopMaxIdlePerHost = 256
	// hopIdleTimeout closes connections idle for longer.
	hopIdleTimeout = 90 * time.Second
	// hopMaxHead bounds a response head: 10 MB, the default of
	// http.Transport's MaxResponseHeaderBytes (the fallback's).
	hopMaxHead = 10 << 20
)

// hopTransport is the proxy's transport to function processes. Each
// process is a local HTTP/1.1 server, so most requests are one write and
// one read on a kept-alive connection, and hopTransport does exactly that
// in the calling goroutine. http.Transport runs two goroutines per
// connection and hands every request and response between them; on the
// dev server's hot path those handoffs cost more than the proxying itself
// (bench/README.md has the numbers).
//
// Requests it does not take — protocol upgrades, bodies of unknown length
// or over hopMaxBody, whose sending must overlap with reading the response,
// and an Expect: 100-continue (the dev server's own requests never carry
// one: the proxy answers the client's and removes it) — go to fallback.
type hopTransport struct {
	dialer   net.Dialer
	fallback closeIdler
	// maxHead is the largest response head read (default hopMaxHead).
	maxHead int64
	// idleTimeout closes connections idle for longer (default
	// hopIdleTimeout).
	idleTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]*hopConn // by host:port; the most recently used last
}

// closeIdler is a RoundTripper with idle connections to close
// (*http.Transport).
type closeIdler interface {
	http.RoundTripper
	CloseIdleConnections()
}

func newHopTransport(fallback closeIdler) *hopTransport {
	return &hopTransport{
		dialer:      net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		fallback:    fallback,
		maxHead:     hopMaxHead,
		idleTimeout: hopIdleTimeout,
		idle:        make(map[string][]*hopConn),
	}
}

// hopConn is one kept-alive connection to a process.
type hopConn struct {
	t    *hopTransport
	host string
	nc   net.Conn
	sio  *sockIO // reads and writes nc
	// lr is between sio and br: it bounds the bytes read for a response
	// head.
	lr     *headLimiter
	br     *bufio.Reader
	bw     *bufio.Writer
	idleAt time.Time
}

// errStale marks the end of a connection before any byte of the response
// arrived: the process closed it, after reading the request (EOF: it
// dropped it) or with the request unread (a reset; see RoundTrip).
var errStale = errors.New("the process closed the connection without answering")

// RoundTrip implements http.RoundTripper.
func (t *hopTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, ok, err := t.takes(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	c := callFrom(ctx)
	if !ok {
		if c != nil {
			req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: c.gotConn}))
		}
		return t.fallback.RoundTrip(req)
	}
	trace := httptrace.ContextClientTrace(ctx)
	resent := false
	for {
		pc, reused, err := t.conn(ctx, req.URL.Host)
		if err != nil {
			return nil, err
		}
		if !reused && c != nil {
			c.freshConn.Store(true)
		}
		if trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: pc.nc, Reused: reused, WasIdle: reused})
		}
		resp, err := pc.exchange(ctx, req, body, trace)
		if err == nil {
			return resp, nil
		}
		// A request that failed on a kept-alive connection before any
		// response byte came back is sent again on another one, once,
		// when the request may run twice (as http.Transport does) and
		// the process never read it: it closed the connection with the
		// request unread, which the kernel answers with a reset (a
		// handler still running after its response, then failing; a
		// close racing the peek in conn). The reset may come just after
		// a clean end (EOF: a server that shuts down its side first, as
		// Python's socketserver does), so a clean end waits a moment for
		// one (resetSoon). A clean end that stays clean is a process that
		// read the request and dropped it (a crash, a server's panic):
		// sent again, it would run twice. Only a request without a body:
		// one with a body may have been read in part (its head, and the
		// handler run) when the reset says bytes were left unread.
		again := reused && !resent && len(body) == 0 && errors.Is(err, errStale) && ctx.Err() == nil && replayable(req) &&
			(unread(err) || pc.resetSoon()) && ctx.Err() == nil
		pc.nc.Close()
		if again {
			resent = true
			continue
		}
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("%w (%w)", context.Cause(ctx), err)
		}
		return nil, err
	}
}

// unread reports a failure that means the process never read the
// request: a reset, or a write to a connection it had closed.
func unread(err error) bool { return isConnReset(err) || errors.Is(err, syscall.EPIPE) }

// replayable reports whether a request may be sent twice, as
// http.Transport decides: an idempotent method, or an idempotency key.
func replayable(req *http.Request) bool {
	if idempotent(req.Method) {
		return true
	}
	_, key := req.Header["Idempotency-Key"]
	_, xkey := req.Header["X-Idempotency-Key"]
	return key || xkey
}

// takes reports whether the request goes on the direct path and reads its
// body, when it has one, into memory (so that it can be resent).
func (t *hopTransport) takes(req *http.Request) (body []byte, ok bool, err error) {
	if req.URL.Scheme != "http" || len(req.Header["Upgrade"]) > 0 || len(req.Trailer) > 0 ||
		len(req.TransferEncoding) > 0 || req.Header.Get("Expect") != "" {
		return nil, false, nil
	}
	if req.Body == nil || req.Body == http.NoBody {
		return nil, true, nil
	}
	if req.ContentLength <= 0 || req.ContentLength > hopMaxBody {
		return nil, false, nil
	}
	body = make([]byte, req.ContentLength)
	if _, err := io.ReadFull(req.Body, body); err != nil {
		return nil, false, fmt.Errorf("reading the request body: %w", err)
	}
	req.Body.Close()
	return body, true, nil
}

// conn returns an idle connection to host, or dials one.
func (t *hopTransport) conn(ctx context.Context, host string) (pc *hopConn, reused bool, err error) {
	now := time.Now()
	for {
		t.mu.Lock()
		list := t.idle[host]
		if len(list) == 0 {
			t.mu.Unlock()
			break
		}
		pc = list[len(list)-1]
		list[len(list)-1] = nil
		t.idle[host] = list[:len(list)-1]
		t.mu.Unlock()
		// A process may close kept-alive connections (uvicorn does after
		// 5 s, a server after a handler's failure); one non-blocking peek
		// finds out before the request is sent, where http.Transport has
		// a goroutine per connection waiting for it. A close the peek
		// saw costs nothing; one it missed ends the request with EOF,
		// which is not sent again (RoundTrip).
		if idle := now.Sub(pc.idleAt); idle > t.idleTimeout || pc.br.Buffered() > 0 || pc.closedByPeer(idle) {
			pc.nc.Close()
			continue
		}
		return pc, true, nil
	}
	nc, err := t.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, false, err
	}
	sio := newSockIO(nc)
	lr := &headLimiter{r: sio}
	return &hopConn{t: t, host: host, nc: nc, sio: sio, lr: lr, br: bufio.NewReaderSize(lr, 16<<10), bw: bufio.NewWriterSize(sio, 4<<10)}, false, nil
}

// put returns a connection to the pool, or closes it when the pool is
// full. A list is in the order its connections came back, so its first is
// the one idle longest; past idleTimeout, put closes it. Without that,
// connections a burst left behind would stay open (in CLOSE_WAIT, once
// the process closed its end) under steady traffic that never reaches
// them.
func (t *hopTransport) put(pc *hopConn) {
	now := time.Now()
	pc.idleAt = now
	var expired *hopConn
	t.mu.Lock()
	list := t.idle[pc.host]
	if len(list) > 0 && now.Sub(list[0].idleAt) > t.idleTimeout {
		expired = list[0]
		list[0] = nil
		list = list[1:]
	}
	full := t.idle == nil || len(list) >= hopMaxIdlePerHost
	if !full {
		list = append(list, pc)
	}
	if t.idle != nil {
		t.idle[pc.host] = list
	}
	t.mu.Unlock()
	if expired != nil {
		expired.nc.Close()
	}
	if full {
		pc.nc.Close()
	}
}

// CloseIdleConnections closes the kept-alive connections, of both paths.
func (t *hopTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*hopConn)
	t.mu.Unlock()
	for _, list := range idle {
		for _, pc := range list {
			pc.nc.Close()
		}
	}
	t.fallback.CloseIdleConnections()
}

// exchange writes the request (body is its buffered body) and reads the
// response head. The response body returns the connection to the pool
// once read to its end.
func (pc *hopConn) exchange(ctx context.Context, req *http.Request, body []byte, trace *httptrace.ClientTrace) (*http.Response, error) {
	// Cancellation (the client left, maxDuration) interrupts the blocking
	// reads and writes through a deadline in the past.
	stop := context.AfterFunc(ctx, func() { pc.nc.SetDeadline(time.Unix(1, 0)) })
	if err := writeRequest(pc.bw, req, body); err != nil {
		stop()
		return nil, staleIf(fmt.Errorf("sending the request: %w", err))
	}
	if err := pc.bw.Flush(); err != nil {
		stop()
		return nil, staleIf(fmt.Errorf("sending the request: %w", err))
	}
	// The head's bytes are counted from here (nothing is buffered on a
	// connection fit for reuse). As in http.Transport, each informational
	// response handed to the trace hook starts a new count; without the
	// hook, 1xx heads and the final one share it.
	pc.lr.limit(pc.t.maxHead)
	for got1xx := false; ; got1xx = true {
		if _, err := pc.br.Peek(1); err != nil {
			stop()
			err = pc.readError(err)
			if got1xx {
				return nil, err // the process had the request
			}
			return nil, staleIf(err)
		}
		resp, err := http.ReadResponse(pc.br, req)
		if err != nil {
			stop()
			return nil, pc.readError(err)
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			stop()
			return nil, errors.New("reading the response: 101 Switching Protocols to a request that asked for no upgrade")
		}
		if resp.StatusCode < 200 {
			// 100 Continue, 103 Early Hints: ReverseProxy forwards them
			// through this hook.
			if trace != nil && trace.Got1xxResponse != nil {
				if err := trace.Got1xxResponse(resp.StatusCode, textproto.MIMEHeader(resp.Header)); err != nil {
					stop()
					return nil, err
				}
				pc.lr.limit(pc.t.maxHead)
			}
			continue
		}
		// Off before the connection can go back to the pool, where the
		// next request sets it again.
		pc.lr.unlimit()
		// Not after a response that may not have a body (HEAD, 204, 304):
		// a handler that writes one anyway (Python's do_HEAD = do_GET, a
		// body after send_response(204)) leaves bytes, perhaps arriving
		// after the head was parsed, that the next request on the
		// connection would read as its response.
		reuse := !resp.Close && req.Method != http.MethodHead &&
			resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotModified
		if resp.Body == http.NoBody {
			pc.done(stop, reuse)
			return resp, nil
		}
		resp.Body = &hopBody{pc: pc, rc: resp.Body, stop: stop, reuse: reuse}
		return resp, nil
	}
}

// staleIf marks err as errStale when it is the end of the connection
// rather than a timeout: EOF, a reset or a broken pipe.
func staleIf(err error) error {
	if errors.Is(err, io.EOF) || isConnReset(err) || errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%w: %w", errStale, err)
	}
	return err
}

// done ends an exchange: the connection goes back to the pool when the
// response allows it, no cancellation touched it and nothing came after
// the response (a process that sent more than its Content-Length: those
// bytes would be read as the next request's response, as http.Transport
// guards against with its "unsolicited response" check).
func (pc *hopConn) done(stop func() bool, reuse bool) {
	if stop() && reuse && pc.br.Buffered() == 0 {
		pc.t.put(pc)
		return
	}
	pc.nc.Close()
}

// hopBody is a response body that hands its connection back at EOF.
type hopBody struct {
	pc       *hopConn
	rc       io.ReadCloser
	stop     func() bool
	reuse    bool
	finished bool
}

func (b *hopBody) Read(p []byte) (int, error) {
	if b.finished {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.finished = true
		b.pc.done(b.stop, b.reuse)
	case err != nil:
		b.finished = true
		b.pc.done(b.stop, false)
	}
	return n, err
}

// Close before EOF drops the connection: the rest of the response is
// still on it.
func (b *hopBody) Close() error {
	if !b.finished {
		b.finished = true
		b.pc.done(b.stop, false)
	}
	return nil
}

// errHeadTooLarge ends the reading of a response head past
// hopTransport.maxHead.
var errHeadTooLarge = errors.New("the response head exceeds the size limit")

// readError describes a failure to read a response head. When the limit
// was reached, the parser may have failed first on the line it cut
// ("malformed MIME header"): the limit is the cause then, as
// http.Transport reports it.
func (pc *hopConn) readError(err error) error {
	if pc.lr.exhausted() {
		return fmt.Errorf("reading the response: %w of %d bytes", errHeadTooLarge, pc.t.maxHead)
	}
	return fmt.Errorf("reading the response: %w", err)
}

// headLimiter is the reader under a connection's bufio.Reader: while a
// response head is read it lets through at most a given number of bytes,
// so that a process sending headers without end cannot exhaust the dev
// server's memory.
type headLimiter struct {
	r       io.Reader
	limited bool
	left    int64
}

func (l *headLimiter) limit(n int64) { l.limited, l.left = true, n }

func (l *headLimiter) unlimit() { l.limited = false }

func (l *headLimiter) exhausted() bool { return l.limited && l.left <= 0 }

func (l *headLimiter) Read(p []byte) (int, error) {
	if !l.limited {
		return l.r.Read(p)
	}
	if l.left <= 0 {
		return 0, errHeadTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}
