package devserver

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

var acceptCases = []struct {
	accept string
	ctype  string
	check  func(t *testing.T, body []byte, status int, code string)
}{
	{"application/json", "application/json", func(t *testing.T, body []byte, status int, code string) {
		var b errorBody
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatalf("body %q is not JSON: %v", body, err)
		}
		if b.Error.Code != status || b.Error.ErrorCode != code || b.Error.Message == "" || !idPattern.MatchString(b.Error.ID) {
			t.Errorf("JSON error = %+v, want code %d and %s with a message and an id", b.Error, status, code)
		}
	}},
	{"text/html,application/xhtml+xml", "text/html", func(t *testing.T, body []byte, status int, code string) {
		if !bytes.Contains(body, []byte("<!DOCTYPE html>")) || !bytes.Contains(body, []byte(code)) {
			t.Errorf("HTML error page %q lacks the doctype or %s", body, code)
		}
	}},
	{"", "text/plain", func(t *testing.T, body []byte, status int, code string) {
		if !bytes.Contains(body, []byte("\n\n"+code+"\n")) {
			t.Errorf("text error %q lacks %q", body, code)
		}
	}},
}

func TestProxyErrors(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/hello.go": goHandler("1"),
		"api/slow.go":  goHandler("1"),
		"vercel.json": `{"functions": {"api/slow.go": {"maxDuration": 1}},
			"headers": [{"source": "/api/(.*)", "headers": [{"key": "Access-Control-Allow-Origin", "value": "*"}]}]}`,
	})
	big := strings.Repeat("x", maxBodyBytes+1)
	for _, ac := range acceptCases {
		name := ac.accept
		if name == "" {
			name = "no accept"
		}
		t.Run(name, func(t *testing.T) {
			h.t = t
			check := func(resp *http.Response, body []byte, status int, code string) {
				t.Helper()
				if resp.StatusCode != status {
					t.Fatalf("status = %d, want %d; body %q", resp.StatusCode, status, body)
				}
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), ac.ctype) {
					t.Errorf("content-type = %q, want %s", resp.Header.Get("Content-Type"), ac.ctype)
				}
				if resp.Header.Get("Server") != "lambdalens" || !idPattern.MatchString(resp.Header.Get("X-Vercel-Id")) {
					t.Errorf("error response lacks server or x-vercel-id: %v", resp.Header)
				}
				// vercel dev sets the matched route's headers before it
				// dispatches: a browser sees the error, not a CORS failure.
				if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "*" {
					t.Errorf("%d error response has Access-Control-Allow-Origin %q, want the header rule's *", status, v)
				}
				ac.check(t, body, status, code)
			}
			hdr := func(extra string) map[string]string {
				m := map[string]string{}
				if ac.accept != "" {
					m["Accept"] = ac.accept
				}
				if extra != "" {
					m["X-Fake"] = extra
				}
				return m
			}

			// The process dies mid-request: 500 FUNCTION_INVOCATION_FAILED,
			// as vercel dev answers a proxy error (reference §3.4), then
			// the next request gets a new process. A GET, on the
			// kept-alive connection of the request before: the process
			// read it, so it is not sent again (it would crash the next
			// process too).
			before := h.getEcho("/api/hello", nil)
			resp, body := h.do("GET", "/api/hello", hdr("crash"), nil)
			check(resp, body, http.StatusInternalServerError, codeInvocation)
			after := h.getEcho("/api/hello", nil)
			if after.PID == before.PID {
				t.Errorf("the crashed process (pid %d) still answers", before.PID)
			}

			// A handler's panic, answered by the dev wrapper: 500 as
			// well, with the panic's value, and the handler ran once; the
			// process and its connection stay.
			panics := h.goRT.panics.Load()
			resp, body = h.do("GET", "/api/hello", hdr("panic"), nil)
			check(resp, body, http.StatusInternalServerError, codeInvocation)
			if n := h.goRT.panics.Load() - panics; n != 1 {
				t.Errorf("the panicking handler ran %d times, want 1", n)
			}
			if !bytes.Contains(body, []byte("The handler panicked: boom")) {
				t.Errorf("the panic's page does not say what panicked: %q", body)
			}
			if again := h.getEcho("/api/hello", nil); again.PID != after.PID {
				t.Errorf("a handler's panic replaced the process (pid %d, then %d)", after.PID, again.PID)
			}

			// maxDuration of 1 s exceeded: 504, and the process that still
			// runs the handler is replaced, as Vercel ends the instance.
			slowBefore := h.getEcho("/api/slow", nil)
			start := time.Now()
			resp, body = h.do("GET", "/api/slow", hdr("sleep=10s"), nil)
			check(resp, body, http.StatusGatewayTimeout, codeTimeout)
			if d := time.Since(start); d > 8*time.Second {
				t.Errorf("the timeout took %s, want about 1 s", d)
			}
			if after := h.getEcho("/api/slow", nil); after.PID == slowBefore.PID {
				t.Errorf("the process that timed out (pid %d) still answers", slowBefore.PID)
			}
			h.events.waitFor(t, "the process that timed out stopped", func(ev Event) bool {
				return ev.Type == EventProcessExited && ev.PID == slowBefore.PID && !ev.Crashed
			})

			// Too large with a Content-Length: 413 before the function runs.
			resp, body = h.do("POST", "/api/hello", hdr(""), strings.NewReader(big))
			check(resp, body, http.StatusRequestEntityTooLarge, codePayloadTooLarge)

			// Too large without a Content-Length (chunked): 413 too.
			resp, body = h.do("POST", "/api/hello", hdr(""), io.MultiReader(strings.NewReader(big)))
			check(resp, body, http.StatusRequestEntityTooLarge, codePayloadTooLarge)
		})
	}
	t.Run("body at the limit passes", func(t *testing.T) {
		h.t = t
		// Chunked: the function gets the whole body with its length, as
		// on Vercel.
		resp, body := h.do("POST", "/api/hello", nil, io.MultiReader(strings.NewReader(big[:maxBodyBytes])))
		var e echo
		if resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil || e.Body != maxBodyBytes || e.Length != maxBodyBytes {
			t.Errorf("POST of exactly %d bytes, chunked = %d (function read %d bytes, Content-Length %d)", maxBodyBytes, resp.StatusCode, e.Body, e.Length)
		}
	})
	h.events.waitFor(t, "a restart after a crash", func(ev Event) bool {
		return ev.Type == EventBuildStarted && ev.Reason == "restart after a crash"
	})
	eventually(t, 10*time.Second, "a crash event per crash", func() (bool, string) {
		n := h.events.count(func(ev Event) bool {
			return ev.Type == EventProcessExited && ev.Crashed && ev.ExitStatus == "exit status 3"
		})
		return n == len(acceptCases), fmt.Sprint(n)
	})
}

func TestStartFailures(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/broken.go": goHandler("1") + "\nSYNTAX ERROR\n",
		"api/crashy.go": goHandler("1") + "\n// CRASH ON START\n",
	})
	resp, body := h.do("GET", "/api/broken", map[string]string{"Accept": "text/html"}, nil)
	if resp.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte("api/broken.go:8:1: syntax error")) {
		t.Errorf("broken build = %d %q, want 502 with the compiler output", resp.StatusCode, body)
	}
	// The failure is remembered: no rebuild per request.
	h.do("GET", "/api/broken", nil, nil)
	if n := h.goRT.startCount("api/broken.go"); n != 1 {
		t.Errorf("StartDev called %d times for a failed build, want 1 until the file changes", n)
	}
	ev := h.events.waitFor(t, "build-failed", func(ev Event) bool { return ev.Type == EventBuildFailed && ev.Function == "api/broken" })
	if len(ev.Diagnostics) != 1 || ev.Diagnostics[0].Range.Start.Line != 8 || !strings.Contains(ev.Output, "syntax error") {
		t.Errorf("build-failed event = %+v, want one diagnostic on line 8 and the output", ev)
	}

	// A process that dies before reporting its port: 502 each time, and
	// each request tries again.
	for i := range 2 {
		resp, body = h.do("GET", "/api/crashy", map[string]string{"Accept": "application/json"}, nil)
		if resp.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte("panic: boom")) {
			t.Errorf("crash on start = %d %q, want 502 with the process output", resp.StatusCode, body)
		}
		if n := h.goRT.startCount("api/crashy.go"); n != i+1 {
			t.Errorf("after %d requests StartDev ran %d times", i+1, n)
		}
	}
}

func TestConcurrentFirstRequestsShareOneStart(t *testing.T) {
	h := startHarness(t, map[string]string{"api/hello.go": goHandler("1") + "// BUILD DELAY 300\n"})
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			resp, err := h.client.Get(h.srv.URL() + "/api/hello")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := h.goRT.startCount("api/hello.go"); got != 1 {
		t.Errorf("StartDev ran %d times for %d concurrent first requests, want 1", got, n)
	}
}

func TestServerSentEventsStream(t *testing.T) {
	h := startHarness(t, map[string]string{"api/events.go": goHandler("1")})
	req, _ := http.NewRequest("GET", h.srv.URL()+"/api/events", nil)
	req.Header.Set("X-Fake", "sse")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("content-type = %q", ct)
	}
	// The first event must arrive while the function is still running
	// (it waits for sseRelease before sending the second one): a
	// buffering proxy would block here until the client timeout.
	br := bufio.NewReader(resp.Body)
	if line := readLineTimeout(t, br, 10*time.Second); line != "data: first\n" {
		t.Fatalf("first line = %q", line)
	}
	h.goRT.sseRelease <- struct{}{}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rest), "data: second") {
		t.Errorf("rest of stream = %q", rest)
	}
}

// readLineTimeout reads a line or fails the test after d.
func readLineTimeout(t *testing.T, br *bufio.Reader, d time.Duration) string {
	t.Helper()
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := br.ReadString('\n')
		ch <- result{line, err}
	}()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("reading stream: %v", r.err)
		}
		return r.line
	case <-timer.C:
		t.Fatalf("no line within %s: the response is buffered", d)
		return ""
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	h := startHarness(t, map[string]string{"api/ws.go": goHandler("1")})
	u, _ := url.Parse(h.srv.URL())
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	fmt.Fprintf(conn, "GET /api/ws?room=1 HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nX-Fake: ws\r\n\r\n", u.Host, key)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status = %d, want 101", resp.StatusCode)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), base64.StdEncoding.EncodeToString(sum[:]); got != want {
		t.Errorf("Sec-WebSocket-Accept = %q, want %q", got, want)
	}
	if got := resp.Header.Get("X-Fake-Path"); got != "/api/ws" {
		t.Errorf("the function saw path %q", got)
	}
	fmt.Fprint(conn, "hello\n")
	if line := readLine(t, br); line != "echo: hello\n" {
		t.Errorf("echo = %q", line)
	}
}

// A process that died an instant ago (its port refuses connections, but
// its exit was not seen yet) costs no failed request: the request starts
// a new process and is sent there.
func TestRefusedConnectionRestartsTheFunction(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	first := h.getEcho("/api/a", nil)
	procs := h.goRT.liveProcs()
	if len(procs) != 1 {
		t.Fatalf("%d live processes, want 1", len(procs))
	}
	// The listener is gone, Done is not closed yet, and the transport has
	// noticed its kept-alive connections closing (dropped here to make
	// that deterministic).
	procs[0].srv.Close()
	h.srv.dropIdleConns()
	second := h.getEcho("/api/a", nil)
	if second.PID == first.PID {
		t.Errorf("answered by the dead process %d", first.PID)
	}
	// POST bodies are never sent twice: a refused POST fails.
	for _, p := range h.goRT.liveProcs() {
		if p.pid == second.PID {
			p.srv.Close()
		}
	}
	h.srv.dropIdleConns()
	resp, _ := h.do("POST", "/api/a", nil, strings.NewReader("payload"))
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("refused POST = %d, want 502", resp.StatusCode)
	}
	third := h.getEcho("/api/a", nil)
	if third.PID == second.PID {
		t.Errorf("answered by the dead process %d", second.PID)
	}
}

// TestResponseBeforeBookkeeping: a function's complete response reaches
// the client before the dev server logs the request. The request event's
// hook blocks until the client has the whole body; had the response
// waited for the handler to return, the client would wait for the hook.
func TestResponseBeforeBookkeeping(t *testing.T) {
	clientHasIt := make(chan struct{})
	h := startHarness(t, map[string]string{"api/hello.go": goHandler("1")}, func(c *Config) {
		events := c.Events
		c.Events = func(ev Event) {
			events(ev)
			if ev.Type == EventRequest && ev.Function != "" {
				select {
				case <-clientHasIt:
				case <-time.After(25 * time.Second): // longer than the wait below
				}
			}
		}
	})
	got := make(chan error, 1)
	go func() {
		resp, err := h.client.Get(h.srv.URL() + "/api/hello")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("GET /api/hello: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the response did not arrive while the request's log event was pending")
	}
	close(clientHasIt)
}

// TestClientLeavesMidRequest: a client that closes its connection while
// the function works cancels the function's request (its context ends)
// and the request is logged as 499, through the front's watch.
func TestClientLeavesMidRequest(t *testing.T) {
	h := startHarness(t, map[string]string{"api/slow.go": goHandler("1")})
	h.get("/api/slow") // start the process
	c := dialRaw(t, strings.TrimPrefix(h.srv.URL(), "http://"))
	io.WriteString(c, "GET /api/slow HTTP/1.1\r\nHost: x\r\nX-Fake: sleep=60s\r\n\r\n")
	inflight := func() int64 {
		var n int64
		for _, p := range h.goRT.liveProcs() {
			n += p.inflight.Load()
		}
		return n
	}
	eventually(t, 10*time.Second, "the request to reach the function", func() (bool, string) {
		return inflight() == 1, fmt.Sprint(inflight())
	})
	c.Close()
	eventually(t, 10*time.Second, "the function's request to end", func() (bool, string) {
		return inflight() == 0, fmt.Sprint(inflight())
	})
	ev := h.events.waitFor(t, "the request's log event", func(ev Event) bool {
		return ev.Type == EventRequest && ev.Path == "/api/slow" && ev.Status != http.StatusOK
	})
	if ev.Status != statusClientClosed {
		t.Errorf("logged status %d, want %d", ev.Status, statusClientClosed)
	}
}

// A function's response without a Content-Type arrives without one, as
// Vercel passes it: the dev server sniffs nothing.
func TestResponseWithoutContentType(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	resp, body := h.do("GET", "/api/a", map[string]string{"X-Fake": "notype"}, nil)
	if resp.StatusCode != 200 || string(body) != "<html><body>untyped</body></html>" {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	if ct, ok := resp.Header["Content-Type"]; ok {
		t.Errorf("Content-Type %q added to a response that had none", ct)
	}
	// A typed one keeps its type.
	if resp, _ := h.do("GET", "/api/a", nil, nil); resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type of the echo = %q, want application/json", resp.Header.Get("Content-Type"))
	}
}

// Only Go's dev wrapper marks a panic: another process's 500 that
// carries the header is its own answer, passed through.
func TestPanicHeaderOnlyFromGoFunctions(t *testing.T) {
	h := startHarness(t, map[string]string{"api/go.go": goHandler("1"), "api/py.py": pyHandler("1")})
	resp, body := h.do("GET", "/api/go", map[string]string{"X-Fake": "panic"}, nil)
	if resp.StatusCode != 500 || !bytes.Contains(body, []byte(codeInvocation)) {
		t.Errorf("Go function's panic = %d %q, want the FUNCTION_INVOCATION_FAILED page", resp.StatusCode, body)
	}
	resp, body = h.do("GET", "/api/py", map[string]string{"X-Fake": "panic"}, nil)
	if resp.StatusCode != 500 || string(body) != "panic: boom\n" {
		t.Errorf("Python function's own 500 = %d %q, want it passed through", resp.StatusCode, body)
	}
}
