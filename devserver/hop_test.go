package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// hopServer is a real HTTP server on 127.0.0.1 that counts the
// connections it accepted.
type hopServer struct {
	*httptest.Server
	conns atomic.Int64
}

func startHopServer(t *testing.T, h http.HandlerFunc, configure ...func(*http.Server)) *hopServer {
	t.Helper()
	hs := &hopServer{}
	hs.Server = httptest.NewUnstartedServer(h)
	hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			hs.conns.Add(1)
		}
	}
	for _, c := range configure {
		c(hs.Config)
	}
	hs.Start()
	t.Cleanup(hs.Close)
	return hs
}

// countingTransport records the requests the fallback received.
type countingTransport struct {
	*http.Transport
	n atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.Transport.RoundTrip(r)
}

func newTestHop(t *testing.T) (*hopTransport, *countingTransport) {
	fb := &countingTransport{Transport: &http.Transport{}}
	ht := newHopTransport(fb)
	t.Cleanup(ht.CloseIdleConnections)
	return ht, fb
}

func hopDo(t *testing.T, rt http.RoundTripper, req *http.Request) (int, string, http.Header) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestHopTransportReusesOneConnection(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Method", r.Method)
		io.WriteString(w, r.URL.RequestURI()+" "+string(b))
	})
	ht, fb := newTestHop(t)
	for i, tc := range []struct{ method, path, body, want string }{
		{"GET", "/a?x=1", "", "/a?x=1 "},
		{"POST", "/b", `{"n":1}`, `/b {"n":1}`},
		{"HEAD", "/c", "", ""},
		{"DELETE", "/d", "", "/d "},
		{"PUT", "/e", strings.Repeat("x", hopMaxBody), "/e " + strings.Repeat("x", hopMaxBody)},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		req := httptest.NewRequest(tc.method, hs.URL+tc.path, body).WithContext(t.Context())
		req.RequestURI = ""
		status, got, h := hopDo(t, ht, req)
		if status != 200 || got != tc.want || h.Get("X-Method") != tc.method {
			t.Errorf("request %d %s %s: %d %q %v, want 200 %q", i, tc.method, tc.path, status, got, h, tc.want)
		}
	}
	// One, and one more after the HEAD (TestHopTransportDoesNotReuseAfterABodylessResponse).
	if n := hs.conns.Load(); n != 2 {
		t.Errorf("the server saw %d connections for 5 sequential requests with a HEAD third, want 2", n)
	}
	if n := fb.n.Load(); n != 0 {
		t.Errorf("%d requests went to the fallback transport, want 0", n)
	}
}

func TestHopTransportLeavesStreamsAndUpgradesToTheFallback(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		io.WriteString(w, strings.Repeat("y", int(n%7)))
	})
	ht, fb := newTestHop(t)
	big := httptest.NewRequest("POST", hs.URL+"/big", bytes.NewReader(make([]byte, hopMaxBody+1)))
	chunked := httptest.NewRequest("POST", hs.URL+"/chunked", io.MultiReader(strings.NewReader("abc")))
	chunked.ContentLength = -1
	expect := httptest.NewRequest("POST", hs.URL+"/expect", strings.NewReader("abc"))
	expect.Header.Set("Expect", "100-continue")
	for _, req := range []*http.Request{big, chunked, expect} {
		req.RequestURI = ""
		if status, _, _ := hopDo(t, ht, req.WithContext(t.Context())); status != 200 {
			t.Errorf("%s: status %d", req.URL.Path, status)
		}
	}
	if n := fb.n.Load(); n != 3 {
		t.Errorf("the fallback transport got %d requests, want 3 (body over %d bytes, chunked, Expect)", n, hopMaxBody)
	}
}

func TestHopTransportResendsOnAConnectionClosedWhileIdle(t *testing.T) {
	var mu sync.Mutex
	var conns []net.Conn
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}, func(s *http.Server) {
		s.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			return ctx
		}
	})
	ht, _ := newTestHop(t)
	get := func() (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/", nil)
		s, b, _ := hopDo(t, ht, req)
		return s, b
	}
	post := func() (int, string) {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", hs.URL+"/", strings.NewReader("body"))
		s, b, _ := hopDo(t, ht, req)
		return s, b
	}
	for round, do := range []func() (int, string){get, get, post, post} {
		if s, b := do(); s != 200 || b != "ok" {
			t.Fatalf("round %d: %d %q", round, s, b)
		}
		// The process closes every kept-alive connection; wait until the
		// close reached the client side (the pooled conn sees EOF).
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		conns = nil
		mu.Unlock()
		eventually(t, 5*time.Second, "the pooled connection to see the close", func() (bool, string) {
			ht.mu.Lock()
			defer ht.mu.Unlock()
			for _, list := range ht.idle {
				for _, pc := range list {
					if !pc.closedByPeer(0) {
						return false, "still open"
					}
				}
			}
			return true, ""
		})
	}
	if n := hs.conns.Load(); n != 4 {
		t.Errorf("the server saw %d connections, want 4 (one per round)", n)
	}
}

func TestHopTransportCancelDropsTheConnection(t *testing.T) {
	release := make(chan struct{})
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		io.WriteString(w, "done")
	})
	defer close(release)
	ht, _ := newTestHop(t)
	cause := errors.New("maxDuration")
	ctx, cancel := context.WithTimeoutCause(t.Context(), 100*time.Millisecond, cause)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", hs.URL+"/slow", nil)
	start := time.Now()
	_, err := ht.RoundTrip(req)
	if !errors.Is(err, cause) {
		t.Fatalf("RoundTrip after the deadline: %v, want the context's cause", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("RoundTrip returned %v after the deadline", d)
	}
	// The cancelled connection is not reused.
	req, _ = http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/fast", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || b != "done" {
		t.Fatalf("GET /fast: %d %q", s, b)
	}
	if n := hs.conns.Load(); n != 2 {
		t.Errorf("the server saw %d connections, want 2 (the cancelled one is dropped)", n)
	}
}

func TestHopTransportDropsUnfinishedAndCloseResponses(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, strings.Repeat("z", 100<<10))
	})
	ht, _ := newTestHop(t)
	// Closed after 10 bytes of 100 KiB: the rest is still on the wire.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/partial", nil)
	resp, err := ht.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	req, _ = http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/close", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || len(b) != 100<<10 {
		t.Fatalf("GET /close: %d, %d bytes", s, len(b))
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/full", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || len(b) != 100<<10 {
		t.Fatalf("GET /full: %d, %d bytes", s, len(b))
	}
	if n := hs.conns.Load(); n != 3 {
		t.Errorf("the server saw %d connections, want 3 (neither the unfinished nor the Connection: close one is reused)", n)
	}
}

func TestHopTransportPassesInformationalResponses(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</style.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		io.WriteString(w, "final")
	})
	ht, _ := newTestHop(t)
	var got []int
	var link string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		got = append(got, code)
		link = h.Get("Link")
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", hs.URL+"/", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || b != "final" {
		t.Fatalf("GET: %d %q", s, b)
	}
	if len(got) != 1 || got[0] != 103 || link == "" {
		t.Errorf("1xx responses seen: %v (Link %q), want [103] with the Link header", got, link)
	}
}

func TestHopTransportReportsRefusedConnections(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ht, _ := newTestHop(t)
	req, _ := http.NewRequestWithContext(t.Context(), "GET", "http://"+addr+"/", nil)
	_, err = ht.RoundTrip(req)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("RoundTrip to a closed port: %v, want ECONNREFUSED", err)
	}
}

// TestHopTransportBodylessAndTrailers: responses without a body (HEAD,
// 204, 304) and a chunked one with trailers keep the connection reusable,
// and the trailers arrive after the body.
func TestHopTransportBodylessAndTrailers(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		case "/trailers":
			w.Header().Set("Trailer", "X-Sum")
			w.(http.Flusher).Flush() // chunked from here on
			io.WriteString(w, "part 1, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part 2")
			w.Header().Set("X-Sum", "42")
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "hello")
		}
	})
	ht, _ := newTestHop(t)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/204", ""}, {"GET", "/304", ""}, {"GET", "/", "hello"}, {"HEAD", "/", ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, hs.URL+tc.path, nil)
		if _, b, _ := hopDo(t, ht, req); b != tc.body {
			t.Errorf("%s %s: body %q, want %q", tc.method, tc.path, b, tc.body)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/trailers", nil)
	resp, err := ht.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "part 1, part 2" || resp.Trailer.Get("X-Sum") != "42" {
		t.Errorf("chunked response: %q, %v, trailer %q", b, err, resp.Trailer.Get("X-Sum"))
	}
	req, _ = http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/", nil)
	hopDo(t, ht, req)
	// A new one after each response that may not have a body (204, 304,
	// HEAD: TestHopTransportDoesNotReuseAfterABodylessResponse), so four.
	if n := hs.conns.Load(); n != 4 {
		t.Errorf("the server saw %d connections for 6 sequential requests with 204, 304 and HEAD, want 4", n)
	}
}

// A handler that kills its connection without answering (a server's
// panic) ran already: the process read the request, the connection ends
// cleanly, and the request is not sent again, whatever its method
// (http.Transport would send a GET or a keyed POST twice).
func TestHopTransportDoesNotResendARequestTheProcessRead(t *testing.T) {
	var runs sync.Map // path → *atomic.Int64
	count := func(path string) *atomic.Int64 {
		n, _ := runs.LoadOrStore(path, new(atomic.Int64))
		return n.(*atomic.Int64)
	}
	var arrived sync.WaitGroup
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		count(r.URL.Path).Add(1)
		switch r.URL.Path {
		case "/warm":
			arrived.Done()
			arrived.Wait() // hold each connection until all three are open
			io.WriteString(w, "ok")
		case "/hints":
			w.WriteHeader(http.StatusEarlyHints)
			panic(http.ErrAbortHandler)
		default:
			panic(http.ErrAbortHandler)
		}
	})
	ht, _ := newTestHop(t)
	warm := func() {
		t.Helper()
		arrived.Add(3)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(t.Context(), "GET", hs.URL+"/warm", nil)
				resp, err := ht.RoundTrip(req)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
		ht.mu.Lock()
		idle := len(ht.idle[hs.Listener.Addr().String()])
		ht.mu.Unlock()
		if idle != 3 {
			t.Fatalf("%d idle connections after three concurrent requests, want 3", idle)
		}
	}
	tests := []struct {
		method, path string
		header       http.Header
		wantRuns     int64
	}{
		{"POST", "/charge", nil, 1},
		{"DELETE", "/item", nil, 1},
		{"POST", "/keyed", http.Header{"Idempotency-Key": {"k1"}}, 1},
		{"GET", "/crash", nil, 1},
		{"GET", "/hints", nil, 1},
	}
	for _, tt := range tests {
		warm()
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, hs.URL+tt.path, nil)
		if tt.header != nil {
			req.Header = tt.header
		}
		if resp, err := ht.RoundTrip(req); err == nil {
			resp.Body.Close()
			t.Errorf("%s %s: got %d, want an error", tt.method, tt.path, resp.StatusCode)
		}
		if n := count(tt.path).Load(); n != tt.wantRuns {
			t.Errorf("%s %s: the handler ran %d times, want %d", tt.method, tt.path, n, tt.wantRuns)
		}
	}
}

// A process that sends more than its Content-Length (a handler that
// counted characters, not bytes) must not have the excess read as the
// next request's response: the connection is dropped, not pooled.
func TestHopTransportDropsAConnectionWithBytesAfterTheResponse(t *testing.T) {
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		out := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(req.URL.Path), req.URL.Path)
		if req.URL.Path == "/bad" {
			// One write: the declared body, then a whole response nobody
			// asked for.
			out = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi" +
				"HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\nleftover /bad!"
		}
		_, err := io.WriteString(w, out)
		return err
	})
	ht, _ := newTestHop(t)
	for _, p := range []string{"/bad", "/a1", "/b2", "/c3"} {
		want := p
		if p == "/bad" {
			want = "hi"
		}
		req, _ := http.NewRequest("GET", url+p, nil)
		if _, body, _ := hopDo(t, ht, req); body != want {
			t.Errorf("GET %s: body %q, want %q", p, body, want)
		}
	}
}
