package python

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// loadedTimeout bounds one question to the shim about loaded files when the
// caller's context has no earlier deadline. The shim answers from a thread
// of its own; a request handler that holds the GIL delays it by at most a
// switch interval (5 ms) at a time.
const loadedTimeout = 2 * time.Second

// control is the parent's end of the socket the shim gets as fd 4: one
// question at a time, a line holding a JSON array of absolute paths, each
// answered by a line holding the array of those the interpreter has loaded
// as modules (see serve_control in the shim).
type control struct {
	mu   sync.Mutex
	conn net.Conn      // nil once closed
	r    *bufio.Reader // reads conn
	err  error         // why conn was closed
}

var errExited = errors.New("the process has exited")

func newControlConn(conn net.Conn) *control {
	return &control{conn: conn, r: bufio.NewReader(conn)}
}

// loaded asks the shim which of paths it has loaded. After an error the
// connection is closed and every later question fails at once.
func (c *control) loaded(ctx context.Context, paths []string) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil, c.err
	}
	deadline := time.Now().Add(loadedTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	out, err := c.ask(deadline, paths)
	if err != nil {
		c.closeLocked(err)
		return nil, err
	}
	return out, nil
}

func (c *control) ask(deadline time.Time, paths []string) ([]string, error) {
	if err := c.conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	q, err := json.Marshal(paths)
	if err != nil {
		return nil, err
	}
	if _, err := c.conn.Write(append(q, '\n')); err != nil {
		return nil, err
	}
	line, err := c.r.ReadBytes('\n')
	if err != nil {
		return nil, err
	}
	var out []string
	if err := json.Unmarshal(line, &out); err != nil {
		return nil, fmt.Errorf("reading the answer %q: %w", line, err)
	}
	return out, nil
}

// close closes the connection for good; err is what later questions get.
func (c *control) close(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(err)
}

func (c *control) closeLocked(err error) {
	if c.conn == nil {
		return
	}
	c.conn.Close()
	c.conn, c.err = nil, err
}

// Loaded implements runtimes.LoadTracker: it returns the members of paths
// that the interpreter has imported as modules (compared as absolute and
// as resolved paths). A file it has not imported needs no restart when it
// changes: a later import reads it fresh.
func (d *devProcess) Loaded(ctx context.Context, paths []string) ([]string, error) {
	if d.ctrl == nil {
		return nil, fmt.Errorf("asking %s which files it loaded: no control socket on this platform", d.file)
	}
	out, err := d.ctrl.loaded(ctx, paths)
	if err != nil {
		return nil, fmt.Errorf("asking %s which files it loaded: %w", d.file, err)
	}
	return out, nil
}
