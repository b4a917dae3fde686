package devserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// syncBuffer is an io.Writer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestJSONOutput(t *testing.T) {
	out := &syncBuffer{}
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")}, func(c *Config) {
		c.Out, c.JSON = out, true
	})
	h.getEcho("/api/a?x=1", nil)
	h.events.waitFor(t, "the request event", func(ev Event) bool { return ev.Type == EventRequest })
	h.srv.out.flush(t.Context()) // events reach Config.Events before the writer goroutine prints them
	types := map[EventType]Event{}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line %q is not a JSON event: %v", sc.Text(), err)
		}
		if ev.Time.IsZero() {
			t.Errorf("event %q has no time", sc.Text())
		}
		types[ev.Type] = ev
	}
	if ev := types[EventReady]; ev.URL != h.srv.URL() {
		t.Errorf("ready event URL = %q, want %q", ev.URL, h.srv.URL())
	}
	if ev := types[EventRequest]; ev.Method != "GET" || ev.Path != "/api/a" || ev.Function != "api/a" || ev.Status != 200 || ev.Duration <= 0 || !idPattern.MatchString(ev.RequestID) {
		t.Errorf("request event = %+v", ev)
	}
	for _, typ := range []EventType{EventProjectLoaded, EventBuildStarted, EventBuildFinished, EventProcessStarted, EventOutput} {
		if _, ok := types[typ]; !ok {
			t.Errorf("no %s event in %q", typ, out.String())
		}
	}
	if ev := types[EventOutput]; ev.Function != "api/a" || ev.Stream != "stdout" || !strings.HasPrefix(ev.Message, "listening on ") {
		t.Errorf("output event = %+v", ev)
	}
}

// The lines still waiting to be written when Close starts are written
// before it returns, even when its context has ended: stopping the
// functions may have used it up.
func TestCloseWritesTheLastLinesAfterItsContextEnded(t *testing.T) {
	out := &syncBuffer{}
	h := startHarness(t, map[string]string{"api/a.go": goHandler("1")}, func(c *Config) { c.Out = out })
	if err := h.srv.out.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	bw := h.srv.out.out
	bw.mu.Lock()
	bw.delay = time.Hour // the request's line waits until Close
	bw.mu.Unlock()
	h.getEcho("/api/a", nil)
	h.events.waitFor(t, "the request event", func(ev Event) bool { return ev.Type == EventRequest })
	if text := out.String(); strings.Contains(text, "/api/a") {
		t.Fatalf("the request's line was written before Close:\n%s", text)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := h.srv.Close(ctx); err != nil {
		t.Errorf("Close with an ended context: %v", err)
	}
	if text := stripANSI(out.String()); !strings.Contains(text, "GET /api/a → api/a 200 ") {
		t.Errorf("the request's line is missing after Close:\n%s", text)
	}
}

func TestHumanOutput(t *testing.T) {
	for _, color := range []bool{false, true} {
		t.Run("color="+strconv.FormatBool(color), func(t *testing.T) {
			out := &syncBuffer{}
			h := startHarness(t, map[string]string{"api/a.go": goHandler("1"), "api/bad.go": goHandler("1") + "SYNTAX ERROR\n"}, func(c *Config) {
				c.Out, c.Color = out, color
			})
			h.getEcho("/api/a", nil)
			h.get("/api/bad")
			h.get("/nope")
			h.events.waitFor(t, "three request events", func(Event) bool {
				return h.events.count(func(ev Event) bool { return ev.Type == EventRequest }) == 3
			})
			h.srv.out.flush(t.Context()) // events reach Config.Events before the writer goroutine prints them
			text := out.String()
			hasEscape := strings.Contains(text, "\x1b[")
			if hasEscape != color {
				t.Errorf("colour escapes present = %v, want %v:\n%s", hasEscape, color, text)
			}
			plain := stripANSI(text)
			for _, want := range []string{
				"Ready! Available at " + h.srv.URL(),
				"GET /api/a → api/a 200 ",
				"GET /api/bad → api/bad 502 ",
				"GET /nope 404 ",
				"[api/a] listening on 127.0.0.1:",
				"api/bad.go:7:1: syntax error",
			} {
				if !strings.Contains(plain, want) {
					t.Errorf("output lacks %q:\n%s", want, plain)
				}
			}
		})
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestListenPicksTheNextFreePort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	h := startHarness(t, map[string]string{"public/index.html": "x"}, func(c *Config) {
		c.Listen = "127.0.0.1:" + strconv.Itoa(port)
	})
	_, got, _ := net.SplitHostPort(strings.TrimPrefix(h.srv.URL(), "http://"))
	if p, _ := strconv.Atoi(got); p <= port || p > port+portAttempts {
		t.Errorf("listening on port %d; want the next free one above %d", p, port)
	}
	if resp, _ := h.get("/"); resp.StatusCode != 200 {
		t.Errorf("GET / = %d", resp.StatusCode)
	}
	// The move is said: a port given explicitly may be what another tool
	// (a tunnel, an OAuth callback) expects.
	want := fmt.Sprintf("port %d is in use; listening on %s instead", port, got)
	if n := h.events.count(func(ev Event) bool { return ev.Type == EventWarning && ev.Message == want }); n != 1 {
		t.Errorf("%d warnings %q; events: %v", n, want, h.events.snapshot())
	}
}

// A project whose .vercel/cache cannot be made (a read-only disk; here a
// file named .vercel) gets its build caches in the user's cache folder,
// with a warning, instead of failing every function.
func TestUnwritableCacheFolder(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	h := startHarness(t, map[string]string{".vercel": "not a folder", "api/a.go": goHandler("1")})
	h.waitVersion("/api/a", "1")
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	h.goRT.mu.Lock()
	cache := h.goRT.cache
	h.goRT.mu.Unlock()
	if !strings.HasPrefix(cache, filepath.Join(base, "lambdalens", "dev")+string(filepath.Separator)) {
		t.Errorf("CacheDir = %q, want one under %s", cache, base)
	}
	waitInputs(t, h.srv, "api/a")
	h.goRT.mu.Lock()
	inputsCache := h.goRT.inputsCache
	h.goRT.mu.Unlock()
	if inputsCache != cache {
		t.Errorf("Inputs got CacheDir %q, want %q (the processes')", inputsCache, cache)
	}
	if n := h.events.count(func(ev Event) bool {
		return ev.Type == EventWarning && strings.HasPrefix(ev.Message, "cannot write ") && strings.HasSuffix(ev.Message, "build caches go to "+cache)
	}); n != 1 {
		t.Errorf("%d warnings about the cache folder; events: %v", n, h.events.snapshot())
	}
}

func TestNewValidates(t *testing.T) {
	rts := map[runtimes.Language]runtimes.Runtime{runtimes.Go: newFakeRuntime(runtimes.Go)}
	dir := t.TempDir()
	for name, cfg := range map[string]Config{
		"no runtimes":     {Dir: dir},
		"nil runtime":     {Dir: dir, Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: nil}},
		"missing dir":     {Dir: dir + "/missing", Runtimes: rts},
		"bad listen":      {Dir: dir, Runtimes: rts, Listen: "localhost"},
		"bad listen port": {Dir: dir, Runtimes: rts, Listen: "127.0.0.1:99999"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	for _, listen := range []string{"", "3000", "127.0.0.1:0", ":0", "[::1]:0"} {
		if _, err := New(Config{Dir: dir, Runtimes: rts, Listen: listen}); err != nil {
			t.Errorf("Listen %q: %v", listen, err)
		}
	}
}

func TestCloseJoinsEverything(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"api/a.go": goHandler("1"), "api/b.go": goHandler("1")})
	rt := newFakeRuntime(runtimes.Go)
	srv, err := New(Config{Dir: dir, Listen: "127.0.0.1:0", Prewarm: true, Logger: quietLogger(),
		Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: rt}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	eventually(t, 10*time.Second, "prewarmed processes", func() (bool, string) {
		return len(rt.liveProcs()) == 2, ""
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if n := len(rt.liveProcs()); n != 0 {
		t.Errorf("%d processes alive after Run returned", n)
	}
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	for _, fn := range []string{"devserver.(*Server).goBackground", "watch.(*notifyWatcher).loop", "devserver.(*reloader).run", "devserver.(*front).runClock"} {
		if strings.Contains(stacks, fn) {
			t.Errorf("a goroutine of %s survived Close:\n%s", fn, stacks)
		}
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestNothingToServeWarns: a folder with neither functions nor static files
// (likely not the project's root) is said so at start; a static-only
// project is not.
func TestNothingToServeWarns(t *testing.T) {
	nothing := func(ev Event) bool {
		return ev.Type == EventWarning && strings.Contains(ev.Message, "nothing to serve")
	}
	loaded := func(ev Event) bool { return ev.Type == EventProjectLoaded }
	for _, tc := range []struct {
		name  string
		files map[string]string
		warns bool
	}{
		{"empty", map[string]string{"README.md": "notes\n"}, true},
		{"static only", map[string]string{"public/index.html": "<p>hi</p>\n"}, false},
		{"a function", map[string]string{"api/a.go": goHandler("1")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startHarness(t, tc.files)
			// Start emits the load event and the warning before it returns.
			h.events.waitFor(t, "the project to load", loaded)
			if got := h.events.count(nothing) == 1; got != tc.warns {
				t.Errorf("warned that there is nothing to serve: %v, want %v; events: %+v", got, tc.warns, h.events.snapshot())
			}
		})
	}
}
