package devserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startRawServer answers every request on 127.0.0.1 with respond, which
// writes whatever bytes it likes to the connection.
func startRawServer(t *testing.T, respond func(w io.Writer, req *http.Request) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // after the listener's close below (cleanups run last first)
	t.Cleanup(func() { ln.Close() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if respond(c, req) != nil {
						return
					}
				}
			})
		}
	})
	return "http://" + ln.Addr().String()
}

// TestHopTransportBoundsTheResponseHead: a process that sends headers
// without end gets errHeadTooLarge once the head passes the limit, not a
// dev server that buffers it all, wherever the limit cuts a line; a head
// of exactly the limit is read whole, with its body.
func TestHopTransportBoundsTheResponseHead(t *testing.T) {
	const limit = 64 << 10
	status := "HTTP/1.1 200 OK\r\n"
	tail := "Content-Length: 2\r\n\r\n"
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		if _, err := io.WriteString(w, status); err != nil {
			return err
		}
		if n, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/exactly/")); err == nil {
			// A head of n bytes: one filler header sized to fit.
			fill := n - len(status) - len(tail) - len("X-Fill: \r\n")
			_, err := io.WriteString(w, "X-Fill: "+strings.Repeat("f", fill)+"\r\n"+tail+"ok")
			return err
		}
		// Without end, but bounded for the test: about 100 times the limit.
		line := "X-" + strings.Repeat("a", len(req.URL.Path)) + ": b\r\n"
		for range 100 * limit / len(line) {
			if _, err := io.WriteString(w, line); err != nil {
				return err
			}
		}
		return errors.New("the client read the whole endless head")
	})
	ht, _ := newTestHop(t)
	ht.maxHead = limit
	for range 2 { // the second on the kept-alive connection
		req, _ := http.NewRequest("GET", url+"/exactly/"+strconv.Itoa(limit), nil)
		if s, b, h := hopDo(t, ht, req); s != 200 || b != "ok" || len(h.Get("X-Fill")) < limit-100 {
			t.Fatalf("GET a head of exactly the limit: %d %q, X-Fill of %d bytes", s, b, len(h.Get("X-Fill")))
		}
	}
	// Endless heads of lines of 9, 10, 17 and 1,008 bytes: the limit cuts
	// them at different places.
	for _, p := range []string{"/a", "/ab", "/" + strings.Repeat("a", 9), "/" + strings.Repeat("a", 1000)} {
		req, _ := http.NewRequest("GET", url+p, nil)
		resp, err := ht.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
			t.Fatalf("GET an endless head of %d-byte lines: %d, want an error", len(p)+7, resp.StatusCode)
		}
		if !errors.Is(err, errHeadTooLarge) {
			t.Errorf("GET an endless head of %d-byte lines: %v, want %v", len(p)+7, err, errHeadTooLarge)
		}
	}
	req, _ := http.NewRequest("GET", url+"/exactly/"+strconv.Itoa(limit+1), nil)
	if resp, err := ht.RoundTrip(req); !errors.Is(err, errHeadTooLarge) {
		if err == nil {
			resp.Body.Close()
		}
		t.Errorf("GET a head one byte over the limit: %v, want %v", err, errHeadTooLarge)
	}
}

// TestHopTransportLimitsInformationalHeadsAsTransportDoes: as with
// http.Transport, each 1xx response handed to the trace hook starts a new
// count of head bytes, so any number of them pass; without the hook, the
// 1xx heads and the final one share the limit.
func TestHopTransportLimitsInformationalHeadsAsTransportDoes(t *testing.T) {
	hint := "HTTP/1.1 103 Early Hints\r\nLink: </" + strings.Repeat("a", 1000) + ".css>; rel=preload\r\n\r\n"
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		_, err := io.WriteString(w, strings.Repeat(hint, 8)+"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
		return err
	})
	ht, _ := newTestHop(t)
	ht.maxHead = 4 << 10 // four of the eight 1xx heads
	seen := 0
	trace := &httptrace.ClientTrace{Got1xxResponse: func(int, textproto.MIMEHeader) error { seen++; return nil }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), "GET", url+"/", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || b != "final" || seen != 8 {
		t.Fatalf("GET with a 1xx hook: %d %q after %d 1xx responses, want 200 \"final\" after 8", s, b, seen)
	}
	req, _ = http.NewRequest("GET", url+"/", nil)
	resp, err := ht.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET without a 1xx hook: %d, want an error", resp.StatusCode)
	}
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("GET without a 1xx hook: %v, want %v", err, errHeadTooLarge)
	}
}

// TestHopTransportBodylessResponsesUnderConcurrency: responses without a
// body hand their connection back at once; with requests racing for it,
// the head limit of one exchange must not leak into the next (run with
// -race).
func TestHopTransportBodylessResponsesUnderConcurrency(t *testing.T) {
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	ht, _ := newTestHop(t)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 8 {
		wg.Go(func() {
			for range 200 {
				req, _ := http.NewRequest("GET", hs.URL+"/", nil)
				resp, err := ht.RoundTrip(req)
				if err != nil || resp.StatusCode != http.StatusNoContent {
					failed.Add(1)
					continue
				}
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d of 1,600 concurrent 204 requests failed", n)
	}
}

// TestHopTransportClosesConnectionsIdleTooLong: after a burst of three
// concurrent requests, traffic on one connection closes the two the burst
// left in the pool once they have been idle past the timeout.
func TestHopTransportClosesConnectionsIdleTooLong(t *testing.T) {
	var closed atomic.Int64
	var arrived sync.WaitGroup
	arrived.Add(3)
	hs := startHopServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/burst" {
			arrived.Done()
			arrived.Wait()
		}
		io.WriteString(w, "ok")
	}, func(s *http.Server) {
		s.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateClosed {
				closed.Add(1)
			}
		}
	})
	ht, _ := newTestHop(t)
	ht.idleTimeout = 200 * time.Millisecond
	var burst sync.WaitGroup
	for range 3 {
		burst.Go(func() {
			req, _ := http.NewRequest("GET", hs.URL+"/burst", nil)
			hopDo(t, ht, req)
		})
	}
	burst.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; closed.Load() < 2; n++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d requests on one connection in 10 s, %d of the burst's idle connections closed, want 2", n, closed.Load())
		}
		req, _ := http.NewRequest("GET", hs.URL+"/", nil)
		if s, b, _ := hopDo(t, ht, req); s != 200 || b != "ok" {
			t.Fatalf("GET /: %d %q", s, b)
		}
	}
}

// TestHopTransportDoesNotReuseAfterABodylessResponse: a server that sends
// a body with a response that may not have one (to HEAD, a 204, a 304)
// leaves bytes the next request on the connection would take for its
// response.
func TestHopTransportDoesNotReuseAfterABodylessResponse(t *testing.T) {
	// The stray body goes out just before the next response on the same
	// connection, as when it arrives after the head was parsed (a leftover
	// already buffered is caught otherwise).
	var mu sync.Mutex
	stray := map[io.Writer]string{}
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		mu.Lock()
		out := stray[w]
		stray[w] = ""
		switch {
		case req.Method == http.MethodHead:
			out += "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n"
			stray[w] = "a body anyway"
		case req.URL.Path == "/204" || req.URL.Path == "/304":
			out += "HTTP/1.1 " + req.URL.Path[1:] + " X\r\n\r\n"
			stray[w] = "a body anyway"
		default:
			out += "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		}
		mu.Unlock()
		_, err := io.WriteString(w, out)
		return err
	})
	ht, _ := newTestHop(t)
	for _, first := range []string{"HEAD /h", "GET /204", "GET /304"} {
		method, path, _ := strings.Cut(first, " ")
		req, _ := http.NewRequest(method, url+path, nil)
		hopDo(t, ht, req)
		req, _ = http.NewRequest("GET", url+"/g", nil)
		if s, b, _ := hopDo(t, ht, req); s != 200 || b != "ok" {
			t.Errorf("GET after %s: %d %q, want 200 \"ok\"", first, s, b)
		}
	}
}
