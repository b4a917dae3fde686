package golang

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// The dev wrapper reports its port on fd 3, or in the port file when fd 3
// is not a pipe, and listens on $VERCEL_DEV_PORT when set.
func TestDevWrapperPortReporting(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "hello")
	bin, err := testRuntime().buildDev(t.Context(), runtimes.DevRequest{
		Root: p.root, File: "api/hello.go", Entrypoint: function("Handler"), CacheDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	fixed := freePort(t)
	tests := []struct {
		name     string
		mode     proc.PortMode
		env      []string
		wantPort int
	}{
		{name: "fd 3", mode: proc.PortFD3},
		{name: "port file", mode: proc.PortFile},
		{name: "VERCEL_DEV_PORT", mode: proc.PortFD3, env: []string{"VERCEL_DEV_PORT=" + strconv.Itoa(fixed)}, wantPort: fixed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			pr, err := proc.Start(ctx, proc.Config{
				Name: "api/hello.go", Path: bin, Dir: p.root, Env: append(os.Environ(), tt.env...),
				Port: tt.mode, Stderr: testWriter{t},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer stop(t, pr)
			if tt.wantPort != 0 {
				if _, port, _ := net.SplitHostPort(pr.Addr()); port != strconv.Itoa(tt.wantPort) {
					t.Errorf("Addr = %s, want port %d", pr.Addr(), tt.wantPort)
				}
			}
			if got := get(t, pr.Addr(), "/"); got != "hello from helper" {
				t.Errorf("GET / = %q", got)
			}
		})
	}
}

// SIGINT lets an in-flight request finish, then the wrapper exits cleanly.
func TestDevWrapperGracefulShutdown(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "slow")
	pr, err := testRuntime().StartDev(t.Context(), runtimes.DevRequest{
		Root: p.root, File: "api/slow.go", Entrypoint: function("Handler"), CacheDir: t.TempDir(), Stderr: testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get("http://" + pr.Addr() + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != "started\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	// The handler is now running; stop the process under it.
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		stopped <- pr.Stop(ctx)
	}()
	rest, err := io.ReadAll(br)
	if err != nil || string(rest) != "done\n" {
		t.Errorf("rest of the response %q, %v: the in-flight request did not finish", rest, err)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Stop: %v", err)
	}
	<-pr.Done()
	if err := pr.Err(); err != nil {
		t.Errorf("exit: %v (want a clean exit after a graceful shutdown)", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// A handler's panic before its response starts is answered by the
// wrapper (500, PanicHeader, the panic's value) on a connection that stays
// open, so the dev server can tell it from a connection closed while idle;
// one after the response started cuts it, as net/http does. The handler
// still sees the writer's optional interfaces.
func TestDevWrapperAnswersPanics(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "panics")
	var stderr syncBuffer
	pr, err := testRuntime().StartDev(t.Context(), runtimes.DevRequest{
		Root: p.root, File: "api/panics.go", Entrypoint: function("Handler"), CacheDir: t.TempDir(), Stderr: &stderr,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Stop(context.Background())
	base := "http://" + pr.Addr()
	client := &http.Client{Timeout: 30 * time.Second}
	get := func(path string) (*http.Response, string, bool, error) {
		t.Helper()
		reused := false
		ctx := httptrace.WithClientTrace(t.Context(), &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = i.Reused }})
		req, _ := http.NewRequestWithContext(ctx, "GET", base+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			return nil, "", reused, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, string(b), reused, err
	}
	if _, body, _, err := get("/"); err != nil || body != "ok" {
		t.Fatalf("GET / = %q, %v", body, err)
	}
	resp, body, reused, err := get("/before")
	if err != nil || resp.StatusCode != 500 || resp.Header.Get(runtimes.PanicHeader) != "1" || body != "panic: boom\n" || resp.Header.Get("X-Set-Before") != "" {
		t.Fatalf("GET /before = %v %q %v (header %v), want 500 with %s and the panic, without the handler's headers", resp, body, err, resp.Header, runtimes.PanicHeader)
	}
	if !reused {
		t.Error("GET /before did not reuse the kept-alive connection")
	}
	if _, body, reused, err := get("/"); err != nil || body != "ok" || !reused {
		t.Errorf("GET / after the panic = %q, %v, reused %v: the connection should have stayed open", body, err, reused)
	}
	if _, _, _, err := get("/after"); err == nil {
		t.Error("GET /after: the response of a handler that panicked after it started was not cut")
	}
	if _, _, _, err := get("/abort"); err == nil {
		t.Error("GET /abort: http.ErrAbortHandler did not abort")
	}
	if _, body, _, err := get("/iface"); err != nil || body != "y y y y y" {
		t.Errorf("GET /iface = %q, %v; want the writer's Flusher, Hijacker, ReaderFrom, CloseNotifier and a working ResponseController", body, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "http: panic serving GET /after: late") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the child's stderr is copied by another goroutine
	}
	for _, want := range []string{"http: panic serving GET /before: boom", "goroutine ", "http: panic serving GET /after: late"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// syncBuffer is a bytes.Buffer for a child's output, written by one
// goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
