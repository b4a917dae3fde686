package lambdaloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	// llChildReadyTimeout bounds the wait for the server to accept
	// connections. Lambda's whole init phase is limited to 10 s.
	llChildReadyTimeout = 10 * time.Second
	// llChildPollInterval is the pause between two connection attempts.
	llChildPollInterval = 10 * time.Millisecond
	// llChildExitGrace is how long a proxy error waits for the child's exit
	// to be observed: a crashing server resets the connection a moment
	// before its exit status is collected.
	llChildExitGrace = time.Second
	// llChildStopGrace is how long the child gets between SIGTERM and
	// SIGKILL when the runtime exits.
	llChildStopGrace = 500 * time.Millisecond
)

// StartChild runs a Go standalone server as a Lambda function and never
// returns. path is the server's executable, relative to the directory of the
// running bootstrap unless absolute; args are its arguments.
//
// The server is started in its own process group with PORT set to a free
// port, and must accept connections on 127.0.0.1:$PORT within 10 s. Then
// every invocation is proxied to it (see Start for the invocation loop). If
// the server exits, the invocation in flight, if any, fails with a
// "Runtime.ChildExited" function error and the runtime exits; the server is
// killed whenever the runtime exits.
func StartChild(path string, args ...string) {
	p := llNewProcess()
	p.execWrapper()
	if p.api == nil {
		p.serve(nil, nil) // reports the missing Runtime API and exits
		return
	}
	c, fe := llStartChild(p.log, llChildPath(path), args, os.Environ())
	if fe != nil {
		p.initFailed(fe)
		return
	}
	p.onExit(c.stop)
	if fe := c.waitReady(context.Background(), llChildReadyTimeout); fe != nil {
		p.initFailed(fe)
		return
	}
	busy := new(sync.Mutex)
	// Both goroutines live as long as the process and end it.
	go p.exitWhenChildExits(c, busy)
	go p.exitOnSignal()
	p.serve(c.proxy(), busy)
}

// llChildPath resolves a server path relative to the bootstrap's directory.
func llChildPath(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	exe, err := os.Executable()
	if err != nil {
		return path
	}
	return filepath.Join(filepath.Dir(exe), path)
}

// llChild is the user's server process.
type llChild struct {
	log  *slog.Logger
	name string
	addr string // 127.0.0.1:<port>
	pid  int
	// done is closed once the process has exited; err is then Wait's
	// result.
	done chan struct{}
	err  error
}

// llStartChild starts the server with PORT set to a free port.
func llStartChild(log *slog.Logger, path string, args, environ []string) (*llChild, *llFunctionError) {
	port, err := llFreePort()
	if err != nil {
		return nil, &llFunctionError{Type: llErrTypeChildStart, Message: fmt.Sprintf("finding a free port for %s: %v", path, err)}
	}
	env := make([]string, 0, len(environ)+1)
	for _, kv := range environ {
		if !strings.HasPrefix(kv, "PORT=") {
			env = append(env, kv)
		}
	}
	env = append(env, "PORT="+strconv.Itoa(port))
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	llSetChildProcAttr(cmd)

	c := &llChild{
		log:  log,
		name: filepath.Base(path),
		addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		done: make(chan struct{}),
	}
	started := make(chan error, 1)
	// The goroutine that starts the child waits for it, locked to its OS
	// thread: the parent-death signal is tied to that thread. It ends when
	// the child exits; stop makes that happen.
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.pid = cmd.Process.Pid
		started <- nil
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, &llFunctionError{Type: llErrTypeChildStart, Message: fmt.Sprintf("starting %s: %v", path, err)}
	}
	log.Info("started the server process", "path", path, "pid", c.pid, "addr", c.addr)
	return c, nil
}

func llFreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// exited tells whether the child has exited.
func (c *llChild) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady polls until the child accepts a connection, exits, or timeout
// passes.
func (c *llChild) waitReady(ctx context.Context, timeout time.Duration) *llFunctionError {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(llChildPollInterval)
	defer tick.Stop()
	var d net.Dialer
	for {
		conn, err := d.DialContext(ctx, "tcp", c.addr)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-c.done:
			return &llFunctionError{Type: llErrTypeChildExited, Message: fmt.Sprintf("%s exited before listening on %s: %v (its output is in the function log)", c.name, c.addr, c.err)}
		case <-ctx.Done():
			c.stop()
			return &llFunctionError{Type: llErrTypeChildNotReady, Message: fmt.Sprintf("%s did not accept connections on %s (from $PORT) within %s: %v", c.name, c.addr, timeout, err)}
		case <-tick.C:
		}
	}
}

// stop ends the child's process group: SIGTERM, then SIGKILL after a grace
// period, and waits for the child to be reaped (bounded).
func (c *llChild) stop() {
	if !c.exited() {
		if err := llSignalGroup(c.pid, llSigTerm); err != nil {
			c.log.Warn("signalling the server process group", "pid", c.pid, "error", err)
		}
		t := time.NewTimer(llChildStopGrace)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
	// Whatever is left of the group (the server's own children) goes too.
	_ = llSignalGroup(c.pid, llSigKill)
	t := time.NewTimer(llChildStopGrace)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.log.Warn("the server process did not exit after SIGKILL", "pid", c.pid)
	}
}

// proxy forwards requests to the child.
func (c *llChild) proxy() http.Handler {
	target := &url.URL{Scheme: "http", Host: c.addr}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			// The platform's forwarding headers describe the real client
			// better than our in-process hop does.
			for _, h := range []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto"} {
				if vs := pr.In.Header.Values(h); len(vs) > 0 {
					pr.Out.Header[h] = vs
				}
			}
			pr.Out.Host = pr.In.Host
		},
		Transport: &http.Transport{
			Proxy:              nil,
			DialContext:        (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			DisableCompression: true,
			MaxIdleConns:       8,
			IdleConnTimeout:    90 * time.Second,
		},
		// ReverseProxy reports a failure after the response began only by
		// panicking inside a net/http server; here a broken body must fail
		// the invocation instead of answering with what arrived.
		ModifyResponse: func(res *http.Response) error {
			res.Body = &llChildBody{ReadCloser: res.Body, c: c, req: res.Request}
			return nil
		},
		ErrorHandler: c.proxyError,
		ErrorLog:     slog.NewLogLogger(c.log.Handler(), slog.LevelError),
	}
}

// llChildBody is the body of a response from the child: a read that fails
// before the end fails the invocation.
type llChildBody struct {
	io.ReadCloser
	c   *llChild
	req *http.Request
}

func (b *llChildBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		fe, exit := b.c.failure(b.req, fmt.Errorf("reading the response body: %w", err))
		llFailInvocation(b.req.Context(), fe, exit)
	}
	return n, err
}

// proxyError turns a failure to reach the child into a function error; the
// process exits after reporting it when the child is gone.
func (c *llChild) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	fe, exit := c.failure(r, err)
	if !llFailInvocation(r.Context(), fe, exit) {
		http.Error(w, fe.Message, http.StatusBadGateway)
	}
}

// failure classifies an error proxying r: the invocation ran out of time,
// the child exited (then the process should exit too), or the proxying
// itself failed.
func (c *llChild) failure(r *http.Request, err error) (fe *llFunctionError, exit bool) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		fe = &llFunctionError{Type: llErrTypeProxy, Message: fmt.Sprintf("proxying %s %s to %s: the invocation ended first: %v", r.Method, r.URL.Path, c.name, err)}
	} else {
		t := time.NewTimer(llChildExitGrace)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		if c.exited() {
			fe = &llFunctionError{Type: llErrTypeChildExited, Message: fmt.Sprintf("%s exited (%v) while serving %s %s", c.name, c.err, r.Method, r.URL.Path)}
			exit = true
		} else {
			fe = &llFunctionError{Type: llErrTypeProxy, Message: fmt.Sprintf("proxying %s %s to %s: %v", r.Method, r.URL.Path, c.name, err)}
		}
	}
	return fe, exit
}

// exitWhenChildExits ends the process once the child has exited and no
// invocation is in flight (one in flight reports the failure first).
func (p *llProcess) exitWhenChildExits(c *llChild, busy *sync.Mutex) {
	<-c.done
	busy.Lock()
	p.log.Error("the server process exited; exiting", "server", c.name, "error", c.err)
	p.exit(1)
}

// exitOnSignal stops the child and exits on SIGTERM or SIGINT.
func (p *llProcess) exitOnSignal() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, llTerminationSignals...)
	s := <-sigs
	p.log.Info("stopping on signal", "signal", s.String())
	p.exit(0)
}
