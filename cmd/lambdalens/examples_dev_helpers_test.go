package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/devserver"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// Helpers for examples_dev_test.go: the CLI built once and run as a real
// child process per test in its own process group, its JSON events, HTTP
// polling, and the checks that no process outlives it (read from /proc).

const (
	// devTimeout bounds every wait on the dev server: a first build on a
	// cold Go build cache takes a while.
	devTimeout = 3 * time.Minute
	// devStopTimeout bounds a graceful stop after SIGTERM; the dev server
	// gives each process 10 s.
	devStopTimeout = 30 * time.Second
	// devPollInterval is the pause between two polls of a condition.
	devPollInterval = 50 * time.Millisecond
)

// buildDevCLI builds the lambdalens command into a temporary directory of
// t and returns its path.
func buildDevCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lambdalens")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the lambdalens command: %v\n%s", err, out)
	}
	t.Logf("go build -o lambdalens .: %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// devFrameworkPins and devFrameworkVenvName are those of the shared test
// venv of runtimes/python (frameworks_test.go): the same directory is used
// by both test binaries, whichever makes it first.
var devFrameworkPins = []string{"fastapi==0.115.*", "flask==3.1.*", "uvicorn==0.34.*", "werkzeug==3.1.*"}

const (
	devFrameworkVenvName = "venv-fastapi0.115-flask3.1-uvicorn0.34-werkzeug3.1"
	// devVenvMarker is written last into a complete venv (the runtime's
	// managed-venv marker, which runtimes/python's tests use too).
	devVenvMarker = "lambdalens-installed"
)

// devFrameworkVenv returns the shared venv with FastAPI, Flask, uvicorn
// and werkzeug, made from PyPI on first use. It skips the test, loudly,
// without python3 or when the venv must be made and PyPI is unreachable.
func devFrameworkVenv(t *testing.T) string {
	t.Helper()
	return lambdatest.Venv(t, devFrameworkVenvName, devVenvMarker, devFrameworkPins...)
}

// devServer is one `lambdalens dev --json` child process and what it
// printed.
type devServer struct {
	t      *testing.T
	cmd    *exec.Cmd
	cancel context.CancelFunc
	url    string
	client *http.Client
	stderr lockedOutput

	mu      sync.Mutex
	events  []devserver.Event
	raw     []string
	bad     []string // stdout lines that are not events
	starts  map[int]string
	changed chan struct{} // closed (and replaced) when an event arrives

	// done is closed once the process was waited for; state is then set.
	done    chan struct{}
	state   *os.ProcessState
	waitErr error
	stopped bool // stop checked the shutdown already
}

// startDev runs `lambdalens dev root --listen 127.0.0.1:0 --json` in its
// own process group, with the test's environment minus VIRTUAL_ENV (set to
// venv when not empty), and waits for its ready event. The test's cleanup
// stops it with SIGTERM, checks that it exited 0 and left no process, and
// kills what it left.
func startDev(t *testing.T, bin, root, venv string) *devServer {
	t.Helper()
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "VIRTUAL_ENV=") })
	if venv != "" {
		env = append(env, "VIRTUAL_ENV="+venv)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "dev", root, "--listen", "127.0.0.1:0", "--json")
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Cancelling is a graceful stop; Wait kills it past WaitDelay.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = devStopTimeout
	d := &devServer{
		t: t, cmd: cmd, cancel: cancel,
		client: &http.Client{
			Timeout:   devTimeout,
			Transport: &http.Transport{MaxIdleConnsPerHost: 32},
			// Redirects are asserted, not followed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		starts:  map[int]string{},
		changed: make(chan struct{}),
		done:    make(chan struct{}),
	}
	cmd.Stderr = &d.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting lambdalens dev: %v", err)
	}
	// The reader owns the pipe and the Wait; done is its join.
	go d.read(stdout)
	t.Cleanup(d.cleanup)
	ready, _ := d.waitEvent(0, "the ready event", func(ev devserver.Event) bool { return ev.Type == devserver.EventReady })
	if !strings.HasPrefix(ready.URL, "http://127.0.0.1:") {
		t.Fatalf("ready event URL = %q, want http://127.0.0.1:<port>", ready.URL)
	}
	d.url = ready.URL
	return d
}

// read decodes stdout into events until EOF, then waits for the process.
func (d *devServer) read(stdout io.Reader) {
	defer close(d.done)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	for sc.Scan() {
		line := sc.Text()
		var ev devserver.Event
		err := json.Unmarshal([]byte(line), &ev)
		var start string
		if err == nil && ev.Type == devserver.EventProcessStarted {
			// Read at once, so that a later PID reuse is not taken for
			// this process.
			st, _ := readProcStat(ev.PID)
			start = st.start
		}
		d.mu.Lock()
		if err != nil || ev.Type == "" {
			d.bad = append(d.bad, line)
		} else {
			d.events = append(d.events, ev)
			d.raw = append(d.raw, line)
			if ev.Type == devserver.EventProcessStarted {
				d.starts[ev.PID] = start
			}
			close(d.changed)
			d.changed = make(chan struct{})
		}
		d.mu.Unlock()
	}
	if err := sc.Err(); err != nil {
		d.mu.Lock()
		d.bad = append(d.bad, "reading stdout: "+err.Error())
		d.mu.Unlock()
		// Drain, so that the process is not blocked writing.
		_, _ = io.Copy(io.Discard, stdout)
	}
	d.waitErr = d.cmd.Wait()
	d.state = d.cmd.ProcessState
}

// mark is the index of the next event; waitEvent(mark, ...) looks only at
// what happens from now on.
func (d *devServer) mark() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.events)
}

// eventsFrom returns a copy of the events from index from on.
func (d *devServer) eventsFrom(from int) []devserver.Event {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.events[min(from, len(d.events)):])
}

// waitEvent returns the first event from index from on that match accepts,
// and its index, waiting up to devTimeout. It fails the test when none
// comes or the process exits first.
func (d *devServer) waitEvent(from int, what string, match func(devserver.Event) bool) (devserver.Event, int) {
	d.t.Helper()
	deadline := time.NewTimer(devTimeout)
	defer deadline.Stop()
	exited := false
	for {
		d.mu.Lock()
		for i := from; i < len(d.events); i++ {
			if match(d.events[i]) {
				ev := d.events[i]
				d.mu.Unlock()
				return ev, i
			}
		}
		from = len(d.events)
		changed := d.changed
		d.mu.Unlock()
		if exited {
			d.t.Fatalf("lambdalens dev exited (%v) before %s", d.waitErr, what)
		}
		select {
		case <-changed:
		case <-d.done:
			exited = true // look at the last events once more
		case <-deadline.C:
			d.t.Fatalf("no %s within %s", what, devTimeout)
		}
	}
}

// reply is an HTTP response, its body read.
type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) String() string {
	return fmt.Sprintf("%d (Content-Type %q) %q", r.status, r.header.Get("Content-Type"), r.body)
}

// hdr makes a header from key, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// send makes one request to the dev server.
func (d *devServer) send(ctx context.Context, method, path string, header http.Header, body []byte) (reply, error) {
	var rd io.Reader
	if body != nil {
		rd = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, d.url+path, rd)
	if err != nil {
		return reply{}, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, fmt.Errorf("reading the body of %s %s: %w", method, path, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: string(data)}, nil
}

// do makes one request, failing the test on a transport error.
func (d *devServer) do(method, path string, header http.Header, body []byte) reply {
	d.t.Helper()
	r, err := d.send(context.Background(), method, path, header, body)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// get is do for a GET with header key, value pairs.
func (d *devServer) get(path string, kv ...string) reply {
	d.t.Helper()
	return d.do(http.MethodGet, path, hdr(kv...), nil)
}

// poll repeats a GET with header key, value pairs until ok accepts the
// reply, for up to devTimeout, and returns that reply.
func (d *devServer) poll(path, what string, ok func(reply) bool, kv ...string) reply {
	d.t.Helper()
	deadline := time.Now().Add(devTimeout)
	tick := time.NewTicker(devPollInterval)
	defer tick.Stop()
	var last string
	for attempt := 1; ; attempt++ {
		r, err := d.send(context.Background(), http.MethodGet, path, hdr(kv...), nil)
		if err == nil && ok(r) {
			return r
		}
		if err != nil {
			last = err.Error()
		} else {
			last = r.String()
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("GET %s: no %s within %s (%d attempts); last answer: %s", path, what, devTimeout, attempt, last)
		}
		select {
		case <-tick.C:
		case <-d.done:
			d.t.Fatalf("lambdalens dev exited (%v) while waiting for %s from GET %s; last answer: %s", d.waitErr, what, path, last)
		}
	}
}

// stop sends SIGTERM and checks that lambdalens exits 0 within
// devStopTimeout and that no process it started is left.
func (d *devServer) stop() {
	d.t.Helper()
	d.stopped = true
	mark := d.mark()
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		d.t.Fatalf("sending SIGTERM to lambdalens dev: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(devStopTimeout):
		d.t.Fatalf("lambdalens dev did not exit within %s of SIGTERM", devStopTimeout)
	}
	if code := d.state.ExitCode(); code != 0 {
		d.t.Errorf("lambdalens dev exited with %v after SIGTERM, want status 0\nstderr:\n%s", d.state, d.stderr.String())
	}
	d.t.Logf("lambdalens dev stopped in %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if left := d.leftovers(); len(left) > 0 {
		d.t.Errorf("processes left after lambdalens dev exited:\n%s", strings.Join(left, "\n"))
	}
	// Every function process's end was reported; those it stopped on the
	// way out did not crash.
	exited := map[int]bool{}
	for i, ev := range d.eventsFrom(0) {
		if ev.Type != devserver.EventProcessExited {
			continue
		}
		exited[ev.PID] = true
		if i >= mark && ev.Crashed {
			d.t.Errorf("process %d of %s stopped at shutdown is reported as crashed: %s", ev.PID, ev.Function, ev.ExitStatus)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for pid := range d.starts {
		if !exited[pid] {
			d.t.Errorf("function process %d was started but no process-exited event reports its end", pid)
		}
	}
}

// kill sends SIGKILL to lambdalens (not to its process group) and waits
// for it to exit.
func (d *devServer) kill() {
	d.t.Helper()
	d.stopped = true
	if err := d.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		d.t.Fatalf("sending SIGKILL to lambdalens dev: %v", err)
	}
	select {
	case <-d.done:
	case <-time.After(devStopTimeout):
		d.t.Fatalf("lambdalens dev still runs %s after SIGKILL", devStopTimeout)
	}
}

// cleanup stops the dev server if the test did not, and kills whatever it
// left behind (reporting it).
func (d *devServer) cleanup() {
	t := d.t
	defer d.client.CloseIdleConnections()
	if !d.stopped {
		d.cancel() // SIGTERM; Wait kills it past WaitDelay
		select {
		case <-d.done:
			if d.state != nil && d.state.ExitCode() != 0 {
				t.Errorf("lambdalens dev exited with %v after SIGTERM, want status 0", d.state)
			}
		case <-time.After(devStopTimeout + 10*time.Second):
			t.Errorf("lambdalens dev did not exit after SIGTERM; killing its process group")
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.done // Wait returns: the process is gone and WaitDelay closed the pipes
		}
		if left := d.leftovers(); len(left) > 0 {
			t.Errorf("processes left after lambdalens dev exited:\n%s", strings.Join(left, "\n"))
		}
	}
	d.cancel()
	d.killLeftovers()
	d.mu.Lock()
	bad, raw := d.bad, d.raw
	d.mu.Unlock()
	for _, line := range bad {
		t.Errorf("lambdalens dev --json printed a line that is not an event: %q", line)
	}
	if t.Failed() {
		t.Logf("lambdalens dev stderr:\n%s", d.stderr.String())
		const tail = 60
		t.Logf("last %d of %d events:\n%s", min(tail, len(raw)), len(raw), strings.Join(raw[max(0, len(raw)-tail):], "\n"))
	}
}

// hasDiagnostic reports whether diags has an error at file:line.
func hasDiagnostic(diags []runtimes.Diagnostic, file string, line int) bool {
	return slices.ContainsFunc(diags, func(d runtimes.Diagnostic) bool {
		return d.File == file && d.Range.Start.Line == line && d.Severity == runtimes.SeverityError
	})
}

// editFile replaces the only occurrence of old with new in root/name,
// writing the file in place (truncate, then write, as most editors save),
// and returns the new contents.
func editFile(t *testing.T, root, name, old, new string) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	src := string(mustRead(t, p))
	if n := strings.Count(src, old); n != 1 {
		t.Fatalf("%s has %d occurrences of %q, want 1", name, n, old)
	}
	out := strings.Replace(src, old, new, 1)
	writeInPlace(t, p, out)
	return out
}

// writeInPlace truncates and rewrites the file.
func writeInPlace(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeByRename replaces the file with a new one renamed over it, as
// editors that save atomically do (the temporary name is no source file).
func writeByRename(t *testing.T, p, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".swp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
}

// lineOf returns the 1-based line of the first occurrence of s in src.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	i := strings.Index(src, s)
	if i < 0 {
		t.Fatalf("%q not found", s)
	}
	return strings.Count(src[:i], "\n") + 1
}

// errorJSON is the dev server's JSON error body.
type errorJSON struct {
	Error struct {
		Code        int                   `json:"code"`
		Message     string                `json:"message"`
		ErrorCode   string                `json:"errorCode"`
		ID          string                `json:"id"`
		Details     string                `json:"details"`
		Diagnostics []runtimes.Diagnostic `json:"diagnostics"`
	} `json:"error"`
}

// decodeErrorJSON decodes r's body as the JSON error body.
func decodeErrorJSON(t *testing.T, r reply) errorJSON {
	t.Helper()
	var e errorJSON
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("decoding the JSON error body %s: %v", r, err)
	}
	return e
}
