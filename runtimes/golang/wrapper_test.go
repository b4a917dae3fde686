package golang

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
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
