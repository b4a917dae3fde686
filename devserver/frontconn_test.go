package devserver

// Tests of the front's connection handling: the watch, shutdown, timeouts
// and how connections end.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFrontPipelinedWhileWatching: a request sent while the front watches
// the connection during a slow request is served after it, the byte the
// watch read included.
func TestFrontPipelinedWhileWatching(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			started <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
				t.Errorf("slow request cancelled: %v", context.Cause(r.Context()))
			}
		}
		io.WriteString(w, "served "+r.URL.Path)
	}))
	c := dialRaw(t, p.front)
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-started
	eventually(t, 5*time.Second, "the front to watch the connection", func() (bool, string) {
		p.f.mu.Lock()
		defer p.f.mu.Unlock()
		for fc := range p.f.conns {
			fc.watch.mu.Lock()
			reading := fc.watch.reading
			fc.watch.mu.Unlock()
			if reading {
				return true, ""
			}
		}
		return false, "not reading"
	})
	io.WriteString(c, "GET /next HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
	close(release)
	out, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out, []byte("served /slow")) || !bytes.HasSuffix(out, []byte("served /next")) {
		t.Fatalf("responses:\n%s", out)
	}
}

// TestFrontShutdown: a connection that sent part of its next head is idle
// (shutdown closes it at once), and a handler that ignores its cancelled
// request does not hold shutdown past its grace.
func TestFrontShutdown(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stuck" {
			close(started)
			<-block
		}
		io.WriteString(w, "ok")
	})
	start := func() (*front, net.Listener) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f := newFront(h, &http.Server{Handler: h}, ln.Addr(), slog.New(slog.DiscardHandler))
		go f.serve(ln)
		return f, ln
	}

	f, ln := start()
	c := dialRaw(t, ln.Addr().String())
	io.WriteString(c, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
		t.Fatal(err)
	}
	io.WriteString(c, "GET /b HTTP/1.1\r\n") // and no more
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.shutdown(ctx, ln); err != nil {
		t.Errorf("shutdown with a half-sent head: %v (net/http closes such a connection as idle)", err)
	}

	f, ln = start()
	io.WriteString(dialRaw(t, ln.Addr().String()), "GET /stuck HTTP/1.1\r\nHost: a\r\n\r\n")
	<-started
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.shutdown(ctx, ln) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("shutdown = %v, want the grace's deadline", err)
		}
	case <-time.After(frontForceWait + 5*time.Second):
		t.Fatal("shutdown waited for a handler that ignores its context")
	}
}

// TestFrontEndsConnectionsCleanly: when a connection ends with request
// body unread (the handler closes the connection, or the head is too
// large for anyone), the client gets the response and an orderly end,
// not a reset, as with net/http (which drains, or half-closes and
// lingers).
func TestFrontEndsConnectionsCleanly(t *testing.T) {
	p := startFrontPair(t, frontMux())
	for _, raw := range []string{
		"POST /close HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("z", 100000),
		"POST /close HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("z", 300000),
		"GET /small HTTP/1.1\r\nHost: a\r\nX-Big: " + strings.Repeat("b", 1100<<10) + "\r\n\r\n", // 431 from net/http
	} {
		c := dialRaw(t, p.front)
		wrote := make(chan error, 1)
		go func() {
			_, err := io.WriteString(c, raw)
			wrote <- err
		}()
		out, err := io.ReadAll(c)
		if err != nil || !bytes.HasPrefix(out, []byte("HTTP/1.1 ")) {
			t.Errorf("%.60q: read %.80q, %v", raw, out, err)
		}
		if err := <-wrote; err != nil && !strings.Contains(raw, "X-Big") {
			t.Errorf("%.60q: sending the body: %v", raw, err)
		}
		c.Close()
	}
}

// TestFrontCloseBodyOfClosingRequest: closing the body of a request that
// asked to close the connection does not wait for the body, as with
// net/http.
func TestFrontCloseBodyOfClosingRequest(t *testing.T) {
	p := startFrontPair(t, frontMux())
	c := dialRaw(t, p.front)
	io.WriteString(c, "POST /closebody HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 10\r\n\r\n")
	out, err := io.ReadAll(c)
	if err != nil || !bytes.HasSuffix(out, []byte("closed")) {
		t.Fatalf("read %q, %v", out, err)
	}
}

// TestFrontWatchUnderLoad runs pipelined requests whose handlers outlast
// the watch delay, some reading their bodies late, on eight connections
// at once: for the race detector, and every response must come back.
func TestFrontWatchUnderLoad(t *testing.T) {
	p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Slow handlers (not synchronisation): the watch starts after
		// frontWatchAfter.
		switch r.URL.Path {
		case "/slowread":
			<-time.After(frontWatchAfter + 10*time.Millisecond)
			io.ReadAll(r.Body)
			<-time.After(frontWatchAfter + 10*time.Millisecond)
		case "/slow":
			<-time.After(2*frontWatchAfter + 20*time.Millisecond)
		}
		fmt.Fprintf(w, "ok %s", r.URL.Path)
	}))
	raw := "POST /slowread HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" +
		"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n" +
		"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" +
		"GET /slow HTTP/1.1\r\nHost: a\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\n"
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			out := exchangeRaw(t, p.front, []byte(raw))
			if n := bytes.Count(out, []byte("HTTP/1.1 200")); n != 5 {
				errs <- fmt.Sprintf("%d responses of 5:\n%s", n, out)
				return
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

// TestFrontAbortsBrokenStream: a proxied response whose upstream breaks
// mid-body is cut, not finished as if complete: ReverseProxy aborts only
// when the request's context carries http.ServerContextKey, as net/http's
// server sets it.
func TestFrontAbortsBrokenStream(t *testing.T) {
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	abort := make(chan chan struct{}, 2)
	backend := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "partial")
			w.(http.Flusher).Flush()
			<-<-abort
			panic(http.ErrAbortHandler) // the upstream dies mid-body
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go backend.Serve(bl)
	defer backend.Close()
	rp := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: bl.Addr().String()})
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := startFrontPair(t, rp)
	for _, addr := range []string{p.front, p.std} {
		c := dialRaw(t, addr)
		io.WriteString(c, "GET /stream HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n")
		var out []byte
		buf := make([]byte, 4096)
		for !bytes.Contains(out, []byte("partial")) {
			n, err := c.Read(buf)
			if err != nil {
				t.Fatalf("%s: reading the start of the stream: %v (got %q)", addr, err, out)
			}
			out = append(out, buf[:n]...)
		}
		release := make(chan struct{})
		abort <- release
		close(release)
		rest, _ := io.ReadAll(c)
		out = append(out, rest...)
		c.Close()
		if bytes.Contains(out, []byte("0\r\n\r\n")) || bytes.Count(out, []byte("HTTP/1.1 ")) != 1 {
			t.Errorf("%s: a broken stream was finished as complete:\n%q", addr, out)
		}
	}
}

// sendToOneSecondFunction starts a dev server whose one function, fn
// ("api/slow"), has a maxDuration of 1 s, writes raw to it on a new
// connection and returns the connection's reader (15 s to answer).
func sendToOneSecondFunction(t *testing.T, fn, raw string) *bufio.Reader {
	t.Helper()
	h := startHarness(t, map[string]string{
		fn + ".go":    goHandler("1"),
		"vercel.json": `{"functions": {"` + fn + `.go": {"maxDuration": 1}}}`,
	})
	c := dialRaw(t, strings.TrimPrefix(h.srv.URL(), "http://"))
	c.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(c, raw)
	return bufio.NewReader(c)
}

// TestStreamCutByMaxDuration, end to end: a server-sent event stream that
// outlives its function's maxDuration reaches the client as a broken
// response, not a complete one.
func TestStreamCutByMaxDuration(t *testing.T) {
	br := sendToOneSecondFunction(t, "api/events", "GET /api/events HTTP/1.1\r\nHost: x\r\nX-Fake: sse\r\n\r\n")
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	if err == nil {
		t.Errorf("a stream cut by maxDuration arrived complete (status %d, body %q)", res.StatusCode, body)
	}
}

// TestStalledUploadCutByMaxDuration, end to end: a client that stops
// sending its body gets the 504 at the function's maxDuration, and the
// connection, its body unread, closes.
func TestStalledUploadCutByMaxDuration(t *testing.T) {
	br := sendToOneSecondFunction(t, "api/slow", "POST /api/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nthe first 30 of the 100 bytes.")
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to a stalled upload within 15 s of a 1 s maxDuration: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), codeTimeout) {
		t.Errorf("stalled upload: %d %q, want a 504 %s", res.StatusCode, body, codeTimeout)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the 504 the connection gave %v, want it closed (EOF)", err)
	}
}

// TestFrontShutdownSaysClose: a response finished during a graceful
// shutdown says Connection: close, as net/http's do.
func TestFrontShutdownSaysClose(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFront(h, &http.Server{Handler: h}, ln.Addr(), slog.New(slog.DiscardHandler))
	go f.serve(ln)
	c := dialRaw(t, ln.Addr().String())
	io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n")
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.shutdown(ctx, ln) }()
	eventually(t, 5*time.Second, "the shutdown to begin", func() (bool, string) { return f.shuttingDown.Load(), "" })
	close(release)
	out, _ := io.ReadAll(c)
	if !bytes.Contains(out, []byte("\r\nConnection: close\r\n")) || !bytes.HasSuffix(out, []byte("done")) {
		t.Errorf("response during shutdown:\n%s", out)
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestFrontReadTimeouts: a head that does not arrive within the header
// timeout closes the connection without an answer, as net/http does (it
// is not handed to net/http for a second timeout), on a new connection and
// on a kept-alive one; a kept-alive connection with no next request is
// closed after the idle timeout, and not before. The timeouts are scaled
// down.
func TestFrontReadTimeouts(t *testing.T) {
	const header, idle = 300 * time.Millisecond, 600 * time.Millisecond
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "served") })
	srv := &http.Server{Handler: h, ReadHeaderTimeout: header, IdleTimeout: idle}
	addr := serveFront(t, h, srv, func(f *front) { f.headerTimeout, f.idleTimeout = header, idle })
	first := func(c net.Conn, br *bufio.Reader) {
		io.WriteString(c, "GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
	}
	for _, keptAlive := range []bool{false, true} {
		// Each stopwatch starts before the server's timeout can: a new
		// connection's header timeout starts when it is accepted, a
		// kept-alive one's when the first bytes of the head come.
		start := time.Now()
		c := dialRaw(t, addr)
		br := bufio.NewReader(c)
		if keptAlive {
			first(c, br)
			start = time.Now()
		}
		io.WriteString(c, "GET /slowloris HTTP/1.1\r\nHost: a\r\n") // and no more
		out, err := io.ReadAll(br)
		if err != nil || len(out) > 0 {
			t.Errorf("kept-alive=%v: a head past the header timeout got %q, %v; want the connection closed", keptAlive, out, err)
		}
		if took := time.Since(start); took < header {
			t.Errorf("kept-alive=%v: closed after %v, before the header timeout (%v)", keptAlive, took, header)
		}
		c.Close()
	}

	c := dialRaw(t, addr)
	br := bufio.NewReader(c)
	start := time.Now() // the idle timeout starts once the response is sent
	first(c, br)
	out, err := io.ReadAll(br)
	if took := time.Since(start); err != nil || len(out) > 0 || took < idle {
		t.Errorf("an idle kept-alive connection: got %q, %v after %v; want it closed after the idle timeout (%v)", out, err, took, idle)
	}
}

// TestFrontCancelsWhenClientLeaves: a request that runs past
// frontWatchAfter has its context cancelled when the client closes the
// connection, as with net/http, also when the bytes of its next request
// (or a CRLF after a POST body) are already read.
func TestFrontCancelsWhenClientLeaves(t *testing.T) {
	for _, raw := range []string{
		"GET /slow HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /slow HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /slow HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\r\n",
	} {
		started := make(chan struct{}, 1)
		cause := make(chan error, 1)
		p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/slow" {
				return
			}
			io.ReadAll(r.Body)
			started <- struct{}{}
			select {
			case <-r.Context().Done():
				cause <- context.Cause(r.Context())
			case <-time.After(10 * time.Second):
				cause <- errors.New("not cancelled within 10 s")
			}
		}))
		c := dialRaw(t, p.front)
		io.WriteString(c, raw)
		<-started
		c.Close()
		if err := <-cause; !errors.Is(err, errClientGone) {
			t.Errorf("%q: cause %v, want %v", raw, err, errClientGone)
		}
	}
}

// TestFrontBoundTimerStaysWithItsRequest: a timer from bound that was
// never stopped cancels its own request only, not the next one on the
// same connection.
func TestFrontBoundTimerStaysWithItsRequest(t *testing.T) {
	const after = 20 * time.Millisecond
	cause := make(chan error, 1)
	p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			_, _ = bound(&exchange{ResponseWriter: w}, r, after, errTimeout) // never stopped
		case "/b":
			select {
			case <-r.Context().Done():
				cause <- context.Cause(r.Context())
			case <-time.After(20 * after):
				cause <- nil
			}
		}
	}))
	out := exchangeRaw(t, p.front, []byte("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"))
	if err := <-cause; err != nil {
		t.Errorf("the next request was cancelled: %v", err)
	}
	if n := bytes.Count(out, []byte("HTTP/1.1 200")); n != 3 {
		t.Errorf("%d responses of 3:\n%s", n, out)
	}
}

// dialRaw connects to addr for a test that speaks raw HTTP/1.1: every read
// and write is bounded by 10 s, and the connection is closed at the end.
func dialRaw(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// TestFrontClock: a request's deadline cancels its context with the cause
// given, not before the deadline and not much after it even when the
// clock was asleep; a stopped deadline does nothing; the clock stops once
// the last connection closes and starts with the next one.
func TestFrontClock(t *testing.T) {
	var f *front
	first, second := errors.New("first deadline"), errors.New("second deadline")
	// Generous for a loaded machine; a clock that slept through the
	// deadline would be frontClockNap late.
	const lateBound = 500 * time.Millisecond
	p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fw := w.(*frontWriter)
		running := f.clockIsRunning()
		// A stopped deadline does nothing: the handler outlives it (a
		// slow handler, not synchronisation) before setting the next.
		// By then the watch has started and nothing else is due: the
		// clock sleeps, and the next deadline must wake it.
		stop := fw.cancelAfter(20*frontTick, first)
		stop()
		<-time.After(30 * frontTick)
		start := time.Now()
		fw.cancelAfter(3*frontTick, second)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		took := time.Since(start)
		fmt.Fprintf(w, "%v, early %v, late %v, clock running %v", context.Cause(r.Context()), took < 3*frontTick, took > 3*frontTick+lateBound, running)
	}))
	f = p.f
	tr := &http.Transport{}
	client := &http.Client{Transport: tr}
	for i := range 2 {
		res, err := client.Get("http://" + p.front + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if want := second.Error() + ", early false, late false, clock running true"; string(body) != want {
			t.Errorf("request %d: %q, want %q", i, body, want)
		}
		if !f.clockIsRunning() {
			t.Fatalf("the clock stopped with a kept-alive connection open")
		}
		tr.CloseIdleConnections()
		deadline := time.Now().Add(10 * time.Second)
		for f.clockIsRunning() && time.Now().Before(deadline) {
			<-time.After(frontTick)
		}
		if f.clockIsRunning() {
			t.Fatalf("the clock still runs %v after the last connection closed", 10*time.Second)
		}
	}
}

// clockIsRunning reports whether the clock's goroutine runs.
func (f *front) clockIsRunning() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clockRunning
}

// TestFrontClockSeesWorkScheduledWhileItLooks: work scheduled after the
// clock looked at the connections, by a caller that found the clock's
// previous wake-up time early enough and so did not poke it, brings the
// clock back within a tick rather than after its longest sleep (the
// clockSeq check in runClock).
func TestFrontClockSeesWorkScheduledWhileItLooks(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	var f *front
	var once sync.Once
	scheduled := make(chan int64, 1)
	addr := serveFront(t, h, &http.Server{Handler: h}, func(ff *front) {
		f = ff
		f.afterLook = func() {
			once.Do(func() {
				// The clock's first look: clockNext is still the tick
				// after its start, which is not later than now, so no
				// poke.
				f.schedule(time.Now())
				scheduled <- f.clockWakes.Load()
			})
		}
	})
	// An open connection keeps the clock running; nothing is due on it
	// for frontHeaderTimeout, and the clock's longest sleep is as long.
	dialRaw(t, addr)
	var wakes int64
	select {
	case wakes = <-scheduled:
	case <-time.After(10 * time.Second):
		t.Fatal("the clock did not look at the connections within 10 s")
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.clockWakes.Load() == wakes && time.Now().Before(deadline) {
		<-time.After(frontTick)
	}
	if f.clockWakes.Load() == wakes {
		t.Errorf("the clock slept through work scheduled while it looked (still asleep after 5 s)")
	}
}

// serveFront serves h with a front on a new listener (srv takes its
// handed-off connections) until the test ends, and returns its address;
// set adjusts the front before it serves.
func serveFront(t *testing.T, h http.Handler, srv *http.Server, set func(*front)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := newFront(h, srv, ln.Addr(), slog.New(slog.DiscardHandler))
	set(f)
	go f.serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.shutdown(ctx, ln)
	})
	return ln.Addr().String()
}

// TestFrontClockSleeps: during a long request with nothing due (its watch
// started, no deadline) the clock sleeps instead of ticking.
func TestFrontClockSleeps(t *testing.T) {
	var f *front
	p := startFrontPair(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A long request (not synchronisation): the watch starts after
		// frontWatchAfter, then nothing is due.
		<-time.After(2 * frontWatchAfter)
		before := f.clockWakes.Load()
		<-time.After(40 * frontTick)
		fmt.Fprint(w, f.clockWakes.Load()-before)
	}))
	f = p.f
	res, err := http.Get("http://" + p.front + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if n, err := strconv.Atoi(string(body)); err != nil || n > 5 {
		t.Errorf("the clock woke %s times in %v with nothing due, want at most 5", body, 40*frontTick)
	}
}
