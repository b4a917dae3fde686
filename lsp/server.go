package lsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.uber.org/zap"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Config wires the language server into the program. The zero value works:
// diagnostics, lenses and hovers need nothing, and the dev and build
// commands then explain that no runtime is configured.
type Config struct {
	// Runtimes run dev processes and build functions, by language (the
	// CLI passes golang.Runtime and python.Runtime). Nil or empty: the
	// dev and build commands fail with a message saying so.
	Runtimes map[runtimes.Language]runtimes.Runtime
	// Logger receives the server's own log, with component=lsp. It must
	// not write to the protocol stream (stdout). Default: slog.Default().
	Logger *slog.Logger
	// Version is reported to the client as serverInfo.version. Default:
	// "devel".
	Version string
	// Settings are defaults applied before the client's settings (see
	// Settings for the keys), e.g. from command-line flags. Nil means the
	// built-in defaults.
	Settings map[string]any

	// beforeDevStart, when set, runs in a dev server start after the
	// folder is marked starting and before the dev server listens. A test
	// seam (export_test.go): it lets tests hold a start in progress.
	beforeDevStart func(ctx context.Context)
}

// ErrNoShutdown is returned (wrapped) by Run and Listen's sessions when the
// client went away or sent exit without asking for shutdown first. The LSP
// specification asks the server process to exit with status 1 then.
var ErrNoShutdown = errors.New("the client ended the session without a shutdown request")

// Timeouts of the end of a session.
const (
	// closeTimeout bounds stopping the dev servers and builds of a session.
	closeTimeout = 15 * time.Second
	// drainTimeout bounds waiting for the connection's read loop once its
	// input was closed.
	drainTimeout = 2 * time.Second
)

// stdio joins a reader and a writer into the io.ReadWriteCloser a stream
// needs. Close closes the reader when it can be closed (so a blocked read
// returns), never the writer.
type stdio struct {
	io.Reader
	io.Writer
}

func (s stdio) Close() error {
	if c, ok := s.Reader.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Run serves one client that speaks LSP over in and out (stdin and stdout
// for `lambdalens lsp`) until the client sends exit, in ends or ctx is
// cancelled. Before returning it stops every dev server and build the
// session started and waits for them, so no child process outlives it.
//
// It returns nil after an orderly shutdown and exit, an error wrapping
// ErrNoShutdown when the session ended otherwise, or ctx's error.
func Run(ctx context.Context, in io.Reader, out io.Writer, cfg Config) error {
	return serve(ctx, stdio{in, out}, cfg)
}

// Listen accepts clients on a TCP address ("127.0.0.1:4389"; for
// debugging with an editor that connects to a running server) and serves
// each in its own session, as Run does, until ctx is cancelled. It returns
// once every session has ended.
func Listen(ctx context.Context, addr string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening for LSP clients on %s: %w", addr, err)
	}
	return serveListener(ctx, ln, cfg)
}

// serveListener is Listen on an open listener; it closes ln.
func serveListener(ctx context.Context, ln net.Listener, cfg Config) error {
	log := logger(cfg)
	log.Info("listening for LSP clients", "addr", ln.Addr().String())
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ln.Close()
			return fmt.Errorf("accepting LSP clients on %s: %w", ln.Addr(), err)
		}
		wg.Go(func() {
			err := serve(ctx, c, cfg)
			log.Info("LSP session ended", "remote", c.RemoteAddr().String(), "err", err)
		})
	}
}

func logger(cfg Config) *slog.Logger { return baseLogger(cfg).With("component", "lsp") }

// baseLogger is Config.Logger or the default, without a component: the
// dev server and builds add their own.
func baseLogger(cfg Config) *slog.Logger {
	if cfg.Logger == nil {
		return slog.Default()
	}
	return cfg.Logger
}

// lifecycle is where a session is in LSP's initialize/shutdown protocol.
type lifecycle int

const (
	stateNew lifecycle = iota
	stateInitialized
	stateShutdown
)

// server is one LSP session. Its methods implement protocol.Server; every
// request handler returns quickly, and long work runs on goroutines
// started with goBackground, which the session joins before it ends.
type server struct {
	cfg    Config
	log    *slog.Logger
	conn   jsonrpc2.Conn
	client protocol.Client
	out    *outbox
	prog   *progressTracker

	// ctx lives until the session ends; background work derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	// bgMu guards closed against wg.Add: once closed is set, no
	// goroutine starts, so wg.Wait is final.
	bgMu   sync.Mutex
	closed bool
	wg     sync.WaitGroup

	// watchMu serializes changes of who watches files; watchMode is who
	// does (see watchModeOf), as last set up.
	watchMu   sync.Mutex
	watchMode string

	// ready is closed by initialized: no diagnostics are published before.
	ready     chan struct{}
	readyOnce sync.Once

	// mu guards the fields below, the documents, and each folder's
	// generation and snapshot (see folder).
	mu     sync.Mutex
	state  lifecycle
	exited bool
	// exitCh is closed by Exit: with stdio, closing the connection does not
	// unblock the reader (it sits in a read of stdin), so serve waits for
	// this too.
	exitCh   chan struct{}
	exitOnce sync.Once
	caps     clientCaps
	settings Settings
	// initSettings are the defaults with Config.Settings and
	// initializationOptions applied: what settings the client sends
	// later apply to.
	initSettings Settings
	folders      []*folder
	docs         map[string]*document // by absolute path
}

var _ protocol.Server = (*server)(nil)

func newServer(cfg Config) *server {
	if cfg.Version == "" {
		cfg.Version = "devel"
	}
	base := baseSettings(cfg)
	s := &server{
		cfg:          cfg,
		log:          logger(cfg),
		settings:     base,
		initSettings: base,
		docs:         map[string]*document{},
		ready:        make(chan struct{}),
		exitCh:       make(chan struct{}),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.out = newOutbox(s)
	s.prog = newProgressTracker(s)
	return s
}

// serve runs one session over rwc.
func serve(ctx context.Context, rwc io.ReadWriteCloser, cfg Config) error {
	s := newServer(cfg)
	conn := jsonrpc2.NewConn(newStream(rwc, s.log))
	s.conn = conn
	s.client = protocol.ClientDispatcher(conn, zap.NewNop())
	// Wire everything before the read loop starts: the first request may
	// arrive at once.
	s.goBackground("outbox", s.out.run)
	conn.Go(s.ctx, s.handler())

	select {
	case <-conn.Done():
	case <-ctx.Done():
	case <-s.exitCh:
	}
	s.end()
	conn.Close()
	s.mu.Lock()
	orderly := s.state == stateShutdown && s.exited
	s.mu.Unlock()
	if !orderly {
		select {
		case <-conn.Done():
		case <-time.After(drainTimeout):
			s.log.Warn("the connection's reader did not stop; abandoning it")
		}
	}

	switch {
	case orderly:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		if err := conn.Err(); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) && !errors.Is(err, net.ErrClosed) {
			return fmt.Errorf("serving LSP: %w (%w)", ErrNoShutdown, err)
		}
		return fmt.Errorf("serving LSP: %w", ErrNoShutdown)
	}
}

// end stops everything the session started (dev servers, builds, type
// checks, watchers, loads) and waits for it. It is idempotent.
func (s *server) end() {
	s.bgMu.Lock()
	s.closed = true
	s.bgMu.Unlock()
	s.cancel()

	s.mu.Lock()
	folders := append([]*folder(nil), s.folders...)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, f := range folders {
		wg.Go(func() { f.close(ctx) })
	}
	wg.Wait()
	s.wg.Wait()
}

// goBackground runs fn on a goroutine owned by the session (joined by end)
// and turns a panic into a log record. It reports false, without running
// fn, once the session is ending.
func (s *server) goBackground(name string, fn func(ctx context.Context)) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Go(func() {
		defer s.recoverBug(name)
		fn(s.ctx)
	})
	return true
}

// recoverBug is the one place a panic in the server becomes a log record
// (and a message in the editor's log) instead of a crash of the editor's
// language server. Call it deferred.
func (s *server) recoverBug(what string) {
	if r := recover(); r != nil {
		s.recoverBugValue(what, r)
	}
}

// recoverBugValue reports a recovered panic value r.
func (s *server) recoverBugValue(what string, r any) {
	s.log.Error("bug: panic", "in", what, "panic", r, "stack", string(debug.Stack()))
	s.logMessage(protocol.MessageTypeError, fmt.Sprintf("lambdalens: internal error in %s: %v (please report it)", what, r))
}

// markReady lets diagnostics flow (initialized has arrived).
func (s *server) markReady() { s.readyOnce.Do(func() { close(s.ready) }) }
