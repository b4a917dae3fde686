package python

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// writeTree writes files (slash paths relative to root) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// baseEnv is the test process environment without an activated venv.
func baseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VIRTUAL_ENV=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// syncBuffer is a bytes.Buffer safe for the child's copy goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
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

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startDev starts a dev process for file in root and stops it when the
// test ends. stderr collects the child's stderr.
func startDev(t *testing.T, root, file string, ep runtimes.Entrypoint, env []string) (runtimes.DevProcess, *syncBuffer, error) {
	t.Helper()
	stderr := &syncBuffer{}
	r := &Runtime{Logger: quietLogger()}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	p, err := r.StartDev(ctx, runtimes.DevRequest{
		Root: root, File: file, Entrypoint: ep, Env: env,
		Stdout: stderr, Stderr: stderr, Logger: quietLogger(),
	})
	if p != nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p.Stop(ctx)
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("child output:\n%s", stderr.String())
		}
	})
	return p, stderr, err
}

var client = &http.Client{Timeout: 30 * time.Second}

// do sends a request and returns the status and body.
func do(t *testing.T, method, url string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s %s: %v", method, url, err)
	}
	return resp.StatusCode, string(b), resp.Header
}

// waitStderr waits until the child's output contains want: the output is
// copied by another goroutine and may lag behind the port report.
func waitStderr(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	waitStderrCount(t, out, want, 1)
}

// waitStderrCount waits until the child's output contains want n times.
func waitStderrCount(t *testing.T, out *syncBuffer, want string, n int) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for strings.Count(out.String(), want) < n {
		select {
		case <-deadline.C:
			t.Errorf("child output does not contain %q %d times:\n%s", want, n, out)
			return
		case <-tick.C:
		}
	}
}
