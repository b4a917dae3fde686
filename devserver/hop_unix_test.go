//go:build unix

package devserver

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// A process that closes a kept-alive connection with the next request
// still unread (a handler that goes on after its response, then fails)
// makes the kernel answer with a reset: the process never had that
// request, and one that may run twice is sent again on a new connection.
// One that may not fails.
func TestHopTransportResendsARequestTheProcessNeverRead(t *testing.T) {
	t.Run("close", func(t *testing.T) { testResendUnread(t, false) })
	// Python's socketserver shuts its side down first: the connection
	// ends cleanly, and the reset follows a moment later (seen on Linux,
	// where the hop reads the socket's TCP state).
	t.Run("shutdown then close", func(t *testing.T) {
		if runtime.GOOS != "linux" {
			t.Skip("the hop sees a reset that follows a clean end only on Linux")
		}
		testResendUnread(t, true)
	})
}

func testResendUnread(t *testing.T, shutWrite bool) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns, served atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 16) // reads little past the first request
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				served.Add(1)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				_ = req
				if n%2 == 0 {
					return // a second connection: closed after one answer, cleanly
				}
				// Wait for the next request to arrive, unread, then close.
				rc, err := c.(syscall.Conn).SyscallConn()
				if err != nil {
					return
				}
				var b [1]byte
				rc.Read(func(fd uintptr) bool {
					_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK)
					return err != syscall.EAGAIN
				})
				if shutWrite {
					c.(*net.TCPConn).CloseWrite()
					time.Sleep(time.Millisecond) // the FIN first, then the close's reset, as socketserver does
				}
			}()
		}
	}()
	ht, _ := newTestHop(t)
	url := "http://" + ln.Addr().String() + "/"
	for _, tc := range []struct {
		method   string
		wantOK   bool
		wantRuns int64
	}{
		{"GET", true, 2},   // the first, then the unread one sent again on a new connection
		{"POST", false, 3}, // the first answered; the unread POST not sent again
	} {
		ht.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(t.Context(), tc.method, url, strings.NewReader(""))
		if s, b, _ := hopDo(t, ht, req); s != 200 || b != "ok" {
			t.Fatalf("%s: first request = %d %q", tc.method, s, b)
		}
		req, _ = http.NewRequestWithContext(t.Context(), tc.method, url, nil)
		resp, err := ht.RoundTrip(req)
		if err == nil {
			resp.Body.Close()
		}
		if (err == nil) != tc.wantOK {
			t.Errorf("%s: second request err = %v, want ok %v", tc.method, err, tc.wantOK)
		}
		if n := served.Load(); n != tc.wantRuns {
			t.Errorf("%s: the server answered %d requests in all, want %d", tc.method, n, tc.wantRuns)
		}
	}
}

// A request with a body that the process read the head of, ran, and then
// dropped with the body unread ends in a reset too: that reset does not
// prove the request unread, so it is not sent again, even with an
// Idempotency-Key.
func TestHopTransportDoesNotResendARequestWithABodyAfterAReset(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var ran atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 16) // reads little past the head
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					if req.ContentLength > 0 {
						ran.Add(1)
						return // run, then close with the body unread: a reset
					}
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	ht, _ := newTestHop(t)
	url := "http://" + ln.Addr().String() + "/"
	req, _ := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if s, b, _ := hopDo(t, ht, req); s != 200 || b != "ok" {
		t.Fatalf("first request = %d %q", s, b)
	}
	req, _ = http.NewRequestWithContext(t.Context(), "POST", url, strings.NewReader(strings.Repeat("x", 8000)))
	req.Header.Set("Idempotency-Key", "k1")
	if resp, err := ht.RoundTrip(req); err == nil {
		resp.Body.Close()
		t.Error("the dropped POST succeeded")
	}
	if n := ran.Load(); n != 1 {
		t.Errorf("the handler ran %d times, want 1", n)
	}
}
