package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// frontHandlers are handlers that exercise the framing decisions of a
// server, by path.
var frontHandlers = map[string]http.HandlerFunc{
	"/small": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello") },
	"/html":  func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html><body>hi</body></html>") },
	"/big":   func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("abcdefgh"), 700)) },
	"/declared": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	},
	"/short": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
	},
	"/long": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		_, err := io.WriteString(w, "hello")
		w.Header().Set("X-Err", fmt.Sprint(err)) // not sent: after the head
	},
	"/badlength": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "x")
		io.WriteString(w, "hello")
	},
	"/flush": func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		io.WriteString(w, "b")
	},
	"/flushempty": func(w http.ResponseWriter, r *http.Request) { w.(http.Flusher).Flush() },
	"/nocontent": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(http.StatusNoContent)
		_, err := io.WriteString(w, "x")
		if !errors.Is(err, http.ErrBodyNotAllowed) {
			panic(err)
		}
	},
	"/notmodified": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "3")
		w.Header().Set("Etag", `"x"`)
		w.WriteHeader(http.StatusNotModified)
	},
	"/trailers": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-T, Content-Length, x-lower")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "body")
		w.Header().Set("X-T", "v")
		w.Header().Set("X-Lower", "l")
		w.Header().Set(http.TrailerPrefix+"X-U", "u")
	},
	"/prefixonly": func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "body")
		w.Header().Set(http.TrailerPrefix+"X-U", "u")
	},
	"/hints": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.Header().Set("Content-Length", "9")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Content-Length")
		io.WriteString(w, "final")
	},
	"/close": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	},
	"/keepalive": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "keep-alive")
		io.WriteString(w, "hi")
	},
	"/identity": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "identity")
		io.WriteString(w, "raw")
	},
	"/chunkedcl": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		w.Header().Set("Content-Length", "3")
		io.WriteString(w, "abc")
	},
	"/ignore": func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ignored") },
	"/echo": func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %v %q", len(b), err, b[:min(len(b), 16)])
	},
	"/flushread": func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // drains a small body
		b, err := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%d %v", len(b), err)
	},
	"/closebody": func(w http.ResponseWriter, r *http.Request) {
		r.Body.Close()
		io.WriteString(w, "closed")
	},
	"/nothing": func(w http.ResponseWriter, r *http.Request) {},
	"/status": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(599)
		w.WriteHeader(200) // superfluous
	},
	"/headers": func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Newline", "  a\r\nb  ")
		h["Bad Name"] = []string{"x"}
		h.Add("X-Multi", "1")
		h.Add("X-Multi", "2")
		h["X-Empty"] = nil
		h["Content-Type"] = nil
		h.Set("Date", "Mon, 01 Jan 2001 00:00:00 GMT")
		io.WriteString(w, "<html>")
	},
	"/gzip": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte{0x1f, 0x8b, 8, 0})
	},
	"/after": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Header().Set("X-After", "1")
		io.WriteString(w, "created")
	},
	"/method": func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %q host=%s close=%v cl=%d", r.Method, r.URL.RequestURI(), r.Header, r.Host, r.Close, r.ContentLength)
	},
	"/abort": func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic(http.ErrAbortHandler)
	},
	"/abortlate": func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), 3000)) // part of it reaches the connection
		panic(http.ErrAbortHandler)
	},
	"/latetrailer": func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a")
		w.(http.Flusher).Flush()
		w.Header().Set(http.TrailerPrefix+"X-U", "u")
	},
	"/iftrailer": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "If-Match, X-T")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "body")
		w.Header().Set("If-Match", "m")
		w.Header().Set("X-T", "t")
	},
	"/chunkedshort": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "abc")
	},
	"/tegzip": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "gzip")
		io.WriteString(w, "abc")
	},
	"/badclte": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Transfer-Encoding", "chunked")
		w.Header().Set("Content-Length", "x")
		io.WriteString(w, "abc")
	},
}

func frontMux() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := frontHandlers[r.URL.Path]; h != nil {
			h(w, r)
			return
		}
		http.NotFound(w, r)
	})
}

// frontPair serves the same handler through the front and through
// net/http's server.
type frontPair struct {
	front, std string // addresses
	f          *front
}

func startFrontPair(t testing.TB, h http.Handler) frontPair {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	fl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	f := newFront(h, &http.Server{Handler: h, ErrorLog: quiet}, fl.Addr(), log)
	std := &http.Server{Handler: h, ErrorLog: quiet}
	done := make(chan struct{}, 2)
	go func() { f.serve(fl); done <- struct{}{} }()
	go func() { std.Serve(sl); done <- struct{}{} }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		f.shutdown(ctx, fl)
		std.Shutdown(ctx)
		<-done
		<-done
	})
	return frontPair{front: fl.Addr().String(), std: sl.Addr().String(), f: f}
}

// exchangeRaw sends raw and then a final request that closes the
// connection, and returns everything the server sent until it closed.
func exchangeRaw(t testing.TB, addr string, raw []byte) []byte {
	t.Helper()
	c := dialRaw(t, addr)
	defer c.Close() // at once: the fuzz target makes many
	go func() {
		c.Write(raw)
		io.WriteString(c, "GET /small HTTP/1.1\r\nHost: end\r\nConnection: close\r\n\r\n")
	}()
	out, err := io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s kept the connection open; got so far:\n%s", addr, out)
	}
	return out
}

var dateField = regexp.MustCompile(`(?m)^Date: [^\r\n]*\r\n`)

func normalizeDate(b []byte) []byte {
	return dateField.ReplaceAllLiteral(b, []byte("Date: (now)\r\n"))
}

// frontRequests are requests each handler is sent; several are
// pipelined. The first frontPlain are plain: the front serves them.
var frontRequests = []string{
	"GET %s HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"HEAD %s HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"GET %s?x=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\n\r\nGET %s HTTP/1.1\r\nHost: b\r\nX-Two: 2\r\n\r\n",
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\r\nGET %s HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 300000\r\n\r\n" + strings.Repeat("z", 300000),
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n" + strings.Repeat("y", 20000),
	"GET %s HTTP/1.1\nHost: a\n\n",
	"GET %s HTTP/1.1\r\nhOsT: a\r\nX-Empty:\r\n\r\n",
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 262144\r\n\r\n" + strings.Repeat("x", 262144),
	"POST %s HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc\r\n\r\n\r\nGET %s HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET %s HTTP/1.0\r\nHost: a\r\n\r\n",
	"GET %s HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
	"POST %s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
	"POST %s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
	"GET %s HTTP/1.1\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a b\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nX-Long: " + strings.Repeat("l", 20000) + "\r\n\r\n",
	"\r\nGET %s HTTP/1.1\r\nHost: a\r\n\r\n",
	"get %s HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
	"GET %s HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
	"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://other.example/%s HTTP/1.1\r\nHost: a\r\n\r\n",
}

// TestFrontMatchesNetHTTP sends the same bytes to the front and to
// net/http's server with the same handlers and wants the same bytes back
// (but the Date): framing, sniffed types, trailers, 1xx, connection reuse,
// request bodies left unread and the requests handed off.
const frontPlain = 11

func TestFrontMatchesNetHTTP(t *testing.T) {
	p := startFrontPair(t, frontMux())
	for path := range frontHandlers {
		for i, tmpl := range frontRequests {
			raw := []byte(strings.ReplaceAll(tmpl, "%s", path))
			t.Run(fmt.Sprintf("%s/%d", strings.Trim(path, "/"), i), func(t *testing.T) {
				served, handed := p.f.served.Load(), p.f.handedOff.Load()
				got := normalizeDate(exchangeRaw(t, p.front, raw))
				if i < frontPlain && (p.f.served.Load() == served || p.f.handedOff.Load() != handed) {
					t.Errorf("request %q was not served by the front", raw)
				}
				want := normalizeDate(exchangeRaw(t, p.std, raw))
				if !bytes.Equal(got, want) {
					t.Errorf("request %q:\nfront:\n%s\nnet/http:\n%s", clip(raw), clip(got), clip(want))
				}
			})
		}
	}
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + fmt.Sprintf("… (%d bytes)", len(b))
	}
	return string(b)
}

// FuzzFront holds the front to net/http's server on arbitrary request
// bytes.
func FuzzFront(f *testing.F) {
	for path := range frontHandlers {
		for _, tmpl := range frontRequests {
			if len(tmpl) < 1000 {
				f.Add([]byte(strings.ReplaceAll(tmpl, "%s", path)))
			}
		}
	}
	p := startFrontPair(f, frontMux())
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) > 64<<10 {
			return
		}
		got := normalizeDate(exchangeRaw(t, p.front, raw))
		want := normalizeDate(exchangeRaw(t, p.std, raw))
		if !bytes.Equal(got, want) {
			t.Errorf("request %q:\nfront:\n%s\nnet/http:\n%s", clip(raw), clip(got), clip(want))
		}
	})
}
