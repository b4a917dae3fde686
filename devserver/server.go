package devserver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// DefaultListen is the address the dev server listens on by default:
// loopback only, so that a dev server is never reachable from the network
// unless asked for.
const DefaultListen = "127.0.0.1:3000"

// portAttempts bounds how many ports above the requested one Start tries
// when it is taken.
const portAttempts = 100

// shutdownGrace bounds how long Close lets in-flight requests finish
// before it cuts them: long-lived streams (server-sent events) would
// otherwise hold a Ctrl-C for the caller's whole deadline.
const shutdownGrace = 3 * time.Second

// outputGrace bounds how long the output lines still waiting (up to
// batchDelay) may take to be written when the server stops or fails to
// start. It is their own budget, apart from the caller's context, which
// stopping the functions may have used up: only a terminal that nobody
// reads makes Close wait for it.
const outputGrace = time.Second

// Config configures a Server. Only Runtimes is required.
type Config struct {
	// Dir is the project directory. Default: the working directory.
	Dir string
	// Listen is "host:port", ":port" (every interface) or a bare port
	// (loopback). Default: DefaultListen. When the port is taken, the next
	// free port above it is used; port 0 picks any free port.
	Listen string
	// Prewarm starts every function at startup instead of on its first
	// request.
	Prewarm bool
	// Runtimes run the functions, by language. Functions of a language
	// missing here answer 502 with an explanation. Required: at least one.
	Runtimes map[runtimes.Language]runtimes.Runtime
	// Logger receives internal diagnostics (component=devserver). Default:
	// slog.Default().
	Logger *slog.Logger
	// Out receives the user-facing stream: one line per request, build
	// results, function output prefixed with the function's name, or, with
	// JSON, one Event per line. Nil discards it. Writes come from one
	// goroutine of the server, batched, so that no request waits for a
	// slow terminal; Close returns after the last one.
	Out io.Writer
	// JSON writes Events to Out as JSON lines instead of text.
	JSON bool
	// Color adds ANSI colours to the text on Out. The caller sets it when
	// Out is a terminal. Ignored with JSON.
	Color bool
	// Events, when not nil, is called synchronously with every Event (the
	// language server subscribes this way). It must return quickly and must
	// not call back into the Server.
	Events func(Event)
}

// Server is a running (or ready to run) dev server for one project.
type Server struct {
	cfg      Config
	root     string
	cacheDir string
	log      *slog.Logger
	out      *printer
	ids      requestIDs
	cache    *project.Cache
	imports  *importIndex

	// state is the current snapshot: routes, functions, static files, env.
	state atomic.Pointer[snapshot]

	proxy    *httputil.ReverseProxy // to function processes
	extProxy *httputil.ReverseProxy // to external rewrite targets

	// ctx lives until Close; background work (builds, drains) uses it.
	ctx    context.Context
	cancel context.CancelFunc

	// bgMu guards closed against wg.Add: once closed is set no background
	// goroutine starts, so wg.Wait in Close is final.
	bgMu   sync.Mutex
	closed bool
	wg     sync.WaitGroup

	ln        net.Listener
	httpSrv   *http.Server // serves the connections front hands off
	front     *front
	url       string
	hostPort  string
	port      string
	portValue []string // port, as a header value
	serveErr  chan error

	reloads *reloader
	// inputsJudged counts finished refreshInputs calls, for tests.
	inputsJudged atomic.Int64
	watcher      watch.Watcher
	// outside watches the folders outside the root that inputs name.
	outside   outsideWatch
	closeOnce sync.Once
	closeErr  error
	started   atomic.Bool
}

// New validates cfg and returns a Server that has not started yet.
func New(cfg Config) (*Server, error) {
	if len(cfg.Runtimes) == 0 {
		return nil, errors.New("creating dev server: Config.Runtimes is empty")
	}
	for lang, rt := range cfg.Runtimes {
		if rt == nil {
			return nil, fmt.Errorf("creating dev server: runtime for %s is nil", lang)
		}
	}
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	root, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("creating dev server for %s: %w", cfg.Dir, err)
	}
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("creating dev server: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("creating dev server: %s is not a directory", root)
	}
	// A project given through a symbolic link (a linked workspace folder)
	// is served and watched where it leads: the watcher does not enter a
	// link, and the tools report the paths they were run in.
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if _, _, err := splitListen(cfg.Listen); err != nil {
		return nil, fmt.Errorf("creating dev server: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:      cfg,
		root:     root,
		cacheDir: filepath.Join(root, ".vercel", "cache"),
		log:      cfg.Logger.With("component", "devserver"),
		out:      newPrinter(cfg.Events, cfg.Out, cfg.JSON, cfg.Color),
		ids:      newRequestIDs(),
		cache:    project.NewCache(),
		imports:  newImportIndex(),
		serveErr: make(chan error, 1),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.outside.s = s
	s.proxy, s.extProxy = s.newProxies()
	return s, nil
}

// URL is the server's base URL ("http://127.0.0.1:3000") once Start has
// returned.
func (s *Server) URL() string { return s.url }

// Start loads the project, binds the listener (trying the next ports when
// the requested one is taken), starts watching files and serving, and
// returns. ctx bounds only the startup.
func (s *Server) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("starting dev server: already started")
	}
	ln, err := listen(s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("starting dev server: %w", err)
	}
	s.ln = ln
	addr := ln.Addr().(*net.TCPAddr)
	if _, want, _ := splitListen(s.cfg.Listen); want != 0 && want != addr.Port {
		s.warn(fmt.Sprintf("port %d is in use; listening on %d instead", want, addr.Port))
	}
	s.port = strconv.Itoa(addr.Port)
	s.portValue = []string{s.port}
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	s.hostPort = net.JoinHostPort(host, s.port)
	s.url = "http://" + s.hostPort

	s.useWritableCache()
	snap, err := s.load(ctx, nil)
	if err != nil {
		return s.failStart(ctx, err)
	}
	s.state.Store(snap)
	s.reportLoad(snap, nil)

	s.reloads = newReloader(s)
	s.reloads.prime(s.root)
	w, err := watch.New(s.ctx, s.root, ignoreWatch, s.reloads.enqueue, s.log)
	polling := err != nil
	if polling {
		s.warn(fmt.Sprintf("file notifications unavailable (%v); polling for changes instead", err))
		w, err = watch.NewPoll(s.ctx, s.root, ignoreWatch, s.reloads.enqueue, s.log, 0)
	}
	if err != nil {
		return s.failStart(ctx, err)
	}
	if err := s.outside.start(polling); err != nil {
		w.Close()
		return s.failStart(ctx, err)
	}
	s.watcher = w
	s.goBackground("reload loop", s.reloads.run)

	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: frontHeaderTimeout,
		IdleTimeout:       frontIdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.front = newFront(s, s.httpSrv, ln.Addr(), s.log)
	s.goBackground("http server", func() {
		if err := s.front.serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- fmt.Errorf("serving %s: %w", s.url, err)
		}
	})
	s.out.emit(Event{Type: EventReady, URL: s.url})
	if s.cfg.Prewarm {
		for _, f := range snap.funcs {
			f.prewarm()
		}
	}
	return nil
}

// Run starts the server unless Start was called already, serves until ctx
// ends, then closes it (bounded by 10 s).
func (s *Server) Run(ctx context.Context) error {
	if !s.started.Load() {
		if err := s.Start(ctx); err != nil {
			return err
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-s.serveErr:
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return errors.Join(err, s.Close(cctx))
}

// Close stops serving (waiting for in-flight requests until ctx ends),
// stops the file watcher and every function process, and waits for every
// goroutine of the server. It is safe to call more than once.
func (s *Server) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Server) close(ctx context.Context) error {
	s.bgMu.Lock()
	s.closed = true
	s.bgMu.Unlock()

	var errs []error
	if s.watcher != nil {
		if err := s.watcher.Close(); err != nil {
			errs = append(errs, fmt.Errorf("closing file watcher: %w", err))
		}
	}
	if err := s.outside.close(); err != nil {
		errs = append(errs, fmt.Errorf("closing the watcher of folders outside the project: %w", err))
	}
	if s.front != nil {
		// Requests still running past the grace (streams) are cut.
		sctx, cancel := context.WithTimeout(ctx, shutdownGrace)
		s.front.shutdown(sctx, s.ln)
		cancel()
	} else if s.ln != nil {
		s.ln.Close()
	}
	s.cancel()
	var stops sync.WaitGroup
	if snap := s.state.Load(); snap != nil {
		for _, f := range snap.funcs {
			stops.Go(func() { f.shutdown(ctx) })
		}
	}
	stops.Wait()
	s.wg.Wait()
	// Close the kept-alive upstream connections (those of http.Transport, for
	// upgrades and streamed bodies, each hold two goroutines).
	for _, p := range []*httputil.ReverseProxy{s.proxy, s.extProxy} {
		if t, ok := p.Transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	}
	octx, cancel := outputContext(ctx)
	defer cancel()
	if err := s.out.close(octx); err != nil {
		errs = append(errs, fmt.Errorf("writing the last output lines: %w", err))
	}
	return errors.Join(errs...)
}

// outputContext is ctx's values with outputGrace to write the last
// output lines.
func outputContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), outputGrace)
}

// failStart closes the listener and writes the output lines printed so
// far (the loaded project, its diagnostics, warnings): the caller exits
// without Close.
func (s *Server) failStart(ctx context.Context, err error) error {
	s.ln.Close()
	octx, cancel := outputContext(ctx)
	defer cancel()
	_ = s.out.flush(octx) // the start error is the one to report
	return fmt.Errorf("starting dev server: %w", err)
}

// goBackground runs fn on a goroutine owned by the server (joined by
// Close), recovering and logging a panic. It reports false, without
// running fn, once Close has begun.
func (s *Server) goBackground(name string, fn func()) bool {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Go(func() {
		defer s.recoverPanic(name)
		fn()
	})
	return true
}

// recoverPanic is the one place background goroutines turn a panic into a
// log record instead of a crash of the whole dev server.
func (s *Server) recoverPanic(name string) {
	if r := recover(); r != nil {
		s.log.Error("bug: background task panicked", "task", name, "panic", r, "stack", string(debug.Stack()))
	}
}

func (s *Server) closing() bool { return s.ctx.Err() != nil }

// warn tells the user about a problem that does not stop the server.
func (s *Server) warn(msg string) {
	// The event is what the user reads (as text or JSON); the log has it
	// for --verbose, not a second time by default.
	s.log.Debug(msg)
	s.out.emit(Event{Type: EventWarning, Message: msg})
}

// useWritableCache makes sure the processes' scratch folder can be
// written: a project on a read-only disk (a mounted volume, a checkout in
// a read-only store) gets one in the user's cache folder, named by the
// project's path, instead of every function failing with "permission
// denied".
func (s *Server) useWritableCache() {
	err := os.MkdirAll(s.cacheDir, 0o755)
	if err == nil {
		// It may exist and be read-only: try a write.
		var probe string
		if probe, err = os.MkdirTemp(s.cacheDir, ".write-"); err == nil {
			os.Remove(probe)
			return
		}
	}
	base, uerr := os.UserCacheDir()
	if uerr != nil {
		base = os.TempDir()
	}
	sum := sha256.Sum256([]byte(s.root))
	alt := filepath.Join(base, "lambdalens", "dev", hex.EncodeToString(sum[:8]))
	if aerr := os.MkdirAll(alt, 0o755); aerr != nil {
		return // the first build says why it cannot write
	}
	s.warn(fmt.Sprintf("cannot write %s (%v); build caches go to %s", s.cacheDir, err, alt))
	s.cacheDir = alt
}

// splitListen parses Config.Listen.
func splitListen(listen string) (host string, port int, err error) {
	if p, err := strconv.Atoi(listen); err == nil {
		listen = "127.0.0.1:" + strconv.Itoa(p)
	}
	host, ps, err := net.SplitHostPort(listen)
	if err != nil {
		return "", 0, fmt.Errorf("parsing listen address %q: %w", listen, err)
	}
	port, err = strconv.Atoi(ps)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("parsing listen address %q: bad port %q", listen, ps)
	}
	return host, port, nil
}

// listen binds the address, moving up one port at a time while it is in
// use (as vercel dev does).
func listen(addr string) (net.Listener, error) {
	host, port, err := splitListen(addr)
	if err != nil {
		return nil, err
	}
	var lastErr error
	for i := 0; i < portAttempts; i++ {
		p := port + i
		if p > 65535 {
			break
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		lastErr = err
		if port == 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}
	return nil, fmt.Errorf("listening on %s: %w", addr, lastErr)
}
