package devserver

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
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
// without end gets an error once the head passes the limit, not a dev
// server that buffers it all; a head under the limit is read whole.
func TestHopTransportBoundsTheResponseHead(t *testing.T) {
	line := "X-Filler: " + strings.Repeat("a", 1000) + "\r\n"
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		if _, err := io.WriteString(w, "HTTP/1.1 200 OK\r\n"); err != nil {
			return err
		}
		if req.URL.Path == "/small" {
			_, err := io.WriteString(w, strings.Repeat(line, 30)+"Content-Length: 2\r\n\r\nok")
			return err
		}
		// Without end, but bounded for the test: 100 times the limit.
		for range 6400 {
			if _, err := io.WriteString(w, line); err != nil {
				return err
			}
		}
		return errors.New("the client read 6.4 MB of headers")
	})
	ht, _ := newTestHop(t)
	ht.maxHead = 64 << 10
	req, _ := http.NewRequest("GET", url+"/small", nil)
	if s, b, h := hopDo(t, ht, req); s != 200 || b != "ok" || len(h.Values("X-Filler")) != 30 {
		t.Fatalf("GET /small (a 30 KB head): %d %q with %d X-Filler headers", s, b, len(h.Values("X-Filler")))
	}
	req, _ = http.NewRequest("GET", url+"/endless", nil)
	resp, err := ht.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET /endless: %d, want an error", resp.StatusCode)
	}
	if !errors.Is(err, errHeadTooLarge) {
		t.Fatalf("GET /endless: %v, want %v", err, errHeadTooLarge)
	}
}

// TestHopTransportCapsInformationalResponses: five 1xx responses before
// the final one pass, as with http.Transport; a sixth is an error.
func TestHopTransportCapsInformationalResponses(t *testing.T) {
	url := startRawServer(t, func(w io.Writer, req *http.Request) error {
		n := 5
		if req.URL.Path == "/six" {
			n = 6
		}
		_, err := io.WriteString(w, strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", n)+
			"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal")
		return err
	})
	ht, _ := newTestHop(t)
	req, _ := http.NewRequest("GET", url+"/five", nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || b != "final" {
		t.Fatalf("GET /five: %d %q, want 200 \"final\"", s, b)
	}
	req, _ = http.NewRequest("GET", url+"/six", nil)
	resp, err := ht.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET /six: %d, want an error", resp.StatusCode)
	}
	if !strings.Contains(err.Error(), "more than 5 informational") {
		t.Fatalf("GET /six: %v, want the 1xx limit named", err)
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
