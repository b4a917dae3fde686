package devserver

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
)

// e2eTimeout bounds each wait of the end-to-end test; a cold Go build
// cache makes the first build slow.
const e2eTimeout = 3 * time.Minute

// TestEndToEndGo runs the dev server with the real Go runtime on a project
// with two handlers and a standalone server: every route, hot reload of a
// handler and of a package it imports, a compile error and its fix, a
// killed process, and no process left after Close.
func TestEndToEndGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Go programs")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod": "module example.test/e2e\n\ngo 1.26\n",
		"api/hello.go": `package handler

import (
	"fmt"
	"net/http"

	"example.test/e2e/internal/greet"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "hello v1 %s %s", greet.Word(), r.URL.Query().Get("name"))
}
`,
		"internal/greet/greet.go": "package greet\n\nfunc Word() string { return \"hi\" }\n",
		"api/users/[id].go": `package handler

import (
	"fmt"
	"net/http"
	"sync/atomic"
)

var panics atomic.Int64

func Handler(w http.ResponseWriter, r *http.Request) {
	switch id := r.URL.Query().Get("id"); id {
	case "panic":
		panics.Add(1)
		panic("boom")
	case "panics":
		fmt.Fprintf(w, "panics %d", panics.Load())
	default:
		fmt.Fprintf(w, "user %s", id)
	}
}
`,
		"main.go": `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "server %s", r.URL.Path)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`,
		"public/static.txt": "static file",
	})

	events := newEventLog()
	var pidsMu sync.Mutex
	pids := map[int]bool{}
	srv, err := New(Config{
		Dir:      dir,
		Listen:   "127.0.0.1:0",
		Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{Logger: quietLogger()}},
		Logger:   quietLogger(),
		Events: func(ev Event) {
			if ev.Type == EventProcessStarted {
				pidsMu.Lock()
				pids[ev.PID] = true
				pidsMu.Unlock()
			}
			events.add(ev)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			srv.Close(context.Background())
		}
	}()
	client := &http.Client{Timeout: e2eTimeout}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(srv.URL() + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	waitBody := func(path, want string) {
		t.Helper()
		eventually(t, e2eTimeout, path+" to serve "+want, func() (bool, string) {
			code, body := get(path)
			return code == 200 && body == want, fmt.Sprintf("%d %q", code, body)
		})
	}

	// Every route.
	for path, want := range map[string]string{
		"/api/hello?name=ann": "hello v1 hi ann",
		"/api/users/42":       "user 42",
		"/anything/else":      "server /anything/else",
		"/":                   "server /",
		"/static.txt":         "static file",
	} {
		if code, body := get(path); code != 200 || body != want {
			t.Errorf("GET %s = %d %q, want %q", path, code, body, want)
		}
	}

	// A handler's panic, on the kept-alive connection of the request
	// before: 500 FUNCTION_INVOCATION_FAILED naming the panic, and the
	// handler ran once in the same process.
	if code, body := get("/api/users/panic"); code != 500 || !strings.Contains(body, "FUNCTION_INVOCATION_FAILED") || !strings.Contains(body, "The handler panicked: boom") {
		t.Errorf("GET /api/users/panic = %d %q, want 500 FUNCTION_INVOCATION_FAILED with the panic", code, body)
	}
	if code, body := get("/api/users/panics"); code != 200 || body != "panics 1" {
		t.Errorf("after one panicking request: %d %q, want \"panics 1\"", code, body)
	}

	// Edit the handler: the new text is served, the other function is not
	// rebuilt (once the runtime has told which files each depends on).
	waitInputs(t, srv, "api/hello", "api/users/[id]", "index")
	usersStarts := events.count(func(ev Event) bool { return ev.Type == EventBuildStarted && ev.Function == "api/users/[id]" })
	replaceIn(t, filepath.Join(dir, "api", "hello.go"), "hello v1", "hello v2")
	waitBody("/api/hello?name=ann", "hello v2 hi ann")

	// Edit a package the handler imports.
	replaceIn(t, filepath.Join(dir, "internal", "greet", "greet.go"), `"hi"`, `"hey"`)
	waitBody("/api/hello?name=ann", "hello v2 hey ann")
	if n := events.count(func(ev Event) bool { return ev.Type == EventBuildStarted && ev.Function == "api/users/[id]" }); n != usersStarts {
		t.Errorf("api/users/[id] was rebuilt %d times by edits that do not concern it", n-usersStarts)
	}

	// A compile error shows the compiler's file:line until it is fixed.
	replaceIn(t, filepath.Join(dir, "api", "hello.go"), `fmt.Fprintf(w, "hello v2`, `fmt.Fprintf(w, undefinedThing, "hello v2`)
	eventually(t, e2eTimeout, "the compile error page", func() (bool, string) {
		code, body := get("/api/hello")
		return code == http.StatusBadGateway && strings.Contains(body, "api/hello.go:11:") && strings.Contains(body, "undefinedThing"),
			fmt.Sprintf("%d %q", code, body)
	})
	replaceIn(t, filepath.Join(dir, "api", "hello.go"), `fmt.Fprintf(w, undefinedThing, "hello v2`, `fmt.Fprintf(w, "hello v3`)
	waitBody("/api/hello?name=bo", "hello v3 hey bo")

	// Kill the function's process: the next request starts a new one.
	pid := srv.state.Load().funcs["api/hello"].cur.Load().proc.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, e2eTimeout, "the killed process to be gone", func() (bool, string) {
		return !processAlive(pid), ""
	})
	if code, body := get("/api/hello?name=cy"); code != 200 || body != "hello v3 hey cy" {
		t.Errorf("after SIGKILL: %d %q", code, body)
	}
	events.waitFor(t, "the crash to be reported", func(ev Event) bool {
		return ev.Type == EventProcessExited && ev.PID == pid && ev.Crashed && strings.Contains(ev.ExitStatus, "killed")
	})

	// Close: no child is left.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	closed = true
	pidsMu.Lock()
	defer pidsMu.Unlock()
	if len(pids) < 4 {
		t.Errorf("only %d processes were started; the test did not exercise reloads", len(pids))
	}
	for p := range pids {
		if processAlive(p) {
			t.Errorf("process %d is still running after Close", p)
		}
	}
}

func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// processAlive reports whether pid exists and is not a zombie, from /proc.
func processAlive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesized command name.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}
