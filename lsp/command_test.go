package lsp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/lsp/command"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
	"github.com/lambdalens/lambdalens/runtimes"
)

// run executes a lens's command.
func (e *env) run(l protocol.CodeLens) json.RawMessage {
	e.t.Helper()
	res, err := e.ExecuteCommand(e.ctx, *l.Command)
	e.must(err)
	return res
}

var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// httpGet fetches url and returns the body (bounded by the test's context).
func (e *env) httpGet(url string) (int, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, url, nil)
	e.must(err)
	res, err := http.DefaultClient.Do(req)
	e.must(err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	e.must(err)
	return res.StatusCode, string(body)
}

func TestDevServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go function")
	}
	// Occupy a port: the dev server must move to the next one and say so.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port
	o := testOpts{
		cfg: lsp.Config{Runtimes: realRuntimes()},
		editor: lsptest.Options{ShowDocument: true, CodeLensRefresh: true, InitializationOptions: map[string]any{
			"diagnosticsDelay": "1ms", "devListen": "127.0.0.1:" + strconv.Itoa(busyPort),
		}},
	}
	runTest(t, goFunction, o, func(e *env) {
		e.run(e.lens("api/hello.go", "▶ Run dev server"))
		e.await("the dev server's URL", func(s *lsptest.State) bool { return s.ShownContaining("running at") != nil })
		base := urlRE.FindString(e.State().ShownContaining("running at").Message)
		if base == "" || strings.HasSuffix(base, ":"+strconv.Itoa(busyPort)) {
			t.Fatalf("dev server URL %q: want one on another port than the busy %d", base, busyPort)
		}
		if e.State().ShownContaining(fmt.Sprintf("port %d is in use", busyPort)) == nil {
			t.Errorf("no message about the busy port; state:\n%s", e.State().Summary())
		}
		e.await("a lens refresh", func(s *lsptest.State) bool { return s.LensRefreshes > 0 })
		want := []string{"● " + base + "/api/hello", "■ Stop dev server", "Build for Lambda"}
		if got := e.lenses("api/hello.go"); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("lenses while running = %q, want %q", got, want)
		}

		status, body := e.httpGet(base + "/api/hello")
		if status != 200 || body != "hello" {
			t.Fatalf("GET /api/hello = %d %q, want 200 hello", status, body)
		}
		e.await("the request log", func(s *lsptest.State) bool { return s.LogContaining("GET /api/hello → api/hello 200") })

		// The hover shows the live URL.
		e.open("api/hello.go")
		text, _ := e.BufferText("api/hello.go")
		if h, err := e.Hover(e.ctx, "api/hello.go", strings.Index(text, "Hello(")); err != nil || h == nil || !strings.Contains(h.Contents.Value, "Dev: "+base+"/api/hello") {
			t.Errorf("hover while running = %+v, %v", h, err)
		}

		// Starting again reuses the server.
		_, err := e.ExecuteCommand(e.ctx, command.NewDevStartCommand("", command.DevStartArgs{}))
		e.must(err)
		e.await("reuse", func(s *lsptest.State) bool { return s.ShownContaining("already running at "+base) != nil })

		// The URL lens opens the function's URL.
		e.run(e.lens("api/hello.go", "● "))
		e.await("showDocument", func(s *lsptest.State) bool {
			return len(s.ShowDocuments) == 1 && s.ShowDocuments[0] == base+"/api/hello"
		})

		// A compile error (made outside the editor) is a diagnostic on its
		// line, and goes away when fixed.
		path := e.Path("api/hello.go")
		good, _ := os.ReadFile(path)
		bad := strings.Replace(string(good), `w.Write([]byte("hello"))`, `w.Write([]byte("hello"))
	undefinedThing()`, 1)
		e.must(os.WriteFile(path, []byte(bad), 0o644))
		e.await("the compile error", func(s *lsptest.State) bool {
			for _, d := range s.Diagnostics["api/hello.go"].Diagnostics {
				if d.Range.Start.Line == 6 && strings.Contains(d.Message, "undefinedThing") {
					return true
				}
			}
			return false
		})
		e.must(os.WriteFile(path, good, 0o644))
		e.await("the compile error cleared", func(s *lsptest.State) bool { return s.NoDiagnostics("api/hello.go") })
		status, body = e.httpGet(base + "/api/hello")
		if status != 200 || body != "hello" {
			t.Errorf("GET /api/hello after the fix = %d %q", status, body)
		}

		if len(childPIDs(t)) == 0 {
			t.Error("no function process is running while the dev server serves")
		}
		e.run(e.lens("api/hello.go", "■ Stop dev server"))
		e.await("stopped", func(s *lsptest.State) bool { return s.ShownContaining("lambdalens dev: stopped") != nil })
		if got := e.lenses("api/hello.go"); got[0] != "▶ Run dev server" {
			t.Errorf("lenses after stop = %q", got)
		}
		e.eventually("no child process", func() bool { return len(childPIDs(t)) == 0 })

		// Running at shutdown: the session stops it.
		e.run(e.lens("api/hello.go", "▶ Run dev server"))
		e.await("restarted", func(s *lsptest.State) bool {
			return len(s.Shown) > 0 && strings.Contains(s.Shown[len(s.Shown)-1].Message, "running at")
		})
		base = urlRE.FindString(e.State().Shown[len(e.State().Shown)-1].Message)
		if status, _ := e.httpGet(base + "/api/hello"); status != 200 {
			t.Errorf("GET after restart = %d", status)
		}
	})
	if pids := childPIDs(t); len(pids) != 0 {
		t.Errorf("child processes left after shutdown: %v", pids)
	}
}

func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Go function")
	}
	// No type check on save: the build's own diagnostic is what is
	// tested, and the same error from a type check would be shown instead
	// of it (TestMergedShowsAnErrorOnce).
	o := testOpts{cfg: lsp.Config{Runtimes: realRuntimes()}, editor: lsptest.Options{WorkDoneProgress: true,
		InitializationOptions: map[string]any{"typeCheckOnSave": false}}}
	runTest(t, goFunction, o, func(e *env) {
		e.run(e.lens("api/hello.go", "Build for Lambda"))
		e.await("the build", func(s *lsptest.State) bool { return s.ProgressEnded("Building for Lambda") != nil })
		st := e.State()
		if end := st.ProgressEnded("Building for Lambda"); end.Message != "completed" {
			t.Fatalf("build ended %q; state:\n%s", end.Message, st.Summary())
		}
		e.await("the result message", func(s *lsptest.State) bool { return s.ShownContaining("built 1 function into .vercel/output") != nil })
		st = e.State()
		if m := st.ShownContaining("api/hello ("); m == nil || !strings.Contains(m.Message, "MB") {
			t.Errorf("result message lacks the function's size: %+v", m)
		}
		var reported bool
		for _, p := range st.Progress {
			if p.Kind == "begin" && !p.Cancellable {
				t.Errorf("the build's progress is not cancellable: %+v", p)
			}
			reported = reported || p.Kind == "report" && strings.Contains(p.Message, "(1 of 1)")
		}
		if !reported {
			t.Errorf("no 'n of m' progress report:\n%s", st.Summary())
		}
		for _, f := range []string{".vercel/output/config.json", ".vercel/output/functions/api/hello.func/.vc-config.json"} {
			if _, err := os.Stat(e.Path(f)); err != nil {
				t.Errorf("build output: %v", err)
			}
		}

		// A failing build: the errors become diagnostics.
		e.open("api/hello.go")
		e.replace("api/hello.go", `w.Write\(\[\]byte\("hello"\)\)`, `w.Write(42)`)
		e.must(e.SaveFile(e.ctx, "api/hello.go"))
		// The request carries a workDoneToken, which is valid only until
		// the answer: the build reports under a token of the server's.
		_, err := e.ExecuteCommandWithToken(e.ctx, command.NewBuildCommand("", command.BuildArgs{}), "client-tok")
		e.must(err)
		e.await("the failure", func(s *lsptest.State) bool { return s.ShownContaining("failed to build") != nil })
		for _, p := range e.State().Progress {
			if p.Token == "client-tok" {
				t.Errorf("progress sent on the client's token after the answer: %+v", p)
			}
		}
		e.await("the compile error as a diagnostic", func(s *lsptest.State) bool {
			for _, d := range s.Diagnostics["api/hello.go"].Diagnostics {
				if d.Range.Start.Line == 5 && d.Severity == protocol.DiagnosticSeverityError && d.Code != "go-type-error" {
					return true
				}
			}
			return false
		})
		if m := e.State().ShownContaining("failed to build"); m.Type != protocol.MessageTypeError || !strings.Contains(m.Message, "1 of 1 function failed") {
			t.Errorf("failure message = %+v", m)
		}
		if _, err := os.Stat(e.Path(".vercel/output/functions/api/hello.func")); err != nil {
			t.Errorf("the failed build did not keep the previous output: %v", err)
		}
	})
}

// blockingRuntime is a Go runtime whose builds wait until cancelled.
type blockingRuntime struct{ started chan struct{} }

func (r *blockingRuntime) Language() runtimes.Language { return runtimes.Go }
func (r *blockingRuntime) StartDev(context.Context, runtimes.DevRequest) (runtimes.DevProcess, error) {
	return nil, errors.New("blockingRuntime does not run")
}
func (r *blockingRuntime) Inputs(context.Context, runtimes.InputsRequest) (runtimes.Inputs, error) {
	return runtimes.Inputs{}, nil
}
func (r *blockingRuntime) Build(ctx context.Context, _ runtimes.BuildRequest) (*runtimes.Artifact, error) {
	select {
	case r.started <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}
func (r *blockingRuntime) CacheKey(context.Context, runtimes.BuildRequest) (string, error) {
	return strconv.FormatInt(time.Now().UnixNano(), 16), nil
}

func TestBuildCancel(t *testing.T) {
	rt := &blockingRuntime{started: make(chan struct{}, 1)}
	o := testOpts{
		cfg:    lsp.Config{Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: rt}},
		editor: lsptest.Options{WorkDoneProgress: true},
	}
	runTest(t, goFunction, o, func(e *env) {
		// From the progress's cancel button.
		_, err := e.ExecuteCommand(e.ctx, command.NewBuildCommand("", command.BuildArgs{}))
		e.must(err)
		select {
		case <-rt.started:
		case <-e.ctx.Done():
			t.Fatal("the build did not start")
		}
		var token string
		e.await("a cancellable progress", func(s *lsptest.State) bool {
			for _, p := range s.Progress {
				if p.Kind == "begin" && p.Cancellable {
					token = p.Token
					return true
				}
			}
			return false
		})
		// A second build while one runs is refused.
		_, err = e.ExecuteCommand(e.ctx, command.NewBuildCommand("", command.BuildArgs{}))
		e.must(err)
		e.await("the refusal", func(s *lsptest.State) bool { return s.ShownContaining("already running") != nil })

		e.must(e.CancelProgress(e.ctx, token))
		e.await("cancelled", func(s *lsptest.State) bool { return s.ShownContaining("was cancelled") != nil })
		if end := e.State().ProgressEnded("Building for Lambda"); end == nil || end.Message != "cancelled" {
			t.Errorf("progress end = %+v, want cancelled", end)
		}
		// Published before the message: a cancelled build says nothing
		// about the code.
		for file, fd := range e.State().Diagnostics {
			for _, d := range fd.Diagnostics {
				if strings.Contains(d.Message, "context canceled") {
					t.Errorf("%s: a diagnostic from the cancellation: %s", file, d.Message)
				}
			}
		}

		// From lambdalens.build.cancel.
		before := len(e.State().Shown)
		_, err = e.ExecuteCommand(e.ctx, command.NewBuildCommand("", command.BuildArgs{Function: "api/hello"}))
		e.must(err)
		select {
		case <-rt.started:
		case <-e.ctx.Done():
			t.Fatal("the second build did not start")
		}
		_, err = e.ExecuteCommand(e.ctx, command.NewBuildCancelCommand("", command.BuildCancelArgs{}))
		e.must(err)
		e.await("cancelled again", func(s *lsptest.State) bool {
			return len(s.Shown) > before && strings.Contains(s.Shown[len(s.Shown)-1].Message, "the build of api/hello was cancelled")
		})
	})
}

// Issue (review C, bug 3): a build asked for right after cancelling one
// starts once the cancelled one has ended, instead of being refused as
// "already running".
func TestBuildAgainAfterCancel(t *testing.T) {
	rt := &blockingRuntime{started: make(chan struct{}, 1)}
	o := testOpts{cfg: lsp.Config{Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: rt}}}
	runTest(t, goFunction, o, func(e *env) {
		build := command.NewBuildCommand("", command.BuildArgs{})
		_, err := e.ExecuteCommand(e.ctx, build)
		e.must(err)
		select {
		case <-rt.started:
		case <-e.ctx.Done():
			t.Fatal("the build did not start")
		}
		_, err = e.ExecuteCommand(e.ctx, command.NewBuildCancelCommand("", command.BuildCancelArgs{}))
		e.must(err)
		_, err = e.ExecuteCommand(e.ctx, build)
		e.must(err)
		started := false
		e.eventually("the second build to start (or be refused)", func() bool {
			select {
			case <-rt.started:
				started = true
				return true
			default:
			}
			return e.State().ShownContaining("already running") != nil
		})
		if !started {
			t.Fatalf("the build after a cancelled one was refused:\n%s", e.State().Summary())
		}
		e.await("the first build's end", func(s *lsptest.State) bool { return s.ShownContaining("was cancelled") != nil })
	})
}

func TestCommandErrors(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		for _, tc := range []struct {
			cmd  protocol.Command
			want error
		}{
			{protocol.Command{Command: "lambdalens.nope"}, jsonrpc2.ErrMethodNotFound},
			{protocol.Command{Command: "lambdalens.build", Arguments: []any{map[string]any{"functoin": "x"}}}, jsonrpc2.ErrInvalidParams},
			{protocol.Command{Command: "lambdalens.build", Arguments: []any{1, 2}}, jsonrpc2.ErrInvalidParams},
			{protocol.Command{Command: "lambdalens.dev.start", Arguments: []any{map[string]any{"uri": "file:///elsewhere"}}}, jsonrpc2.ErrInvalidParams},
		} {
			_, err := e.ExecuteCommand(e.ctx, tc.cmd)
			var werr *jsonrpc2.Error
			if !errors.As(err, &werr) || werr.Code != tc.want.(*jsonrpc2.Error).Code {
				t.Errorf("%s %v: error %v, want code %d", tc.cmd.Command, tc.cmd.Arguments, err, tc.want.(*jsonrpc2.Error).Code)
			}
		}
		// The answer keeps the server's explanation, not only the code's.
		_, err := e.ExecuteCommand(e.ctx, protocol.Command{Command: "lambdalens.dev.start", Arguments: []any{map[string]any{"uri": "file:///elsewhere"}}})
		if err == nil || !strings.Contains(err.Error(), "no workspace folder holds") {
			t.Errorf("dev.start outside the workspace: error %v, want the explanation", err)
		}
		// Without runtimes, dev and build explain why they cannot run.
		_, err = e.ExecuteCommand(e.ctx, command.NewDevStartCommand("", command.DevStartArgs{}))
		e.must(err)
		_, err = e.ExecuteCommand(e.ctx, command.NewBuildCommand("", command.BuildArgs{}))
		e.must(err)
		e.await("the explanations", func(s *lsptest.State) bool {
			return s.ShownContaining("lambdalens dev: no language runtime") != nil && s.ShownContaining("lambdalens build: no language runtime") != nil
		})
	})
}

func TestInspect(t *testing.T) {
	runTest(t, lensProject, testOpts{}, func(e *env) {
		raw, err := e.ExecuteCommand(e.ctx, command.NewInspectCommand("", command.InspectArgs{URI: string(e.URI("api/hello.py"))}))
		e.must(err)
		var res command.InspectResult
		e.must(json.Unmarshal(raw, &res))
		if res.Root != e.Dir() || len(res.Functions) != 2 {
			t.Fatalf("inspect = %+v", res)
		}
		fn := res.Functions[1]
		if fn.ID != "api/users/[id]" || fn.Memory != 512 || fn.Architecture != "arm64" || fn.Route != "/api/users/[id]" {
			t.Errorf("function = %+v", fn)
		}
	})
}

// inspect runs lambdalens.inspect on the workspace.
func (e *env) inspect() command.InspectResult {
	e.t.Helper()
	raw, err := e.ExecuteCommand(e.ctx, command.NewInspectCommand("", command.InspectArgs{}))
	e.must(err)
	var res command.InspectResult
	e.must(json.Unmarshal(raw, &res))
	return res
}

// heldDevStarts returns a config whose dev server starts wait, once in
// progress, until release is closed; entered receives once per start.
func heldDevStarts() (cfg lsp.Config, entered <-chan struct{}, release chan struct{}) {
	in := make(chan struct{}, 4)
	release = make(chan struct{})
	cfg = lsp.WithBeforeDevStart(lsp.Config{Runtimes: realRuntimes()}, func(ctx context.Context) {
		in <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
	return cfg, in, release
}

// waitFor receives from ch, failing the test at its deadline.
func (e *env) waitFor(what string, ch <-chan struct{}) {
	e.t.Helper()
	select {
	case <-ch:
	case <-e.ctx.Done():
		e.t.Fatalf("timed out waiting for %s", what)
	}
}

// lambdalens.inspect says whether the dev server is stopped, starting or
// running: dev.start replies before the start ends, so without devState a
// client cannot tell a start in progress from one that failed.
func TestInspectDevState(t *testing.T) {
	t.Run("starting then running", func(t *testing.T) {
		cfg, entered, release := heldDevStarts()
		o := testOpts{cfg: cfg, editor: lsptest.Options{InitializationOptions: map[string]any{
			"diagnosticsDelay": "1ms", "devListen": "127.0.0.1:0",
		}}}
		runTest(t, goFunction, o, func(e *env) {
			if got := e.inspect(); got.DevState != command.DevStopped || got.DevURL != "" {
				t.Fatalf("before the start: devState %q, devUrl %q; want stopped and no URL", got.DevState, got.DevURL)
			}
			_, err := e.ExecuteCommand(e.ctx, command.NewDevStartCommand("", command.DevStartArgs{}))
			e.must(err)
			e.waitFor("the start to begin", entered)
			if got := e.inspect(); got.DevState != command.DevStarting || got.DevURL != "" {
				t.Errorf("while starting: devState %q, devUrl %q; want starting and no URL", got.DevState, got.DevURL)
			}
			close(release)
			e.await("the dev server's URL", func(s *lsptest.State) bool { return s.ShownContaining("running at") != nil })
			base := urlRE.FindString(e.State().ShownContaining("running at").Message)
			if got := e.inspect(); got.DevState != command.DevRunning || got.DevURL != base {
				t.Errorf("running: devState %q, devUrl %q; want running at %s", got.DevState, got.DevURL, base)
			}
			_, err = e.ExecuteCommand(e.ctx, command.NewDevStopCommand("", command.DevStopArgs{}))
			e.must(err)
			e.await("stopped", func(s *lsptest.State) bool { return s.ShownContaining("lambdalens dev: stopped") != nil })
			if got := e.inspect(); got.DevState != command.DevStopped || got.DevURL != "" {
				t.Errorf("after stop: devState %q, devUrl %q; want stopped and no URL", got.DevState, got.DevURL)
			}
		})
	})
	t.Run("stopped after a failed start", func(t *testing.T) {
		cfg, entered, release := heldDevStarts()
		// 192.0.2.1 (TEST-NET-1) is no address of this machine: listening
		// fails with "cannot assign requested address".
		o := testOpts{cfg: cfg, editor: lsptest.Options{InitializationOptions: map[string]any{
			"diagnosticsDelay": "1ms", "devListen": "192.0.2.1:3000",
		}}}
		runTest(t, goFunction, o, func(e *env) {
			_, err := e.ExecuteCommand(e.ctx, command.NewDevStartCommand("", command.DevStartArgs{}))
			e.must(err)
			e.waitFor("the start to begin", entered)
			if got := e.inspect(); got.DevState != command.DevStarting {
				t.Errorf("while starting: devState %q, want starting", got.DevState)
			}
			close(release)
			e.await("the start's error", func(s *lsptest.State) bool {
				m := s.ShownContaining("lambdalens dev: starting the dev server")
				return m != nil && m.Type == protocol.MessageTypeError
			})
			if got := e.inspect(); got.DevState != command.DevStopped || got.DevURL != "" {
				t.Errorf("after the failed start: devState %q, devUrl %q; want stopped and no URL", got.DevState, got.DevURL)
			}
		})
	})
}

// The generated commands are the ones the server declares.
func TestDeclaredCommands(t *testing.T) {
	runTest(t, goFunction, testOpts{noInit: true}, func(e *env) {
		res, err := e.Initialize(e.ctx)
		e.must(err)
		got := res.Capabilities.ExecuteCommandProvider.Commands
		if strings.Join(got, ",") != strings.Join(command.IDs(), ",") || len(got) != 6 {
			t.Errorf("declared commands = %v, want %v", got, command.IDs())
		}
		data, err := os.ReadFile(filepath.Join("commands.json"))
		e.must(err)
		var list []struct{ ID string }
		e.must(json.Unmarshal(data, &list))
		if len(list) != len(got) {
			t.Errorf("commands.json lists %d commands, the server %d", len(list), len(got))
		}
	})
}

// A build error in a file two functions compile is shown once, and goes
// when the file is deleted (not at the next build).
func TestBuildDiagnosticsOnceAndGoneWithTheFile(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go functions")
	}
	const archive = `
-- go.mod --
module example.com/app

go 1.22
-- api/a.go --
package handler

import "net/http"

func A(w http.ResponseWriter, r *http.Request) { w.Write([]byte("a")) }
-- api/b.go --
package handler

import "net/http"

func B(w http.ResponseWriter, r *http.Request) { w.Write([]byte("b")) }
-- api/shared.go --
package handler

var n int = "x"
`
	o := testOpts{cfg: lsp.Config{Runtimes: realRuntimes()}, editor: lsptest.Options{WorkDoneProgress: true}}
	runTest(t, archive, o, func(e *env) {
		_, err := e.ExecuteCommand(e.ctx, command.NewBuildCommand("", command.BuildArgs{}))
		e.must(err)
		e.await("the failure", func(s *lsptest.State) bool { return s.ShownContaining("failed to build") != nil })
		e.await("the build error on the shared file", func(s *lsptest.State) bool {
			return len(s.Diagnostics["api/shared.go"].Diagnostics) > 0
		})
		var errs int
		for _, d := range e.State().Diagnostics["api/shared.go"].Diagnostics {
			if d.Severity == protocol.DiagnosticSeverityError && d.Code != "go-type-error" {
				errs++
			}
		}
		if errs != 1 {
			t.Errorf("%d build errors on api/shared.go, want 1 (both functions compile it):\n%s", errs, e.State().Summary())
		}
		e.must(os.Remove(e.Path("api/shared.go")))
		e.must(e.ChangeWatchedFiles(e.ctx, protocol.FileChangeTypeDeleted, "api/shared.go"))
		e.await("the deleted file's diagnostics cleared", func(s *lsptest.State) bool {
			return len(s.Diagnostics["api/shared.go"].Diagnostics) == 0
		})
	})
}
