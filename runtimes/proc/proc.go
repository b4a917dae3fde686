package proc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PortMode says how a child reports the port it listens on.
type PortMode int

const (
	// PortFD3: the child writes ASCII digits to fd 3 and then closes it; the
	// port-file environment variables are also set as a fallback.
	PortFD3 PortMode = iota
	// PortFile: only the port file (platforms without fd inheritance).
	PortFile
	// PortEnv: the parent picks a free port, passes PORT=<n> and waits until
	// 127.0.0.1:<n> accepts connections.
	PortEnv
)

func (m PortMode) String() string {
	switch m {
	case PortFD3:
		return "fd3"
	case PortFile:
		return "port-file"
	case PortEnv:
		return "PORT"
	}
	return fmt.Sprintf("PortMode(%d)", int(m))
}

// PortFileEnv names the file a child writes its port to (PortFD3 and
// PortFile modes).
const PortFileEnv = "LAMBDALENS_DEV_PORT_FILE"

// VercelPortFileEnv is set to the same path as PortFileEnv, for children
// written for Vercel's dev servers.
const VercelPortFileEnv = "VERCEL_DEV_PORT_FILE"

// Defaults for Config.
const (
	DefaultReadyTimeout = 30 * time.Second
	DefaultGracePeriod  = 2 * time.Second
	// stderrLines is how many trailing stderr lines errors carry.
	stderrLines = 40
)

// Config describes a child process to start.
type Config struct {
	// Name is shown in errors and logs, e.g. "api/hello.go". Default: Path.
	Name string
	// Path is the executable. Required.
	Path string
	// Args are the arguments after Path.
	Args []string
	// Dir is the working directory. Default: the current directory.
	Dir string
	// Env is the complete environment, KEY=VALUE. PORT or the port-file
	// variables are appended. Nil means os.Environ().
	Env []string
	// Stdout and Stderr receive the child's output; nil discards it. The
	// last 40 stderr lines are also kept for errors and LastStderr. Write
	// errors are ignored so that a broken writer never blocks the child.
	Stdout, Stderr io.Writer
	// Port says how the child reports its port. Default: PortFD3.
	Port PortMode
	// ReadyTimeout bounds the wait for the port. Default: 30s.
	ReadyTimeout time.Duration
	// GracePeriod is the time between SIGINT and SIGKILL of the process
	// group in Stop. Default: 2s.
	GracePeriod time.Duration
	// Logger defaults to slog.Default() with component=proc.
	Logger *slog.Logger
	// ExtraFiles are passed to the child as file descriptors 4 onwards,
	// after the fd 3 pipe. They are passed only where children inherit
	// descriptors and Port is PortFD3 (ExtraPassed tells); the caller
	// keeps them and closes them once Start returned.
	ExtraFiles []*os.File
	// OnExit, if set, is called once the started child has exited, before
	// Done is closed (not when Start fails before the child runs): the
	// place to release what belongs to the child's lifetime.
	OnExit func()
}

// ExtraPassed reports whether Start passes cfg.ExtraFiles to the child.
func (cfg Config) ExtraPassed() bool { return fd3Supported && cfg.Port == PortFD3 }

// Process is a running child. It implements runtimes.DevProcess.
type Process struct {
	name   string
	cmd    *exec.Cmd
	addr   string
	grace  time.Duration
	log    *slog.Logger
	stderr *lineRing
	onExit func()

	cancel context.CancelFunc // ends the command's context: SIGINT to the group
	done   chan struct{}      // closed after Wait returned
	waited error              // Wait's result, set before done is closed
	byStop bool               // Stop was called before the child exited; set before done is closed

	stopOnce sync.Once
	stopped  chan struct{} // closed when Stop was first called
}

// StartError is returned by Start when the child exited, stayed silent or
// was abandoned before it reported its port.
type StartError struct {
	// Name is Config.Name.
	Name string
	// ExitCode is the child's exit status, or -1 when it did not exit by
	// itself (killed by a signal, or still running when we gave up).
	ExitCode int
	// Signal names the signal that ended the child ("killed"), if any.
	Signal string
	// Stderr holds the last stderr lines.
	Stderr string
	// Err is the underlying cause.
	Err error
}

func (e *StartError) Error() string {
	var b strings.Builder
	switch {
	case e.ExitCode >= 0:
		fmt.Fprintf(&b, "%s exited with status %d before reporting its port", e.Name, e.ExitCode)
	case e.Signal != "" && errors.Is(e.Err, errExited):
		fmt.Fprintf(&b, "%s was killed by signal %q before reporting its port", e.Name, e.Signal)
	default:
		fmt.Fprintf(&b, "starting %s: %v", e.Name, e.Err)
	}
	if e.Stderr != "" {
		b.WriteString(":\n")
		b.WriteString(e.Stderr)
	}
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }

// ExitError is Process.Err for a child that ended on its own (not through
// Stop) with a failure status or a signal.
type ExitError struct {
	Name     string
	ExitCode int    // -1 when killed by a signal
	Signal   string // signal name, if any
	Stderr   string // last stderr lines
	Err      error  // the *exec.ExitError or Wait error
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited: %v", e.Name, e.Err)
	if e.Stderr != "" {
		msg += ":\n" + e.Stderr
	}
	return msg
}

func (e *ExitError) Unwrap() error { return e.Err }

var errExited = errors.New("exited before reporting its port")

// Start starts the child in its own process group (Linux: Pdeathsig
// SIGKILL so it dies with us) and returns once it reported its port, or an
// error (*StartError) that includes the exit status and the last stderr
// lines if it exited or stayed silent. ctx bounds only the start; use Stop
// to end the process.
func Start(ctx context.Context, cfg Config) (*Process, error) {
	if cfg.Path == "" {
		return nil, errors.New("starting child process: Config.Path is empty")
	}
	name := cfg.Name
	if name == "" {
		name = cfg.Path
	}
	ready := cfg.ReadyTimeout
	if ready <= 0 {
		ready = DefaultReadyTimeout
	}
	grace := cfg.GracePeriod
	if grace <= 0 {
		grace = DefaultGracePeriod
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default().With("component", "proc")
	}
	logger = logger.With("child", name)
	mode := cfg.Port
	if mode == PortFD3 && !fd3Supported {
		mode = PortFile
	}

	env := cfg.Env
	if env == nil {
		env = os.Environ()
	}
	env = append([]string(nil), env...)

	w, err := newPortWaiter(mode)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	w.warn = func(msg string) { logger.Warn(name + ": " + msg) }
	defer w.cleanup()
	env = append(env, w.env...)

	life, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(life, cfg.Path, cfg.Args...)
	cmd.Dir = cfg.Dir
	cmd.Env = env
	cmd.SysProcAttr = sysProcAttr()
	ring := newLineRing(stderrLines)
	cmd.Stdout = quietWriter(cfg.Stdout)
	cmd.Stderr = io.MultiWriter(ring, quietWriter(cfg.Stderr))
	if w.fd3w != nil {
		cmd.ExtraFiles = append([]*os.File{w.fd3w}, cfg.ExtraFiles...)
	}
	cmd.Cancel = func() error { return signalGroup(cmd.Process, os.Interrupt) }
	// WaitDelay bounds how long Wait waits for the stdio pipes after the
	// child exited (a grandchild may hold them) and, after Stop, how long
	// the leader may ignore SIGINT before exec kills it.
	cmd.WaitDelay = grace

	p := &Process{
		name:    name,
		cmd:     cmd,
		grace:   grace,
		log:     logger,
		stderr:  ring,
		onExit:  cfg.OnExit,
		cancel:  cancel,
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	started := make(chan error, 1)
	go p.run(started)
	if err := <-started; err != nil {
		cancel()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	w.afterStart(cmd.Process.Pid)
	logger.Debug("child started", "pid", cmd.Process.Pid, "port_mode", mode.String())

	rctx, rcancel := context.WithTimeout(ctx, ready)
	defer rcancel()
	port, werr := w.wait(rctx, p.done)
	if werr == nil {
		p.addr = fmt.Sprintf("127.0.0.1:%d", port)
		logger.Debug("child ready", "addr", p.addr)
		return p, nil
	}

	// The child exited, stayed silent or ctx ended: make sure it is gone
	// and describe why.
	exitedFirst := isDone(p.done)
	if !exitedFirst {
		p.kill()
	}
	<-p.done
	se := &StartError{Name: name, ExitCode: -1, Stderr: ring.String(), Err: werr}
	if exitedFirst {
		se.Err = errExited
		se.ExitCode, se.Signal = exitStatus(cmd.ProcessState)
	} else if errors.Is(werr, context.DeadlineExceeded) && ctx.Err() == nil {
		se.Err = fmt.Errorf("no port reported within %s (mode %s)", ready, mode)
		if mode == PortEnv {
			se.Err = fmt.Errorf("nothing accepted connections on 127.0.0.1:%d within %s; a server must listen on the port the PORT environment variable gives it", w.envPort, ready)
			if w.elsewhere != nil {
				se.Err = w.elsewhere
			}
		}
	}
	return nil, se
}

// run owns the child: it forks on a locked OS thread (see the package doc
// on Pdeathsig), reports the Start result and waits for the child.
func (p *Process) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := p.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	p.waited = p.cmd.Wait()
	// Reap anything the leader left behind in its group.
	_ = signalGroupPID(p.cmd.Process.Pid, syscall.SIGKILL)
	p.byStop = isDone(p.stopped)
	p.cancel()
	if p.onExit != nil {
		p.onExit()
	}
	close(p.done)
}

// kill sends SIGKILL to the whole group.
func (p *Process) kill() {
	if err := signalGroup(p.cmd.Process, syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.log.Debug("killing process group", "err", err)
	}
}

// Addr is "127.0.0.1:<port>".
func (p *Process) Addr() string { return p.addr }

// PID is the child's process id, which is also its process group id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited and its output is drained.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is nil until Done is closed. Then it is nil for a clean exit or an
// exit caused by Stop, and an *ExitError otherwise.
func (p *Process) Err() error {
	if !isDone(p.done) {
		return nil
	}
	if p.waited == nil || p.byStop {
		return nil
	}
	code, sig := exitStatus(p.cmd.ProcessState)
	return &ExitError{Name: p.name, ExitCode: code, Signal: sig, Stderr: p.stderr.String(), Err: p.waited}
}

// LastStderr returns the last stderr lines (at most about 40).
func (p *Process) LastStderr() string { return p.stderr.String() }

// Stop sends SIGINT to the process group, waits up to the grace period (or
// until ctx ends), then sends SIGKILL to the group, and waits for the child.
// Stop is idempotent and safe to call concurrently; it returns nil once the
// child is gone.
func (p *Process) Stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		close(p.stopped)
		p.cancel() // exec calls Cmd.Cancel: SIGINT to the group
	})
	timer := time.NewTimer(p.grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
		p.log.Debug("grace period over, killing process group", "grace", p.grace)
	case <-ctx.Done():
	}
	p.kill()
	<-p.done // SIGKILL cannot be ignored; WaitDelay bounds pipe draining.
	return nil
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// exitStatus returns the exit code (-1 if signalled) and the signal name.
func exitStatus(ps *os.ProcessState) (int, string) {
	if ps == nil {
		return -1, ""
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1, ws.Signal().String()
	}
	return ps.ExitCode(), ""
}

// quietWriter drops write errors so the copy goroutine in os/exec keeps
// draining the child's pipe whatever the caller's writer does.
func quietWriter(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return errlessWriter{w}
}

type errlessWriter struct{ w io.Writer }

func (e errlessWriter) Write(p []byte) (int, error) {
	_, _ = e.w.Write(p)
	return len(p), nil
}
