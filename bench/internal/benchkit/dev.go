package benchkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// Dev is a running `lambdalens dev --json`. A goroutine it owns reads the
// JSON events as they come; Stop ends the server and joins it.
type Dev struct {
	proc   *Proc
	URL    string // base URL from the ready event
	stderr *proc.Tail
	read   chan struct{} // closed when the event reader has finished

	mu     sync.Mutex
	addrs  map[string]string // function ID → addr of its newest process
	builds []BuildEvent
	// started counts build-started events, ended build-finished and
	// build-failed ones.
	started, ended int
	fails          []string // messages of build-failed and warning events
	ready          chan struct{}
	// changed receives (without blocking the reader) on every finished
	// build and started process.
	changed chan struct{}
}

// BuildEvent is a finished build reported by the dev server.
type BuildEvent struct {
	Function string
	Duration time.Duration
	At       time.Time
}

// devEvent is the part of devserver's JSON events the benchmarks read.
type devEvent struct {
	Type     string        `json:"type"`
	Time     time.Time     `json:"time"`
	URL      string        `json:"url"`
	Function string        `json:"function"`
	Addr     string        `json:"addr"`
	Duration time.Duration `json:"duration"`
	Message  string        `json:"message"`
	Output   string        `json:"output"`
}

// StartDev runs `bin dev dir --listen 127.0.0.1:<free port> --json` with
// env (nil: the benchmark's own environment) and waits up to timeout for
// its ready event.
func StartDev(ctx context.Context, bin, dir string, env []string, timeout time.Duration, extraArgs ...string) (*Dev, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"dev", dir, "--listen", "127.0.0.1:" + strconv.Itoa(port), "--json"}, extraArgs...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	d := &Dev{
		stderr:  proc.NewTail(64 << 10),
		read:    make(chan struct{}),
		addrs:   map[string]string{},
		ready:   make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
	cmd.Stderr = d.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("starting lambdalens dev: %w", err)
	}
	d.proc, err = Start(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting lambdalens dev: %w", err)
	}
	go func() {
		defer close(d.read)
		d.readEvents(stdout)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-d.ready:
		return d, nil
	case <-d.proc.Done():
		err = fmt.Errorf("lambdalens dev exited before it was ready: %w\n%s", d.exitErr(), d.stderr.String())
	case <-timer.C:
		err = fmt.Errorf("lambdalens dev was not ready within %v\n%s", timeout, d.stderr.String())
	case <-ctx.Done():
		err = ctx.Err()
	}
	_ = d.Stop()
	return nil, err
}

// readEvents parses the event stream until it ends. Request and output
// events, the bulk of it under load, are skipped without decoding.
func (d *Dev) readEvents(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	skip := [][]byte{[]byte(`{"type":"request"`), []byte(`{"type":"output"`)}
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && !bytes.HasPrefix(line, skip[0]) && !bytes.HasPrefix(line, skip[1]) {
			var ev devEvent
			if json.Unmarshal(line, &ev) == nil {
				d.handle(ev)
			}
		}
		if err != nil {
			return
		}
	}
}

func (d *Dev) handle(ev devEvent) {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch ev.Type {
	case "ready":
		if d.URL == "" {
			d.URL = ev.URL
			close(d.ready)
		}
	case "process-started":
		d.addrs[ev.Function] = ev.Addr
		d.signalChange()
	case "build-started":
		d.started++
	case "build-finished":
		d.ended++
		d.builds = append(d.builds, BuildEvent{Function: ev.Function, Duration: ev.Duration, At: ev.Time})
		d.signalChange()
	case "build-failed", "warning":
		if ev.Type == "build-failed" {
			d.ended++
		}
		msg := ev.Type + " " + ev.Function + ": " + ev.Message
		if ev.Output != "" {
			msg += "\n" + FirstLines(ev.Output, 10)
		}
		if len(d.fails) < 100 {
			d.fails = append(d.fails, msg)
		}
	}
}

func (d *Dev) signalChange() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// Changes receives after each build the server finishes and each process
// it starts: the moment a poll for a new version is worth sending (see
// Poll.Wake). A signal that nobody took is kept for the next receive.
func (d *Dev) Changes() <-chan struct{} { return d.changed }

// onBuildInterval is the fallback interval of a poll woken by builds.
const onBuildInterval = 50 * time.Millisecond

// SavePoll is the poll of a save-to-served sample: a request every
// interval, or, with onBuild, one as soon as the server reports a
// finished build or a new process, and one every 50 ms besides. Polling
// every few milliseconds loads the two cores the build runs on (a 5 ms poll
// made the dev build 14 % slower here, see bench/README.md); the request
// that finds the new text still decides the time.
func (d *Dev) SavePoll(interval time.Duration, onBuild bool) Poll {
	p := Poll{Interval: interval, Timeout: 2 * time.Minute}
	if onBuild {
		p.Interval, p.Wake = onBuildInterval, d.Changes()
	}
	return p
}

// PollMethod describes SavePoll's way of waiting, for reports.
func PollMethod(interval time.Duration, onBuild bool) string {
	if onBuild {
		return fmt.Sprintf("request it when lambdalens reports a finished build or a new process, and every %v besides", onBuildInterval)
	}
	return fmt.Sprintf("request it every %v", interval)
}

// ProcessAddr returns the address of function's newest process, waiting
// up to timeout for it to be started.
func (d *Dev) ProcessAddr(ctx context.Context, function string, timeout time.Duration) (string, error) {
	var addr string
	err := d.until(ctx, timeout, "a process of "+function, func() bool {
		addr = d.addrs[function]
		return addr != ""
	})
	return addr, err
}

// until checks cond (with d.mu held) every 10 ms until it holds, up to
// timeout; what names the wait in errors.
func (d *Dev) until(ctx context.Context, timeout time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		d.mu.Lock()
		ok := cond()
		d.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-d.proc.Done():
			return fmt.Errorf("waiting for %s: lambdalens dev exited: %w", what, d.exitErr())
		case <-ticker.C:
		}
	}
}

// exitErr is the server's exit error, or one saying it exited cleanly.
func (d *Dev) exitErr() error {
	if err := d.proc.Err(); err != nil {
		return err
	}
	return errors.New("exit status 0")
}

// Builds returns the builds finished so far.
func (d *Dev) Builds() []BuildEvent {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]BuildEvent(nil), d.builds...)
}

// Started returns how many builds the server has started so far.
func (d *Dev) Started() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.started
}

// WaitIdle waits until every build the server started has ended, up to
// timeout.
func (d *Dev) WaitIdle(ctx context.Context, timeout time.Duration) error {
	return d.until(ctx, timeout, "the builds to end", func() bool { return d.started <= d.ended })
}

// Problems returns the build failures and warnings reported so far.
func (d *Dev) Problems() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.fails...)
}

// Stderr returns the last 64 KiB the server wrote to stderr.
func (d *Dev) Stderr() string { return d.stderr.String() }

// Stop stops the server (SIGINT, then SIGKILL after 10 s) and joins the
// event reader.
func (d *Dev) Stop() error {
	err := d.proc.Stop(10 * time.Second)
	<-d.read
	if err != nil {
		return fmt.Errorf("stopping lambdalens dev: %w", err)
	}
	return nil
}

// Environ returns the process environment with extra KEY=VALUE entries
// appended (later entries win in os/exec).
func Environ(extra ...string) []string { return append(os.Environ(), extra...) }
