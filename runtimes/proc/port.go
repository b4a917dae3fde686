package proc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pollInterval is how often the port file and the PORT listener are
// checked. Children usually take tens of milliseconds or more to start, so
// 20ms keeps the added latency unnoticeable without busy-looping.
const pollInterval = 20 * time.Millisecond

// A child started with PORT that listens elsewhere (a hard-coded :8080,
// or ::1 only, which 127.0.0.1 does not reach) is warned about once it
// has done so for wrongPortGrace with PORT still refusing connections,
// and the error at ReadyTimeout names the addresses it took. It is not
// failed early: a server may open another listener first (metrics,
// pprof) and PORT's only after a slow start (migrations). The child's
// listeners are looked at every listenCheckInterval (on Linux; elsewhere
// they cannot be listed).
const (
	wrongPortGrace      = 3 * time.Second
	listenCheckInterval = 250 * time.Millisecond
)

// portWaiter waits for a child to report its port in one PortMode.
type portWaiter struct {
	mode     PortMode
	env      []string // appended to the child's environment
	fd3r     *os.File // parent's read end of fd 3 (PortFD3)
	fd3w     *os.File // child's write end, closed by afterStart
	portFile string   // PortFD3, PortFile
	envPort  int      // PortEnv
	pgid     int      // the child's process group, set by afterStart
	// warn tells the user about a child listening elsewhere (PortEnv).
	warn func(msg string)
	// elsewhere is the last wrong-port finding of pollDial (PortEnv):
	// read once wait has returned.
	elsewhere *wrongPortError
}

func newPortWaiter(mode PortMode) (*portWaiter, error) {
	w := &portWaiter{mode: mode}
	switch mode {
	case PortEnv:
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		w.envPort = port
		w.env = append(w.env, "PORT="+strconv.Itoa(port))
		return w, nil
	case PortFD3, PortFile:
	default:
		return nil, fmt.Errorf("unknown port mode %d", int(mode))
	}
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("naming the port file: %w", err)
	}
	w.portFile = filepath.Join(os.TempDir(), "lambdalens-port-"+hex.EncodeToString(b[:]))
	w.env = append(w.env, PortFileEnv+"="+w.portFile, VercelPortFileEnv+"="+w.portFile)
	if mode == PortFD3 {
		r, wr, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("creating the fd 3 pipe: %w", err)
		}
		w.fd3r, w.fd3w = r, wr
	}
	return w, nil
}

// afterStart records the child's process group (its pid: each child
// leads its own) and closes the parent's copy of the write end, so that
// reading fd 3 ends at EOF once the child (and anything it passed fd 3 to)
// closed it or exited.
func (w *portWaiter) afterStart(pgid int) {
	w.pgid = pgid
	w.closeWriteEnd()
}

func (w *portWaiter) closeWriteEnd() {
	if w.fd3w != nil {
		w.fd3w.Close()
		w.fd3w = nil
	}
}

// cleanup releases the pipe and removes the port file.
func (w *portWaiter) cleanup() {
	w.closeWriteEnd()
	if w.fd3r != nil {
		w.fd3r.Close()
	}
	if w.portFile != "" {
		os.Remove(w.portFile)
	}
}

type portResult struct {
	port int
	err  error
}

// wait returns the reported port, or an error when exited is closed first
// (errExited) or ctx ends (ctx.Err()).
func (w *portWaiter) wait(ctx context.Context, exited <-chan struct{}) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan portResult, 3)
	pending := 0
	var joins []chan struct{}
	spawn := func(f func(context.Context) portResult) {
		pending++
		j := make(chan struct{})
		joins = append(joins, j)
		go func() {
			defer close(j)
			results <- f(ctx)
		}()
	}
	if w.fd3r != nil {
		r := w.fd3r
		spawn(func(context.Context) portResult { return readFD3(r) })
	}
	if w.portFile != "" {
		spawn(w.pollFile)
	}
	if w.envPort != 0 {
		spawn(w.pollDial)
	}
	defer func() {
		cancel()
		if w.fd3r != nil {
			w.fd3r.Close() // unblocks readFD3
		}
		for _, j := range joins {
			<-j
		}
	}()

	for {
		select {
		case res := <-results:
			pending--
			if res.err == nil {
				return res.port, nil
			}
			if !errors.Is(res.err, errNoFD3Port) {
				return 0, res.err // garbage on fd 3, or ctx ended
			}
			if pending == 0 {
				// Every channel failed (fd 3 closed empty and nothing
				// else is watching): only the exit can tell more.
				select {
				case <-exited:
					return 0, errExited
				case <-ctx.Done():
					return 0, ctx.Err()
				}
			}
		case <-exited:
			return 0, errExited
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// errNoFD3Port means fd 3 was closed without a port: the child either uses
// the port file or exited.
var errNoFD3Port = errors.New("fd 3 closed without a port")

func readFD3(r *os.File) portResult {
	// Read until EOF, or until a newline ends the digits, whichever comes
	// first: a child that writes "8080\n" but keeps fd 3 open still counts.
	var buf []byte
	chunk := make([]byte, 16)
	for len(buf) < 64 {
		n, err := r.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[:i]
			break
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return portResult{err: fmt.Errorf("reading fd 3: %w", err)}
		}
	}
	if len(bytes.TrimSpace(buf)) == 0 {
		return portResult{err: errNoFD3Port}
	}
	port, err := parsePort(buf)
	if err != nil {
		return portResult{err: fmt.Errorf("reading fd 3: %w", err)}
	}
	return portResult{port: port}
}

func (w *portWaiter) pollFile(ctx context.Context) portResult {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if b, err := os.ReadFile(w.portFile); err == nil {
			if port, perr := parsePort(b); perr == nil {
				os.Remove(w.portFile)
				return portResult{port: port}
			}
		}
		select {
		case <-ctx.Done():
			return portResult{err: ctx.Err()}
		case <-t.C:
		}
	}
}

func (w *portWaiter) pollDial(ctx context.Context) portResult {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(w.envPort))
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var d net.Dialer
	dial := func() error {
		dctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		c, err := d.DialContext(dctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	var since time.Time // since when the child listens, but not on PORT
	warned := false
	nextLook := time.Now().Add(listenCheckInterval)
	for {
		err := dial()
		if err == nil {
			return portResult{port: w.envPort}
		}
		if ctx.Err() != nil {
			// The dial failed because the wait ended: it says nothing
			// about PORT, and must not replace w.elsewhere's finding.
			return portResult{err: ctx.Err()}
		}
		if now := time.Now(); w.pgid > 0 && !now.Before(nextLook) {
			nextLook = now.Add(listenCheckInterval)
			// An error reading /proc tells nothing about the child.
			addrs, _ := groupListeners(w.pgid)
			switch {
			case len(addrs) == 0:
				since, w.elsewhere = time.Time{}, nil
			case since.IsZero():
				since = now
			default:
				w.elsewhere = newWrongPortError(w.envPort, addrs, now.Sub(since), err)
				if !warned && now.Sub(since) >= wrongPortGrace && w.warn != nil {
					warned = true
					w.warn(w.elsewhere.Error() + "; still waiting for it")
				}
			}
		}
		select {
		case <-ctx.Done():
			return portResult{err: ctx.Err()}
		case <-t.C:
		}
	}
}

// wrongPortError is a child started with PORT that listens on other
// addresses only: other ports, or PORT on an address 127.0.0.1 does not
// reach (::1, an IPv6-only [::], another interface's).
type wrongPortError struct {
	port  int
	addrs []netip.AddrPort
	after time.Duration
	dial  error // the last dial to 127.0.0.1:port
}

// newWrongPortError sorts addrs, which Error then only reads: a start
// error is shared by the requests that waited for the start.
func newWrongPortError(port int, addrs []netip.AddrPort, after time.Duration, dial error) *wrongPortError {
	slices.SortFunc(addrs, netip.AddrPort.Compare)
	return &wrongPortError{port: port, addrs: addrs, after: after, dial: dial}
}

func (e *wrongPortError) Error() string {
	list := make([]string, len(e.addrs))
	onPort := false
	for i, a := range e.addrs {
		list[i] = a.String()
		onPort = onPort || int(a.Port()) == e.port
	}
	failed := "refused connections"
	if e.dial != nil && !errors.Is(e.dial, syscall.ECONNREFUSED) {
		failed = "failed: " + e.dial.Error() + ","
	}
	if onPort {
		return fmt.Sprintf("it listens on %s, which 127.0.0.1:%d, the port in the PORT environment variable, does not reach (it %s for %s): listen on 127.0.0.1 or all addresses (0.0.0.0, or \":\"+os.Getenv(\"PORT\") in Go)",
			strings.Join(list, ", "), e.port, failed, e.after.Round(100*time.Millisecond))
	}
	return fmt.Sprintf("it listens on %s, not on the port in the PORT environment variable (127.0.0.1:%d %s for %s): listen on that port, on 127.0.0.1 or all addresses (os.Getenv(\"PORT\") in Go)",
		strings.Join(list, ", "), e.port, failed, e.after.Round(100*time.Millisecond))
}

// parsePort accepts ASCII digits with optional surrounding whitespace (a
// trailing newline, typically) and a value in 1..65535.
func parsePort(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return 0, errors.New("empty port")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("port %q is not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %q out of range", s)
	}
	return n, nil
}

// freePort asks the kernel for a free 127.0.0.1 port. Another process may
// take it before the child binds it; the child then fails to listen and the
// caller sees its error.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("picking a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
