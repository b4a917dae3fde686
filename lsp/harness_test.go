package lsp_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/python"
)

// testTimeout bounds each test; LAMBDALENS_LSP_TEST_TIMEOUT (a Go
// duration) overrides it, e.g. to fail fast while debugging.
func testTimeout() time.Duration {
	if v, err := time.ParseDuration(os.Getenv("LAMBDALENS_LSP_TEST_TIMEOUT")); err == nil && v > 0 {
		return v
	}
	return 90 * time.Second
}

// testLogger discards the server's log unless LAMBDALENS_LSP_TEST_LOG is
// set (then it goes to stderr, at debug level).
func testLogger() *slog.Logger {
	if os.Getenv("LAMBDALENS_LSP_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// env is one test's fake editor connected to an in-process server.
type env struct {
	t   *testing.T
	ctx context.Context
	*lsptest.Editor
	done chan error // Run's result; read it with runResult

	finished bool  // runResult has received Run's result
	result   error // which was this
}

// runResult waits for Run to return (until the test's deadline) and
// returns its result.
func (e *env) runResult() error {
	e.t.Helper()
	if e.finished {
		return e.result
	}
	select {
	case err := <-e.done:
		e.finished, e.result = true, err
		return err
	case <-e.ctx.Done():
		e.t.Fatal("Run did not return")
		return nil
	}
}

// testOpts tune runTest.
type testOpts struct {
	editor lsptest.Options
	cfg    lsp.Config
	// noInit skips initialize.
	noInit bool
}

// realRuntimes are the Go and Python runtimes the CLI uses.
func realRuntimes() map[runtimes.Language]runtimes.Runtime {
	return map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{}, runtimes.Python: &python.Runtime{}}
}

// runTest writes the txtar workspace, starts the server over net.Pipe,
// initializes the editor and runs fn; afterwards it shuts the session down
// and checks that Run returned cleanly.
func runTest(t *testing.T, archive string, o testOpts, fn func(e *env)) {
	t.Helper()
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, archive); err != nil {
		t.Fatal(err)
	}
	runTestIn(t, dir, o, fn)
}

// runTestIn is runTest on an existing workspace directory.
func runTestIn(t *testing.T, dir string, o testOpts, fn func(e *env)) {
	t.Helper()
	if o.editor.InitializationOptions == nil {
		// Tests type faster than people: keep the default delay small but
		// explicit.
		o.editor.InitializationOptions = map[string]any{"diagnosticsDelay": "1ms"}
	}
	if o.cfg.Logger == nil {
		o.cfg.Logger = testLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout())
	defer cancel()
	serverConn, clientConn := net.Pipe()
	e := &env{t: t, ctx: ctx, done: make(chan error, 1)}
	go func() { e.done <- lsp.Run(ctx, serverConn, serverConn, o.cfg) }()
	e.Editor = lsptest.Connect(ctx, clientConn, dir, o.editor)
	defer e.Editor.Close()
	if !o.noInit {
		if _, err := e.Initialize(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fn(e)
	if t.Failed() || e.finished {
		return // the test ended the session itself
	}
	if err := e.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := e.Exit(ctx); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Logf("exit: %v", err)
	}
	if err := e.runResult(); err != nil {
		t.Errorf("Run after shutdown and exit = %v, want nil", err)
	}
}

// await fails the test unless cond becomes true before the deadline.
func (e *env) await(what string, cond func(*lsptest.State) bool) {
	e.t.Helper()
	if err := e.Await(e.ctx, what, cond); err != nil {
		e.t.Fatal(err)
	}
}

// must fails the test on err.
func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

// open opens a file and fails on error.
func (e *env) open(rel string) { e.t.Helper(); e.must(e.OpenFile(e.ctx, rel)) }

// replace edits an open buffer and returns the new version.
func (e *env) replace(rel, re, repl string) int32 {
	e.t.Helper()
	v, err := e.ReplaceAll(e.ctx, rel, re, repl)
	e.must(err)
	return v
}

// lenses returns a file's lens titles.
func (e *env) lenses(rel string) []string {
	e.t.Helper()
	ls, err := e.CodeLens(e.ctx, rel)
	e.must(err)
	var titles []string
	for _, l := range ls {
		if l.Command != nil {
			titles = append(titles, l.Command.Title)
		}
	}
	return titles
}

// lens returns the first lens of rel whose title starts with prefix.
func (e *env) lens(rel, prefix string) protocol.CodeLens {
	e.t.Helper()
	ls, err := e.CodeLens(e.ctx, rel)
	e.must(err)
	for _, l := range ls {
		if l.Command != nil && strings.HasPrefix(l.Command.Title, prefix) {
			return l
		}
	}
	e.t.Fatalf("no lens %q on %s; have %v", prefix, rel, e.lenses(rel))
	return protocol.CodeLens{}
}

// eventually polls cond (for conditions outside the editor's state, such
// as lenses or processes) until it holds or the deadline passes. Each
// round waits for the editor's next state change or 20ms, whichever
// comes first.
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	for i := 0; ; i++ {
		if cond() {
			return
		}
		ctx, cancel := context.WithTimeout(e.ctx, 20*time.Millisecond)
		before := e.State().Publishes + len(e.State().Logs) + e.State().LensRefreshes
		_ = e.Await(ctx, what, func(s *lsptest.State) bool {
			return s.Publishes+len(s.Logs)+s.LensRefreshes != before
		})
		cancel()
		if e.ctx.Err() != nil {
			e.t.Fatalf("timed out waiting for %s; state:\n%s", what, e.State().Summary())
		}
	}
}

// childPIDs lists the live (non-zombie) child processes of this test
// process (Linux only; nil elsewhere).
func childPIDs(t *testing.T) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var out []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		s := string(data)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 || fields[0] == "Z" {
			continue
		}
		if ppid, _ := strconv.Atoi(fields[1]); ppid == self {
			out = append(out, pid)
		}
	}
	return out
}
