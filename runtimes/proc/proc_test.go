//go:build unix

package proc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// startChild starts the test binary as a child in the given mode and stops
// it when the test ends.
func startChild(t *testing.T, mode string, cfg Config) (*Process, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = "child-" + mode
	cfg.Path = self
	cfg.Env = append(os.Environ(), childEnv+"="+mode)
	p, err := Start(t.Context(), cfg)
	if p != nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			p.Stop(ctx)
		})
	}
	return p, err
}

func get(t *testing.T, addr, path string) string {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}

// waitDone waits for p to exit, failing the test after a generous bound.
func waitDone(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("process %d did not exit", p.PID())
	}
}

func TestStartReportsPort(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		mode string // child behaviour
		port PortMode
	}{
		{"fd3 with newline", "fd3", PortFD3},
		{"fd3 without newline", "fd3-bare", PortFD3},
		{"port file only", "file", PortFile},
		{"fd3 mode, child uses the port file", "file", PortFD3},
		{"PORT env", "env", PortEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := startChild(t, tt.mode, Config{Port: tt.port, ReadyTimeout: 20 * time.Second})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			if !strings.HasPrefix(p.Addr(), "127.0.0.1:") {
				t.Errorf("Addr() = %q, want 127.0.0.1:<port>", p.Addr())
			}
			if got, want := get(t, p.Addr(), "/"), "hello from "+tt.mode; got != want {
				t.Errorf("GET / = %q, want %q", got, want)
			}
			if err := p.Stop(t.Context()); err != nil {
				t.Errorf("Stop: %v", err)
			}
			if err := p.Err(); err != nil {
				t.Errorf("Err after Stop = %v, want nil", err)
			}
		})
	}
}

func TestPortFileRemoved(t *testing.T) {
	t.Parallel()
	// The waiter removes the port file it created once it has read it.
	w, err := newPortWaiter(PortFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(w.portFile, []byte("1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	port, err := w.wait(ctx, make(chan struct{}))
	w.cleanup()
	if err != nil || port != 1234 {
		t.Fatalf("wait = %d, %v; want 1234, nil", port, err)
	}
	if _, err := os.Stat(w.portFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("port file still exists after reading: %v", err)
	}
}

func TestStartErrors(t *testing.T) {
	t.Parallel()
	t.Run("child exits early", func(t *testing.T) {
		t.Parallel()
		_, err := startChild(t, "exit", Config{})
		var se *StartError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v (%T), want *StartError", err, err)
		}
		if se.ExitCode != 2 {
			t.Errorf("ExitCode = %d, want 2", se.ExitCode)
		}
		if !strings.Contains(se.Stderr, "line 49") || strings.Contains(se.Stderr, "line 9\n") {
			t.Errorf("Stderr should hold the last 40 lines (10..49), got:\n%s", se.Stderr)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, "child-exit exited with status 2 before reporting its port:\n") {
			t.Errorf("Error() = %q", msg)
		}
	})
	t.Run("silent child", func(t *testing.T) {
		t.Parallel()
		_, err := startChild(t, "silent", Config{ReadyTimeout: 3 * time.Second, GracePeriod: 100 * time.Millisecond})
		var se *StartError
		if !errors.As(err, &se) {
			t.Fatalf("err = %v (%T), want *StartError", err, err)
		}
		if se.ExitCode != -1 {
			t.Errorf("ExitCode = %d, want -1 (killed by us)", se.ExitCode)
		}
		if !strings.Contains(err.Error(), "no port reported within 3s") {
			t.Errorf("Error() = %q, want the timeout", err)
		}
		if !strings.Contains(se.Stderr, "starting up") {
			t.Errorf("Stderr = %q, want the child's output", se.Stderr)
		}
	})
	// A server that ignores PORT is told what it is expected to do.
	t.Run("silent server", func(t *testing.T) {
		t.Parallel()
		_, err := startChild(t, "silent", Config{Port: PortEnv, ReadyTimeout: 2 * time.Second, GracePeriod: 100 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), "within 2s; a server must listen on the port the PORT environment variable gives it") {
			t.Errorf("err = %v, want the PORT hint", err)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		t.Parallel()
		self, _ := os.Executable()
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, err := Start(ctx, Config{Path: self, Env: append(os.Environ(), childEnv+"=silent")})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("garbage on fd 3", func(t *testing.T) {
		t.Parallel()
		_, err := startChild(t, "garbage-fd3", Config{GracePeriod: 100 * time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), `port "hello" is not a number`) {
			t.Fatalf("err = %v, want a bad-port error", err)
		}
	})
	t.Run("missing executable", func(t *testing.T) {
		t.Parallel()
		_, err := Start(t.Context(), Config{Name: "ghost", Path: "/nonexistent/lambdalens-ghost"})
		if err == nil || !strings.Contains(err.Error(), "starting ghost") {
			t.Fatalf("err = %v, want a start error", err)
		}
	})
}

// gone reports whether pid no longer runs (absent or a zombie waiting for
// its new parent to reap it).
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return errors.Is(err, os.ErrNotExist)
	}
	// The state follows the parenthesised command name.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

func TestStopKillsGroup(t *testing.T) {
	t.Parallel()
	p, err := startChild(t, "grandchild", Config{GracePeriod: 300 * time.Millisecond})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	gpid, err := strconv.Atoi(get(t, p.Addr(), "/pid"))
	if err != nil || gpid <= 0 {
		t.Fatalf("grandchild pid: %v", err)
	}
	if gone(gpid) {
		t.Fatalf("grandchild %d is not running before Stop", gpid)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if gone(p.PID()) == false {
		t.Errorf("child %d still running after Stop", p.PID())
	}
	waitGone(t, gpid, "the grandchild (it ignores SIGINT) after Stop")
}

// waitGone polls until pid is gone (an orphan is reparented and reaped
// asynchronously), failing after 10 s.
func waitGone(t *testing.T, pid int, what string) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !gone(pid) {
		select {
		case <-deadline.C:
			t.Fatalf("%s: process %d still runs", what, pid)
		case <-tick.C:
		}
	}
}

func TestStopGrace(t *testing.T) {
	t.Parallel()
	t.Run("SIGINT-ignoring child is killed after the grace period", func(t *testing.T) {
		t.Parallel()
		const grace = 400 * time.Millisecond
		p, err := startChild(t, "ignoreint", Config{GracePeriod: grace})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		start := time.Now()
		if err := p.Stop(t.Context()); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if elapsed := time.Since(start); elapsed < grace {
			t.Errorf("Stop returned after %s, before the %s grace period", elapsed, grace)
		}
		if _, sig := exitStatus(p.cmd.ProcessState); sig != "killed" {
			t.Errorf("child ended by signal %q, want killed", sig)
		}
		if !isDone(p.Done()) {
			t.Error("Done not closed after Stop")
		}
	})
	t.Run("cooperative child stops on SIGINT", func(t *testing.T) {
		t.Parallel()
		const grace = 15 * time.Second
		p, err := startChild(t, "fd3", Config{GracePeriod: grace})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		start := time.Now()
		p.Stop(t.Context())
		if elapsed := time.Since(start); elapsed >= grace {
			t.Errorf("Stop took %s: the child should have exited on SIGINT", elapsed)
		}
		if _, sig := exitStatus(p.cmd.ProcessState); sig != "interrupt" {
			t.Errorf("child ended by signal %q, want interrupt", sig)
		}
	})
	t.Run("Stop's context ending skips the grace period", func(t *testing.T) {
		t.Parallel()
		p, err := startChild(t, "ignoreint", Config{GracePeriod: time.Minute})
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		p.Stop(ctx)
		if elapsed := time.Since(start); elapsed > 30*time.Second {
			t.Errorf("Stop took %s despite its context ending", elapsed)
		}
		if !isDone(p.Done()) {
			t.Error("Done not closed after Stop")
		}
	})
}

func TestCrashReported(t *testing.T) {
	t.Parallel()
	p, err := startChild(t, "fd3", Config{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	// Once it answers, it has written "serving on" to stderr; Wait drains
	// the pipe before Done closes.
	get(t, p.Addr(), "/")
	if p.Err() != nil {
		t.Errorf("Err before exit = %v, want nil", p.Err())
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	var ee *ExitError
	if !errors.As(p.Err(), &ee) {
		t.Fatalf("Err = %v (%T), want *ExitError", p.Err(), p.Err())
	}
	if ee.Signal != "killed" || ee.ExitCode != -1 {
		t.Errorf("ExitError = %+v, want signal killed", ee)
	}
	if !strings.Contains(ee.Stderr, "serving on") || !strings.Contains(p.LastStderr(), "serving on") {
		t.Errorf("stderr tail = %q, want the child's output", ee.Stderr)
	}
}

// TestExtraFilesAndOnExit: Config.ExtraFiles reach the child as fd 4
// onwards, and OnExit has run by the time Done is closed.
func TestExtraFilesAndOnExit(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var exited atomic.Bool
	cfg := Config{ExtraFiles: []*os.File{w}, OnExit: func() { exited.Store(true) }}
	if !cfg.ExtraPassed() {
		t.Fatal("ExtraPassed() = false for PortFD3 on unix")
	}
	p, err := startChild(t, "fd4", cfg)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil || line != "hello on fd 4\n" {
		t.Fatalf("read %q, %v from the extra file; want the child's line", line, err)
	}
	if exited.Load() {
		t.Fatal("OnExit ran while the child was running")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := p.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if !exited.Load() {
		t.Fatal("Done is closed but OnExit has not run")
	}
	if (Config{Port: PortEnv}).ExtraPassed() {
		t.Error("ExtraPassed() = true for PortEnv, which has no fd 3 to follow")
	}
}
