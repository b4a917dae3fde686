package lsp_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/lsp/lsptest"
)

func TestBeforeInitialize(t *testing.T) {
	runTest(t, goFunction, testOpts{noInit: true}, func(e *env) {
		_, err := e.CodeLens(e.ctx, "api/hello.go")
		var werr *jsonrpc2.Error
		if !errors.As(err, &werr) || werr.Code != jsonrpc2.ServerNotInitialized {
			t.Errorf("codeLens before initialize: %v, want ServerNotInitialized", err)
		}
		if _, err := e.Initialize(e.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Initialize(e.ctx); err == nil {
			t.Error("a second initialize succeeded")
		}
	})
}

func TestAfterShutdown(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		e.must(e.Shutdown(e.ctx))
		_, err := e.CodeLens(e.ctx, "api/hello.go")
		var werr *jsonrpc2.Error
		if !errors.As(err, &werr) || werr.Code != jsonrpc2.InvalidRequest {
			t.Errorf("codeLens after shutdown: %v, want InvalidRequest", err)
		}
		_ = e.Exit(e.ctx)
		if err := e.runResult(); err != nil {
			t.Errorf("Run = %v after shutdown and exit", err)
		}
	})
}

// Exit without shutdown is an error for Run (exit status 1 in the CLI).
func TestExitWithoutShutdown(t *testing.T) {
	runTest(t, goFunction, testOpts{}, func(e *env) {
		_ = e.Exit(e.ctx)
		if err := e.runResult(); !errors.Is(err, lsp.ErrNoShutdown) {
			t.Errorf("Run = %v, want ErrNoShutdown", err)
		}
	})
}

// A client that dies (its end of the pipe closes) takes the dev server and
// its function processes with it.
func TestClientDies(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go function")
	}
	o := testOpts{cfg: lsp.Config{Runtimes: realRuntimes()}, editor: lsptest.Options{InitializationOptions: map[string]any{"devListen": "127.0.0.1:0"}}}
	runTest(t, goFunction, o, func(e *env) {
		e.run(e.lens("api/hello.go", "▶ Run dev server"))
		e.await("running", func(s *lsptest.State) bool { return s.ShownContaining("running at") != nil })
		base := urlRE.FindString(e.State().ShownContaining("running at").Message)
		if status, body := e.httpGet(base + "/api/hello"); status != 200 || body != "hello" {
			t.Fatalf("GET = %d %q", status, body)
		}
		if len(childPIDs(t)) == 0 {
			t.Fatal("no function process")
		}
		e.Close()
		if err := e.runResult(); !errors.Is(err, lsp.ErrNoShutdown) {
			t.Errorf("Run = %v, want ErrNoShutdown", err)
		}
		if pids := childPIDs(t); len(pids) != 0 {
			t.Errorf("child processes left: %v", pids)
		}
		if c, err := net.Dial("tcp", base[len("http://"):]); err == nil {
			c.Close()
			t.Errorf("the dev server still accepts connections at %s", base)
		}
	})
}

func TestListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout())
	defer cancel()
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- lsp.ServeListener(lctx, ln, lsp.Config{Logger: testLogger()}) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := lsptest.WriteTxtar(dir, goFunction); err != nil {
		t.Fatal(err)
	}
	e := lsptest.Connect(ctx, c, dir, lsptest.Options{})
	defer e.Close()
	res, err := e.Initialize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.ServerInfo == nil || res.ServerInfo.Name != "lambdalens" {
		t.Errorf("server info = %+v", res.ServerInfo)
	}
	lenses, err := e.CodeLens(ctx, "api/hello.go")
	if err != nil || len(lenses) != 2 {
		t.Errorf("lenses over TCP = %v, %v", lenses, err)
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Listen = %v after cancel", err)
	}
	select {
	case <-e.Done():
	case <-ctx.Done():
		t.Error("the session did not end with Listen")
	}
}

// The work-done progress capability is declared for commands, with the
// library's type extended.
func TestCapabilities(t *testing.T) {
	runTest(t, goFunction, testOpts{noInit: true}, func(e *env) {
		var raw map[string]any
		err := protocol.Call(e.ctx, e.Conn(), protocol.MethodInitialize, &protocol.InitializeParams{RootURI: e.URI("")}, &raw)
		e.must(err)
		e.must(e.Conn().Notify(e.ctx, protocol.MethodInitialized, &protocol.InitializedParams{}))
		caps := raw["capabilities"].(map[string]any)
		sync := caps["textDocumentSync"].(map[string]any)
		if sync["change"] != 2.0 || sync["openClose"] != true {
			t.Errorf("textDocumentSync = %v, want incremental", sync)
		}
		ec := caps["executeCommandProvider"].(map[string]any)
		// No workDoneProgress: commands answer at once and their work
		// reports under tokens of the server's (a client's token would
		// end with the answer).
		if ec["workDoneProgress"] == true || len(ec["commands"].([]any)) != 6 {
			t.Errorf("executeCommandProvider = %v", ec)
		}
		if caps["hoverProvider"] != true || caps["codeLensProvider"] == nil {
			t.Errorf("capabilities = %v", caps)
		}
	})
}

// A workspace folder of / is refused (a load would walk the whole disk);
// files opened later get the project around them.
func TestRootFolderRefused(t *testing.T) {
	o := testOpts{editor: lsptest.Options{Folders: []string{"/"}}}
	runTest(t, brokenProject, o, func(e *env) {
		e.await("the warning", func(s *lsptest.State) bool { return s.ShownContaining("/ is not a project folder") != nil })
		e.open("api/nohandler.py")
		e.await("the opened file's project", func(s *lsptest.State) bool { return s.HasDiagnostic("api/nohandler.py", "py-no-entrypoint") })
	})
}
