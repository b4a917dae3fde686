package golang

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Cancelling a Lambda build ends the compiler go build started and leaves
// no work directory behind. (go build has no interrupt handler: killed
// alone, it leaves both.)
func TestBuildCancelEndsTheCompiler(t *testing.T) {
	requireGo(t)
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("needs /proc to find the compiler")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the build's GOTMPDIR goes
	p := loadProject(t, "hello")
	// A package that takes the compiler a few seconds (about 5 s and
	// 0.5 GB here), new to the build cache. No calls between the
	// functions: one large recursive cycle makes the compiler's work
	// grow far faster than the file.
	var big strings.Builder
	fmt.Fprintf(&big, "package handler\n\n// %d\n", time.Now().UnixNano())
	for i := range 20000 {
		fmt.Fprintf(&big, "func F%d(x int) int { if x > %d { return x * %d }; return x + %d }\n", i, i, i, i)
	}
	p.write(t, "api/big.go", big.String())

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := testRuntime().Build(ctx, buildRequest(p, "api/hello.go", function("Handler"), t.TempDir(), t.TempDir()))
		done <- err
	}()
	// Wait for a compiler working in the build's temporary folder.
	var seenCmd []string
	eventuallyTrue(t, 60*time.Second, "a compiler under the build's GOTMPDIR", func() bool {
		for _, pid := range processesWith(tmp) {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			seenCmd = append(seenCmd, strings.ReplaceAll(string(b), "\x00", " ")[:min(len(b), 300)])
		}
		return len(seenCmd) > 0
	}, done)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Build after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Build did not return after cancel")
	}
	eventuallyTrue(t, 10*time.Second, "the compiler to end", func() bool { return len(processesWith(tmp)) == 0 }, nil)
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("left in the temporary folder after cancel: %s (processes seen: %q)", entries[0].Name(), seenCmd)
	}
}

// processesWith lists the processes whose command line mentions s.
func processesWith(s string) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), s) {
			continue
		}
		var pid int
		if _, err := fmt.Sscanf(filepath.Base(d), "%d", &pid); err == nil && pid != os.Getpid() {
			pids = append(pids, pid)
		}
	}
	return pids
}

// eventuallyTrue polls cond every 5 ms until it holds, failing after
// timeout or when early (if not nil) delivers first.
func eventuallyTrue(t *testing.T, timeout time.Duration, what string, cond func() bool, early <-chan error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case err := <-early:
			t.Fatalf("finished (%v) before %s", err, what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
