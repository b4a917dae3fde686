package devserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/devserver/watch"
)

const reloadTimeout = 15 * time.Second

// waitVersion polls path until the function answers with version v.
func (h *harness) waitVersion(path, v string) echo {
	h.t.Helper()
	var last echo
	eventually(h.t, reloadTimeout, path+" at version "+v, func() (bool, string) {
		resp, body := h.get(path)
		if resp.StatusCode != 200 || json.Unmarshal(body, &last) != nil {
			return false, fmt.Sprintf("%d %q", resp.StatusCode, body)
		}
		return last.Version == v, "version " + last.Version
	})
	return last
}

// breakBuild saves api/a.go at version v with a syntax error and waits
// for its error page.
func (h *harness) breakBuild(v string) {
	h.t.Helper()
	h.write("api/a.go", goHandler(v)+"SYNTAX ERROR\n")
	eventually(h.t, reloadTimeout, "the error page", func() (bool, string) {
		resp, body := h.get("/api/a")
		return resp.StatusCode == http.StatusBadGateway && bytes.Contains(body, []byte("syntax error")), fmt.Sprintf("%d %q", resp.StatusCode, body)
	})
}

func (h *harness) write(name, content string) {
	h.t.Helper()
	writeFiles(h.t, h.dir, map[string]string{name: content})
}

// settled waits until no build is pending for any function and returns
// the StartDev counts by file.
func (h *harness) settled() map[string]int {
	h.t.Helper()
	var counts map[string]int
	eventually(h.t, reloadTimeout, "builds to settle", func() (bool, string) {
		snap := h.srv.state.Load()
		for _, f := range snap.funcs {
			f.mu.Lock()
			busy := f.pending != nil
			f.mu.Unlock()
			if busy {
				return false, f.id + " is building"
			}
		}
		counts = map[string]int{}
		for _, rt := range []*fakeRuntime{h.goRT, h.pyRT} {
			rt.mu.Lock()
			for k, v := range rt.starts {
				counts[k] = v
			}
			rt.mu.Unlock()
		}
		return true, ""
	})
	return counts
}

func TestHotReloadRebuildsOnlyAffectedFunctions(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/a.go":  goHandler("1"),
		"api/b.go":  goHandler("1"),
		"api/c.go":  goHandler("1"),
		"lib/x.go":  "package lib\n",
		"README.md": "readme",
	})
	h.goRT.inputsExtra = []string{"lib"}
	h.waitVersion("/api/a", "1")
	b1 := h.waitVersion("/api/b", "1")
	// c never ran: it stays lazy whatever changes. Until the runtime has
	// told a function's inputs every source file counts: wait for them.
	waitInputs(t, h.srv, "api/a", "api/b")

	h.write("api/a.go", goHandler("2"))
	h.waitVersion("/api/a", "2")
	counts := h.settled()
	if counts["api/b.go"] != 1 {
		t.Errorf("b was started %d times after an edit of a, want 1", counts["api/b.go"])
	}

	h.write("lib/x.go", "package lib // changed\n")
	eventually(t, reloadTimeout, "b rebuilt after a shared input changed", func() (bool, string) {
		e := h.getEcho("/api/b", nil)
		return e.PID != b1.PID, fmt.Sprint("pid ", e.PID)
	})
	counts = h.settled()
	if counts["api/c.go"] != 0 {
		t.Errorf("c was started %d times though it never served, want 0 (lazy)", counts["api/c.go"])
	}

	// Rewriting the same bytes (one write, no truncation) is a no-op,
	// detected by checksum; a file that is no function's input changes
	// nothing either.
	dropped, batches := h.srv.reloads.dropped.Load(), h.srv.reloads.processed.Load()
	rewriteInPlace(t, filepath.Join(h.dir, "lib", "x.go"))
	h.write("README.md", "readme 2")
	eventually(t, reloadTimeout, "the writes to be processed", func() (bool, string) {
		return h.srv.reloads.dropped.Load() > dropped && h.srv.reloads.processed.Load() > batches, ""
	})
	if after := h.settled(); after["api/a.go"] != counts["api/a.go"] || after["api/b.go"] != counts["api/b.go"] {
		t.Errorf("starts went from %v to %v after a no-op and an unrelated write", counts, after)
	}
	ev := h.events.waitFor(t, "a build started by the edit", func(ev Event) bool {
		return ev.Type == EventBuildStarted && ev.Function == "api/a" && ev.Reason == "changed api/a.go"
	})
	if ev.File != "api/a.go" {
		t.Errorf("build-started file = %q", ev.File)
	}
}

// A file the inputs skip (Go's _test.go) in an input folder changes
// nothing; a source file beside it rebuilds.
func TestHotReloadSkipsSkippedFiles(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1"), "lib/x.go": "package lib\n"})
	h.goRT.inputsExtra = []string{"lib"}
	h.goRT.skip = []string{"_test.go"}
	a1 := h.waitVersion("/api/a", "1")
	waitInputs(t, h.srv, "api/a")
	batches := h.srv.reloads.processed.Load()
	h.write("lib/x_test.go", "package lib\n")
	eventually(t, reloadTimeout, "the test file to be processed", func() (bool, string) {
		return h.srv.reloads.processed.Load() > batches, ""
	})
	if counts := h.settled(); counts["api/a.go"] != 1 {
		t.Errorf("a was started %d times after a test file was written, want 1", counts["api/a.go"])
	}
	h.write("lib/x.go", "package lib // changed\n")
	eventually(t, reloadTimeout, "a rebuilt after its input changed", func() (bool, string) {
		e := h.getEcho("/api/a", nil)
		return e.PID != a1.PID, fmt.Sprint("pid ", e.PID)
	})
}

// rewriteInPlace writes a file's own content over it without truncating
// it: one write event, no content change.
func rewriteInPlace(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestHotReloadFailedBuildShowsErrorUntilFixed(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	h.write("api/a.go", goHandler("2")+"SYNTAX ERROR\n")
	eventually(t, reloadTimeout, "the error page", func() (bool, string) {
		resp, body := h.do("GET", "/api/a", map[string]string{"Accept": "text/html"}, nil)
		return resp.StatusCode == http.StatusBadGateway && bytes.Contains(body, []byte("api/a.go:7:1: syntax error")), fmt.Sprintf("%d %q", resp.StatusCode, body)
	})
	h.write("api/a.go", goHandler("3"))
	h.waitVersion("/api/a", "3")
}

// After a failed build, a request that arrives while the fix builds waits
// for that build, rather than get the error page of the code before it.
func TestHotReloadRequestsWaitForTheFixOfAFailedBuild(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	h.breakBuild("2")
	h.settled()
	started := func(ev Event) bool { return ev.Type == EventBuildStarted && ev.Function == "api/a" }
	before := h.events.count(started)
	h.goRT.buildDelay.Store(int64(300 * time.Millisecond))
	h.write("api/a.go", goHandler("3"))
	eventually(t, reloadTimeout, "the fix's build to start", func() (bool, string) {
		return h.events.count(started) > before, ""
	})
	resp, body := h.get("/api/a")
	var got echo
	if resp.StatusCode != 200 || json.Unmarshal(body, &got) != nil || got.Version != "3" {
		t.Errorf("a request during the fix's build: %d %q, want version 3", resp.StatusCode, body)
	}
}

// A start failure the runtime marks Retry (a Python import of a package
// not installed yet) is tried again on the next request: installing the
// package changes no file the dev server watches.
func TestRetryableStartFailureIsTriedAgain(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1") + "NEEDS node_modules/dep\n"})
	for range 2 {
		resp, body := h.get("/api/a")
		if resp.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte("No module named node_modules/dep")) {
			t.Fatalf("before the package: %d %q, want the import error", resp.StatusCode, body)
		}
	}
	if n := h.goRT.startCount("api/a.go"); n != 2 {
		t.Errorf("%d starts for 2 requests, want one each", n)
	}
	// In a folder the watcher ignores, as site-packages are.
	h.write("node_modules/dep", "installed\n")
	h.waitVersion("/api/a", "1")
}

// After such a failure, a saved fix is built at once, without waiting for
// a request, so that its outcome is known (the language server shows it).
func TestRetryableStartFailureRebuildsOnSave(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1") + "NEEDS node_modules/dep\n"})
	if resp, _ := h.get("/api/a"); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("before the fix: %d, want 502", resp.StatusCode)
	}
	finished := func(ev Event) bool { return ev.Type == EventBuildFinished && ev.Function == "api/a" }
	h.write("api/a.go", goHandler("2"))
	h.events.waitFor(t, "the fix built without a request", finished)
}

// A failed build can be fixed by a file that is in no list of inputs yet:
// the package the code imports, created after the import.
func TestHotReloadFailedBuildFixedByANewFile(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	waitInputs(t, h.srv, "api/a")
	h.write("api/a.go", goHandler("2")+"IMPORTS lib/lib.go\n")
	eventually(t, reloadTimeout, "the error page", func() (bool, string) {
		resp, body := h.get("/api/a")
		return resp.StatusCode == http.StatusBadGateway && bytes.Contains(body, []byte("lib/lib.go")), fmt.Sprintf("%d %q", resp.StatusCode, body)
	})
	h.settled()
	h.write("lib/lib.go", "package lib\n")
	h.waitVersion("/api/a", "2")
}

// New code that builds but whose process fails to start replaces the old
// process: requests get the start's error, not the previous version, and
// the next request tries again.
func TestHotReloadStartFailureAfterAGoodBuild(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	h.write("api/a.go", goHandler("2")+"CRASH ON START\n")
	h.events.waitFor(t, "the failed start", func(ev Event) bool {
		return ev.Type == EventBuildFailed && ev.Function == "api/a" && strings.Contains(ev.Message, "before reporting its port")
	})
	starts := h.settled()["api/a.go"]
	resp, body := h.get("/api/a")
	if resp.StatusCode != http.StatusBadGateway || !bytes.Contains(body, []byte("before reporting its port")) {
		t.Errorf("after a failed start: %d %q, want a 502 with the start's error (not the old version)", resp.StatusCode, body)
	}
	if n := h.goRT.startCount("api/a.go"); n != starts+1 {
		t.Errorf("the request started the function %d times, want once more", n-starts)
	}
	h.write("api/a.go", goHandler("3"))
	h.waitVersion("/api/a", "3")
}

// After a compile error, new code that compiles but fails to start shows
// its own error, not the compile error of the code before.
func TestHotReloadStartFailureReplacesTheCompileError(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	h.breakBuild("2")
	h.write("api/a.go", goHandler("3")+"CRASH ON START\n")
	h.events.waitFor(t, "the failed start", func(ev Event) bool {
		return ev.Type == EventBuildFailed && ev.Function == "api/a" && strings.Contains(ev.Message, "before reporting its port")
	})
	h.settled()
	resp, body := h.get("/api/a")
	if resp.StatusCode != http.StatusBadGateway || bytes.Contains(body, []byte("syntax error")) || !bytes.Contains(body, []byte("before reporting its port")) {
		t.Errorf("after the start failure: %d %q, want a 502 with the start's error", resp.StatusCode, body)
	}
}

// A request that needs a start once Close has begun is told the server is
// shutting down.
func TestStartDuringCloseSaysShuttingDown(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	f := h.srv.state.Load().funcs["api/a"]
	h.srv.bgMu.Lock()
	h.srv.closed = true // what Close does first, before the front's grace
	h.srv.bgMu.Unlock()
	_, err := f.acquire(t.Context())
	if err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("acquire during Close: %v, want an error saying the dev server is shutting down", err)
	}
}

func TestHotReloadProjectChanges(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/a.go":    goHandler("1"),
		"vercel.json": `{}`,
		"go.mod":      "module example.test/app\n\ngo 1.26\n",
	})
	h.waitVersion("/api/a", "1")
	if resp, _ := h.get("/elsewhere"); resp.StatusCode != 404 {
		t.Fatalf("GET /elsewhere = %d before there is a server", resp.StatusCode)
	}

	// A Go server appearing outside api/ takes every other path.
	h.write("main.go", "package main\n\n// version: server\nfunc main() {}\n")
	h.waitVersion("/elsewhere", "server")

	// A new function is routed without a restart.
	h.write("api/new/[id].go", goHandler("1"))
	eventually(t, reloadTimeout, "the new function", func() (bool, string) {
		resp, body := h.get("/api/new/5")
		return resp.StatusCode == 200 && bytes.Contains(body, []byte(`"query":"id=5"`)), fmt.Sprintf("%d %q", resp.StatusCode, body)
	})

	// vercel.json changes apply.
	h.write("vercel.json", `{"redirects": [{"source": "/go", "destination": "/api/a"}]}`)
	eventually(t, reloadTimeout, "the new redirect", func() (bool, string) {
		resp, _ := h.get("/go")
		return resp.StatusCode == 308, fmt.Sprint(resp.StatusCode)
	})

	// A deleted function stops being routed and its process stops.
	procs := len(h.goRT.liveProcs())
	if err := os.Remove(filepath.Join(h.dir, "api", "a.go")); err != nil {
		t.Fatal(err)
	}
	// Its path falls through to the server's catch-all.
	h.waitVersion("/api/a", "server")
	eventually(t, reloadTimeout, "its process to stop", func() (bool, string) {
		n := len(h.goRT.liveProcs())
		return n == procs-1, fmt.Sprint(n, " live")
	})
	h.events.waitFor(t, "a reload event", func(ev Event) bool {
		return ev.Type == EventProjectLoaded && strings.HasPrefix(ev.Message, "reloaded project")
	})
}

func TestEnvironment(t *testing.T) {
	t.Setenv("TEST_INHERITED", "from-parent")
	h := startHarness(t, map[string]string{
		"api/a.go":    goHandler("1"),
		"vercel.json": `{"env": {"TEST_CONFIG": "config", "TEST_OVERRIDE": "config", "bad-name": "x"}}`,
		".env":        "TEST_DOTENV=dotenv\nTEST_OVERRIDE=dotenv\nTEST_LOCAL=dotenv\n1BAD=x\nexport TEST_QUOTED=\"a b\"\nVERCEL_ENV=production\n",
		".env.local":  "TEST_LOCAL=local\n",
	})
	e := h.getEcho("/api/a", nil)
	want := map[string]string{
		"TEST_INHERITED": "from-parent",
		"TEST_CONFIG":    "config",
		"TEST_OVERRIDE":  "dotenv",
		"TEST_DOTENV":    "dotenv",
		"TEST_LOCAL":     "local",
		"TEST_QUOTED":    "a b",
		"VERCEL":         "1",
		"VERCEL_ENV":     "development",
		"VERCEL_URL":     strings.TrimPrefix(h.srv.URL(), "http://"),
		"VERCEL_REGION":  "dev1",
		"NOW_REGION":     "dev1",
	}
	for k, v := range want {
		if e.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, e.Env[k], v)
		}
	}
	for _, bad := range []string{"bad-name", "1BAD"} {
		h.events.waitFor(t, "a warning about "+bad, func(ev Event) bool {
			return ev.Type == EventWarning && strings.Contains(ev.Message, bad)
		})
	}

	// Changing .env restarts the running function with the new value.
	h.write(".env.local", "TEST_LOCAL=changed\n")
	eventually(t, reloadTimeout, "the new environment", func() (bool, string) {
		e := h.getEcho("/api/a", nil)
		return e.Env["TEST_LOCAL"] == "changed", e.Env["TEST_LOCAL"]
	})
}

func TestPrewarm(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1"), "api/b.py": pyHandler("1")},
		func(c *Config) { c.Prewarm = true })
	eventually(t, reloadTimeout, "both functions started without a request", func() (bool, string) {
		a, b := h.goRT.startCount("api/a.go"), h.pyRT.startCount("api/b.py")
		return a == 1 && b == 1, fmt.Sprintf("a=%d b=%d", a, b)
	})
	h.events.waitFor(t, "process-started", func(ev Event) bool {
		return ev.Type == EventProcessStarted && ev.Function == "api/b" && ev.PID > 0 && ev.Addr != ""
	})
}

func TestInFlightRequestsFinishAcrossReload(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	type result struct {
		e   echo
		err error
	}
	slow := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", h.srv.URL()+"/api/a", nil)
		req.Header.Set("X-Fake", "sleep=1500ms")
		resp, err := h.client.Do(req)
		var r result
		if err == nil {
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			} else {
				err = json.NewDecoder(resp.Body).Decode(&r.e)
			}
		}
		r.err = err
		slow <- r
	}()
	// Wait until the slow request is inside the old process.
	eventually(t, reloadTimeout, "the slow request to be in flight", func() (bool, string) {
		for _, p := range h.goRT.liveProcs() {
			if p.inflight.Load() > 0 {
				return true, ""
			}
		}
		return false, ""
	})
	h.write("api/a.go", goHandler("2"))
	h.waitVersion("/api/a", "2")
	r := <-slow
	if r.err != nil || r.e.Version != "1" {
		t.Fatalf("the request in flight during the reload = %+v, %v; want version 1 and no error", r.e, r.err)
	}
	eventually(t, reloadTimeout, "the old process to stop", func() (bool, string) {
		n := len(h.goRT.liveProcs())
		return n == 1, fmt.Sprint(n, " live")
	})
}

func TestReloadUnderLoad(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/a.go": goHandler("0") + "// BUILD DELAY 50\n",
	})
	h.waitVersion("/api/a", "0")
	const clients = 8
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		ok, fail atomic.Int64
		mu       sync.Mutex
		failures []string
		seen     = map[string]bool{}
	)
	for range clients {
		wg.Go(func() {
			for !stop.Load() {
				resp, err := h.client.Get(h.srv.URL() + "/api/a")
				if err != nil {
					fail.Add(1)
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				var e echo
				if err != nil || resp.StatusCode != 200 || json.Unmarshal(body, &e) != nil {
					fail.Add(1)
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d %q %v", resp.StatusCode, body, err))
					mu.Unlock()
					continue
				}
				ok.Add(1)
				mu.Lock()
				seen[e.Version] = true
				mu.Unlock()
			}
		})
	}
	for v := 1; v <= 3; v++ {
		h.write("api/a.go", goHandler(fmt.Sprint(v))+"// BUILD DELAY 50\n")
		eventually(t, reloadTimeout, fmt.Sprintf("clients to see version %d", v), func() (bool, string) {
			mu.Lock()
			defer mu.Unlock()
			return seen[fmt.Sprint(v)], fmt.Sprint(seen)
		})
	}
	stop.Store(true)
	wg.Wait()
	if fail.Load() != 0 {
		t.Errorf("%d of %d requests failed during reloads; first: %v", fail.Load(), fail.Load()+ok.Load(), failures[:min(3, len(failures))])
	}
	if ok.Load() < 50 {
		t.Errorf("only %d requests succeeded; the load was too light to mean anything", ok.Load())
	}
}

func TestChangesDuringABuildAreCoalesced(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("0")})
	h.waitVersion("/api/a", "0")
	// Each build takes 400 ms. The first edit starts a build at once
	// (leading edge); four more land while it runs.
	h.goRT.buildDelay.Store(int64(400 * time.Millisecond))
	h.write("api/a.go", goHandler("1"))
	h.events.waitFor(t, "the leading-edge build", func(ev Event) bool {
		return ev.Type == EventBuildStarted && ev.Reason == "changed api/a.go"
	})
	for v := 2; v <= 5; v++ {
		h.write("api/a.go", goHandler(fmt.Sprint(v)))
	}
	h.waitVersion("/api/a", "5")
	// The initial start, the leading-edge rebuild and one follow-up for
	// everything that arrived during it.
	if n := h.settled()["api/a.go"]; n != 3 {
		t.Errorf("%d starts for 5 quick edits, want 3 (initial, leading edge, one coalesced follow-up)", n)
	}
}

// An in-place save truncates the file, then writes it. The truncation is
// held back; when the write brings back the same content nothing is
// rebuilt, and a file that stays empty is rebuilt after emptyGrace.
func TestInPlaceSaves(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	waitInputs(t, h.srv, "api/a")
	path := filepath.Join(h.dir, "api", "a.go")
	processed := func() int64 { return h.srv.reloads.processed.Load() }

	// Truncate, let the dev server see the empty file, then write the same
	// content back, as an editor's in-place save of an unchanged buffer.
	before := h.settled()["api/a.go"]
	n := processed()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, reloadTimeout, "the truncation to be seen", func() (bool, string) { return processed() > n, "" })
	dropped := h.srv.reloads.dropped.Load()
	h.write("api/a.go", goHandler("1"))
	eventually(t, reloadTimeout, "the unchanged content to be dropped", func() (bool, string) {
		return h.srv.reloads.dropped.Load() > dropped, ""
	})
	if after := h.settled()["api/a.go"]; after != before {
		t.Errorf("an unchanged in-place save started %d builds", after-before)
	}

	// Truncate and leave it empty: after the grace it is a change like any
	// other (the fake builds the empty file, whose version is "").
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	h.waitVersion("/api/a", "")
	if got := h.settled()["api/a.go"]; got != before+1 {
		t.Errorf("emptying the file started %d builds, want 1", got-before)
	}
}

// After lost events (an overflow), a save is never dropped as unchanged:
// the content it restores may not be what the process was built from.
func TestOverflowForgetsChecksums(t *testing.T) {
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")})
	r := newReloader(h.srv) // not running: only its filter is used
	write := watch.Event{Path: filepath.Join(h.dir, "api", "a.go"), Rel: "api/a.go", Op: watch.Write}
	if got := r.dropUnchanged([]watch.Event{write}); len(got) != 1 {
		t.Fatalf("the first save was dropped")
	}
	if got := r.dropUnchanged([]watch.Event{write}); len(got) != 0 {
		t.Fatalf("a save with unchanged content was kept: the test cannot tell")
	}
	got := r.dropUnchanged([]watch.Event{{Op: watch.Overflow}, write})
	if len(got) != 2 {
		t.Errorf("after an overflow, %d of the overflow and the save were kept, want both", len(got))
	}
}

// A project given through a symbolic link to its folder is served, and
// an edit in a subfolder reloads it: the watcher walks where the link
// leads.
func TestHotReloadThroughALinkedRoot(t *testing.T) {
	link := filepath.Join(t.TempDir(), "linked")
	h := startHarness(t, map[string]string{"api/sub/a.go": goHandler("1")}, func(c *Config) {
		if err := os.Symlink(c.Dir, link); err != nil {
			t.Skipf("symlinks unavailable: %v", err)
		}
		c.Dir = link
	})
	h.waitVersion("/api/sub/a", "1")
	waitInputs(t, h.srv, "api/sub/a")
	h.write("api/sub/a.go", goHandler("2"))
	h.waitVersion("/api/sub/a", "2")
}
