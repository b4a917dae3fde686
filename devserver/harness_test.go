package devserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// harness is a dev server on 127.0.0.1 for one test project.
type harness struct {
	t      testing.TB
	dir    string
	srv    *Server
	goRT   *fakeRuntime
	pyRT   *fakeRuntime
	client *http.Client
	events *eventLog
}

// eventLog records Events for assertions.
type eventLog struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{}
}

func newEventLog() *eventLog { return &eventLog{changed: make(chan struct{}, 1)} }

func (l *eventLog) add(ev Event) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *eventLog) snapshot() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.events...)
}

func (l *eventLog) count(match func(Event) bool) int {
	n := 0
	for _, ev := range l.snapshot() {
		if match(ev) {
			n++
		}
	}
	return n
}

// waitFor waits until an event matching match has been recorded.
func (l *eventLog) waitFor(t testing.TB, what string, match func(Event) bool) Event {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		for _, ev := range l.snapshot() {
			if match(ev) {
				return ev
			}
		}
		select {
		case <-l.changed:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; events: %+v", what, l.snapshot())
		}
	}
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// goHandler is a Go function source the project loader accepts.
func goHandler(version string) string {
	return "package handler\n\nimport \"net/http\"\n\n// version: " + version + "\nfunc Handler(w http.ResponseWriter, r *http.Request) {}\n"
}

// pyHandler is a Python function source the project loader accepts.
func pyHandler(version string) string {
	return "from http.server import BaseHTTPRequestHandler\n\n# version: " + version + "\nclass handler(BaseHTTPRequestHandler):\n    pass\n"
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startHarness writes files into a temporary project and starts a dev
// server with fake runtimes for it. The server is closed at the end of the
// test, and the test fails if a fake process is still alive then.
func startHarness(t testing.TB, files map[string]string, tweak ...func(*Config)) *harness {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	h := &harness{
		t: t, dir: dir,
		goRT:   newFakeRuntime(runtimes.Go),
		pyRT:   newFakeRuntime(runtimes.Python),
		events: newEventLog(),
		client: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			Timeout:       30 * time.Second,
		},
	}
	cfg := Config{
		Dir:      dir,
		Listen:   "127.0.0.1:0",
		Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: h.goRT, runtimes.Python: h.pyRT},
		Logger:   quietLogger(),
		Events:   h.events.add,
	}
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		for _, rt := range []*fakeRuntime{h.goRT, h.pyRT} {
			if live := rt.liveProcs(); len(live) != 0 {
				t.Errorf("%d fake %s processes still running after Close", len(live), rt.lang)
			}
		}
		h.client.CloseIdleConnections()
	})
	return h
}

// do sends a request and returns the response with its body read.
func (h *harness) do(method, path string, header map[string]string, body io.Reader) (*http.Response, []byte) {
	h.t.Helper()
	req, err := http.NewRequest(method, h.srv.URL()+path, body)
	if err != nil {
		h.t.Fatal(err)
	}
	for k, v := range header {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, data
}

func (h *harness) get(path string) (*http.Response, []byte) {
	h.t.Helper()
	return h.do(http.MethodGet, path, nil, nil)
}

// getEcho GETs path and decodes the fake function's echo; it fails the
// test when the answer is not a 200 echo.
func (h *harness) getEcho(path string, header map[string]string) echo {
	h.t.Helper()
	resp, body := h.do(http.MethodGet, path, header, nil)
	var e echo
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &e) != nil || e.File == "" {
		h.t.Fatalf("GET %s = %d %q, want a function echo", path, resp.StatusCode, body)
	}
	return e
}

// waitInputs waits until the functions know their inputs (the runtime
// computes them in the background after the first build; until then
// every source file counts).
func waitInputs(t *testing.T, srv *Server, ids ...string) {
	t.Helper()
	eventually(t, 3*time.Minute, "inputs of "+strings.Join(ids, ", "), func() (bool, string) {
		snap := srv.state.Load()
		for _, id := range ids {
			f := snap.funcs[id]
			if f == nil {
				return false, id + " missing"
			}
			f.mu.Lock()
			known := f.inputs != nil
			f.mu.Unlock()
			if !known {
				return false, id + " has no inputs yet"
			}
		}
		return true, ""
	})
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, last)
		}
		<-tick.C
	}
}
