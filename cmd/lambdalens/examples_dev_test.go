package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/devserver"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// End-to-end tests of `lambdalens dev` on the examples: the command is
// built once and run as a real child process (its own process group) on a
// copy of each example, with --json; the tests read its events, talk HTTP
// to it, edit the copy's files, plant errors and send real signals to it
// and to its function processes. After each test lambdalens must exit 0 on
// SIGTERM and leave no process behind (checked in /proc).
//
// Python functions run on the shared framework venv of the runtimes/python
// tests (VIRTUAL_ENV in lambdalens's environment), so that the framework
// examples need no per-copy install; python-basic and mixed have no
// dependencies and run on python3 from PATH.

// TestExamplesDev builds the CLI and runs one parallel subtest per
// scenario.
func TestExamplesDev(t *testing.T) {
	needToolchains(t)
	bin := buildDevCLI(t)
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, bin string)
	}{
		{"go-api", testDevGoAPI},
		{"go-server", testDevGoServer},
		{"python-basic", testDevPythonBasic},
		{"python-fastapi", testDevPythonFastAPI},
		{"python-flask", testDevPythonFlask},
		{"mixed", testDevMixed},
		{"python-modules", testDevPythonModules},
		{"go-embed", testDevGoEmbed},
		{"python-fastapi-reload-under-load", testDevReloadUnderLoad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			tc.run(t, bin)
			t.Logf("%s: %s", tc.name, time.Since(start).Round(time.Millisecond))
		})
	}
}

// devCall is one request and the answer it must get.
type devCall struct {
	method, path string
	header       http.Header
	body         []byte
	status       int
	ctype, want  string
}

// check makes the calls and compares status, Content-Type and body.
func (d *devServer) check(calls []devCall) {
	d.t.Helper()
	for _, c := range calls {
		r := d.do(c.method, c.path, c.header, c.body)
		if r.status != c.status || r.body != c.want || (c.ctype != "" && r.header.Get("Content-Type") != c.ctype) {
			d.t.Errorf("%s %s = %s, want %d %q (Content-Type %q)", c.method, c.path, r, c.status, c.want, c.ctype)
		}
	}
}

// testDevGoAPI: every route of examples/go-api, an edit of a package two
// handlers import, a compile error and its fix, a SIGKILLed function
// process, and SIGTERM.
func testDevGoAPI(t *testing.T, bin string) {
	root := copyExample(t, "go-api", "go-api", "")
	d := startDev(t, bin, root, "")

	const jsonCT, textCT = "application/json; charset=utf-8", "text/plain; charset=utf-8"
	d.check([]devCall{
		{method: "GET", path: "/api/hello?name=Ada", status: 200, ctype: jsonCT, want: `{"message":"Hello, Ada!"}` + "\n"},
		{method: "GET", path: "/api/users/42", status: 200, ctype: textCT, want: "user 42: Hello, user 42!\n"},
		{method: "GET", path: "/api/users/0", status: 404, ctype: textCT, want: "no user 0\n"},
		{method: "GET", path: "/api/docs/a/b", status: 200, ctype: textCT, want: `docs page "a > b" (2 segments)` + "\n"},
		// The entrypoint's file name is an alias of its route.
		{method: "GET", path: "/api/hello.go", status: 200, ctype: jsonCT, want: `{"message":"Hello, world!"}` + "\n"},
	})
	r := d.get("/api/nope", "Accept", "application/json")
	e := decodeErrorJSON(t, r)
	if r.status != 404 || r.header.Get("Content-Type") != jsonCT || e.Error.Code != 404 || e.Error.ErrorCode != "NOT_FOUND" ||
		e.Error.ID == "" || e.Error.ID != r.header.Get("X-Vercel-Id") {
		t.Errorf("GET /api/nope (Accept: application/json) = %s, X-Vercel-Id %q; want a 404 NOT_FOUND JSON error with the request id",
			r, r.header.Get("X-Vercel-Id"))
	}
	// Requests are logged with their function (none for the 404).
	d.waitEvent(0, "request event for /api/users/0", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventRequest && ev.Path == "/api/users/0" && ev.Function == "api/users/[id]" && ev.Status == 404
	})
	d.waitEvent(0, "request event for /api/nope", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventRequest && ev.Path == "/api/nope" && ev.Function == "" && ev.Status == 404
	})

	// lib/greet is imported by api/hello.go and api/users/[id].go: both
	// are rebuilt.
	mark := d.mark()
	editFile(t, root, "lib/greet/greet.go", `"Hello, %s!"`, `"Howdy, %s!"`)
	d.poll("/api/hello", "the edited greeting", func(r reply) bool {
		return r.status == 200 && r.body == `{"message":"Howdy, world!"}`+"\n"
	})
	d.poll("/api/users/1", "the edited greeting", func(r reply) bool {
		return r.status == 200 && r.body == "user 1: Howdy, user 1!\n"
	})
	for _, id := range []string{"api/hello", "api/users/[id]"} {
		d.waitEvent(mark, "build of "+id+" for the edit of lib/greet/greet.go", func(ev devserver.Event) bool {
			return ev.Type == devserver.EventBuildStarted && ev.Function == id && ev.Reason == "changed lib/greet/greet.go"
		})
	}

	// A compile error: the function answers with the compiler's message
	// until it is fixed; the other functions keep serving.
	helloGo := filepath.Join(root, "api", "hello.go")
	good := string(mustRead(t, helloGo))
	mark = d.mark()
	bad := editFile(t, root, "api/hello.go", `greet.Hello(r.URL.Query().Get("name")),`, `greet.Hello(r.URL.Query().Get("name")) + notDefined,`)
	line := lineOf(t, bad, "notDefined")
	at := fmt.Sprintf("api/hello.go:%d", line)
	r = d.poll("/api/hello", "an error page naming "+at, func(r reply) bool {
		return r.status == 502 && strings.Contains(r.body, at)
	}, "Accept", "text/html")
	if ct := r.header.Get("Content-Type"); ct != "text/html; charset=utf-8" || !strings.Contains(r.body, "undefined: notDefined") {
		t.Errorf("error page for the compile error: Content-Type %q, want text/html; body without the compiler's message:\n%s", ct, r.body)
	}
	ev, _ := d.waitEvent(mark, "build-failed event with a diagnostic at "+at, func(ev devserver.Event) bool {
		return ev.Type == devserver.EventBuildFailed && ev.Function == "api/hello" && hasDiagnostic(ev.Diagnostics, "api/hello.go", line)
	})
	if !strings.Contains(ev.Output, "notDefined") {
		t.Errorf("build-failed event Output lacks the compiler output:\n%s", ev.Output)
	}
	r = d.get("/api/hello", "Accept", "application/json")
	if e := decodeErrorJSON(t, r); r.status != 502 || e.Error.ErrorCode != "NO_RESPONSE_FROM_FUNCTION" ||
		!hasDiagnostic(e.Error.Diagnostics, "api/hello.go", line) || !strings.Contains(e.Error.Details, "notDefined") {
		t.Errorf("GET /api/hello (Accept: application/json) during the compile error = %s, want a 502 with the diagnostic and details", r)
	}
	d.check([]devCall{{method: "GET", path: "/api/users/2", status: 200, want: "user 2: Howdy, user 2!\n"}})
	mark = d.mark()
	writeInPlace(t, helloGo, good)
	d.poll("/api/hello", "the fixed function", func(r reply) bool {
		return r.status == 200 && r.body == `{"message":"Howdy, world!"}`+"\n"
	})
	// Its event may reach stdout after the first response (lines wait a
	// few ms to be written together).
	fixed, _ := d.waitEvent(mark, "process-started event of the fixed api/hello", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessStarted && ev.Function == "api/hello"
	})

	// SIGKILL the function process: the next request restarts it.
	pid := fixed.PID
	start := d.startOf(pid)
	if !alive(pid, start) {
		t.Fatalf("the serving process %d of api/hello is not running", pid)
	}
	mark = d.mark()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("killing the api/hello process %d: %v", pid, err)
	}
	waitDead(t, pid, start)
	d.check([]devCall{{method: "GET", path: "/api/hello?name=again", status: 200, want: `{"message":"Howdy, again!"}` + "\n"}})
	exited, _ := d.waitEvent(mark, fmt.Sprintf("process-exited event for pid %d", pid), func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessExited && ev.PID == pid
	})
	if !exited.Crashed || exited.Function != "api/hello" || !strings.Contains(exited.ExitStatus, "killed") {
		t.Errorf("process-exited event after SIGKILL = %+v, want api/hello crashed (killed)", exited)
	}
	d.waitEvent(mark, "a restart of api/hello after the crash", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventBuildStarted && ev.Function == "api/hello" && ev.Reason == "restart after a crash"
	})
	d.waitEvent(mark, "a new api/hello process", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessStarted && ev.Function == "api/hello" && ev.PID != pid
	})

	d.stop()
}

// testDevGoServer: examples/go-server's routes, its log lines as output
// events, a restart on an edit of main.go, and SIGTERM.
func testDevGoServer(t *testing.T, bin string) {
	root := copyExample(t, "go-server", "go-server", "")
	d := startDev(t, bin, root, "")
	d.check([]devCall{
		{method: "GET", path: "/", status: 200, ctype: "text/plain; charset=utf-8", want: "Hello from a Go server\n"},
		{method: "GET", path: "/api/health", status: 200, ctype: "application/json", want: `{"status":"ok"}` + "\n"},
		{method: "POST", path: "/api/echo", header: hdr("Content-Type", "application/x-test"), body: []byte("ping"),
			status: 200, ctype: "application/x-test", want: "ping"},
	})
	first, _ := d.waitEvent(0, "process-started event of the server", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessStarted && ev.Function == "index" && ev.File == "main.go"
	})
	d.waitEvent(0, "the server's log line as an output event", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventOutput && ev.Function == "index" && ev.Stream == "stderr" &&
			strings.HasSuffix(ev.Message, "listening on "+first.Addr)
	})

	mark := d.mark()
	editFile(t, root, "main.go", `"Hello from a Go server"`, `"Hello from an edited Go server"`)
	d.poll("/", "the edited text", func(r reply) bool { return r.status == 200 && r.body == "Hello from an edited Go server\n" })
	d.waitEvent(mark, "a new server process", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessStarted && ev.Function == "index" && ev.PID != first.PID
	})
	// The replaced process is stopped, which is no crash.
	ev, _ := d.waitEvent(mark, "exit of the replaced server process", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventProcessExited && ev.PID == first.PID
	})
	if ev.Crashed {
		t.Errorf("the replaced process's exit is reported as a crash: %+v", ev)
	}
	if alive(first.PID, d.startOf(first.PID)) {
		t.Errorf("the replaced server process %d still runs", first.PID)
	}
	d.stop()
}

// testDevPythonBasic: the two BaseHTTPRequestHandler functions of
// examples/python-basic, a binary POST body.
func testDevPythonBasic(t *testing.T, bin string) {
	lambdatest.HostPython(t)
	root := copyExample(t, "python-basic", "python-basic", "")
	d := startDev(t, bin, root, "")
	body := make([]byte, 70000) // every byte value, CR LF and NUL included
	for i := range body {
		body[i] = byte(i * 7)
	}
	d.check([]devCall{
		{method: "GET", path: "/api/hello?name=Ada", status: 200, ctype: "application/json", want: `{"message": "Hello, Ada!"}`},
		{method: "POST", path: "/api/hello", header: hdr("Content-Type", "application/octet-stream"), body: body,
			status: 200, ctype: "application/json", want: fmt.Sprintf(`{"length": %d}`, len(body))},
	})
	r := d.get("/api/time")
	at, err := time.Parse(time.RFC3339Nano, r.body)
	if r.status != 200 || err != nil || time.Since(at).Abs() > time.Hour || r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("GET /api/time = %s (%v), want the current time as text/plain", r, err)
	}
	var pids []int
	for _, id := range []string{"api/hello", "api/time"} {
		ev, _ := d.waitEvent(0, "process-started event of "+id, func(ev devserver.Event) bool {
			return ev.Type == devserver.EventProcessStarted && ev.Function == id && ev.File == id+".py"
		})
		pids = append(pids, ev.PID)
	}

	// SIGKILL lambdalens itself: its function processes die with it.
	d.kill()
	for _, pid := range pids {
		waitDead(t, pid, d.startOf(pid))
	}
	if left := d.leftovers(); len(left) > 0 {
		t.Errorf("processes left after lambdalens dev was killed:\n%s", strings.Join(left, "\n"))
	}
}

// testDevPythonFastAPI: examples/python-fastapi's root app (JSON, a POST,
// a streamed response), an edit of the module main.py imports, a broken
// import and its fix.
func testDevPythonFastAPI(t *testing.T, bin string) {
	venv := devFrameworkVenv(t)
	root := copyExample(t, "python-fastapi", "python-fastapi", "")
	d := startDev(t, bin, root, venv)
	d.check([]devCall{
		{method: "GET", path: "/", status: 200, ctype: "application/json", want: `{"message":"Hello from FastAPI!"}`},
		{method: "GET", path: "/api/items/3?q=x", status: 200, ctype: "application/json", want: `{"item_id":3,"q":"x"}`},
		{method: "POST", path: "/api/echo", header: hdr("Content-Type", "application/json"), body: []byte(`{"a":[1,"b"]}`),
			status: 200, ctype: "application/json", want: `{"received":{"a":[1,"b"]}}`},
	})
	checkSSE(t, d, "/api/stream", []string{"data: 0", "data: 1", "data: 2", "data: 3", "data: 4"})

	mark := d.mark()
	editFile(t, root, "greetings.py", `f"Hello from {name}!"`, `f"Greetings from {name}!"`)
	d.poll("/", "the edited greeting", func(r reply) bool {
		return r.status == 200 && r.body == `{"message":"Greetings from FastAPI!"}`
	})
	d.waitEvent(mark, "build of fastapi for the edit of greetings.py", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventBuildStarted && ev.Function == "fastapi" && ev.Reason == "changed greetings.py"
	})

	// A broken import: the traceback, until it is fixed.
	mainPy := filepath.Join(root, "main.py")
	good := string(mustRead(t, mainPy))
	mark = d.mark()
	bad := editFile(t, root, "main.py", "from greetings import greet\n", "from greetings import nope\n")
	line := lineOf(t, bad, "from greetings import nope")
	at := fmt.Sprintf("main.py:%d:", line)
	r := d.poll("/", "an error page naming "+at, func(r reply) bool {
		return r.status == 502 && strings.Contains(r.body, at)
	}, "Accept", "text/html")
	if !strings.Contains(r.body, "ImportError") {
		t.Errorf("error page for the broken import lacks the ImportError:\n%s", r.body)
	}
	// Without Accept: text, with the traceback as Python printed it.
	r = d.get("/")
	if frame := fmt.Sprintf("main.py\", line %d, in <module>", line); r.status != 502 || !strings.Contains(r.body, frame) ||
		!strings.Contains(r.body, "Traceback (most recent call last)") {
		t.Errorf("GET / during the broken import = %s, want a 502 with the traceback naming %s", r, frame)
	}
	ev, _ := d.waitEvent(mark, "build-failed event with a diagnostic at "+at, func(ev devserver.Event) bool {
		return ev.Type == devserver.EventBuildFailed && ev.Function == "fastapi" && hasDiagnostic(ev.Diagnostics, "main.py", line)
	})
	if !strings.Contains(ev.Output, "ImportError") {
		t.Errorf("build-failed event Output lacks the traceback:\n%s", ev.Output)
	}
	writeInPlace(t, mainPy, good)
	d.poll("/", "the fixed app", func(r reply) bool {
		return r.status == 200 && r.body == `{"message":"Greetings from FastAPI!"}`
	})
}

// checkSSE reads a server-sent event stream and compares its data lines,
// checking that it comes as a stream (chunked, not buffered whole).
func checkSSE(t *testing.T, d *devServer, path string, want []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), devTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := d.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") || resp.ContentLength != -1 {
		t.Errorf("GET %s = %d, Content-Type %q, Content-Length %d; want a 200 text/event-stream of unknown length",
			path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.ContentLength)
	}
	var got []string
	br := bufio.NewReader(resp.Body)
	for range 100 {
		line, err := br.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			got = append(got, line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading the stream of %s: %v (so far %q)", path, err, got)
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("GET %s streamed %q, want %q", path, got, want)
	}
}

// testDevPythonFlask: the Flask function of examples/python-flask, its
// index route and paths the vercel.json rewrite sends to it.
func testDevPythonFlask(t *testing.T, bin string) {
	venv := devFrameworkVenv(t)
	root := copyExample(t, "python-flask", "python-flask", "")
	d := startDev(t, bin, root, venv)
	for _, c := range []struct {
		method, path, body string
		want               any
	}{
		{"GET", "/api", "", map[string]any{"message": "Hello from Flask"}},
		{"GET", "/api/users/7?name=Ada", "", map[string]any{"id": 7.0, "name": "Ada"}},
		{"POST", "/api/echo", `{"a":[1,"b"]}`, map[string]any{"received": map[string]any{"a": []any{1.0, "b"}}}},
	} {
		var header http.Header
		var body []byte
		if c.body != "" {
			header, body = hdr("Content-Type", "application/json"), []byte(c.body)
		}
		r := d.do(c.method, c.path, header, body)
		var got any
		err := json.Unmarshal([]byte(r.body), &got)
		if r.status != 200 || err != nil || r.header.Get("Content-Type") != "application/json" || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s %s = %s (%v), want 200 application/json %v", c.method, c.path, r, err, c.want)
		}
	}
	d.waitEvent(0, "request event for the rewritten /api/users/7", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventRequest && ev.Path == "/api/users/7" && ev.Function == "api/index" && ev.Status == 200
	})
}

// testDevMixed: examples/mixed, Go and Python functions, static files
// (ETag, 304, content types, 404.html), the rewrite, the redirect and the
// header rule.
func testDevMixed(t *testing.T, bin string) {
	lambdatest.HostPython(t)
	root := copyExample(t, "mixed", "mixed", "")
	d := startDev(t, bin, root, "")
	public := func(name string) string { return string(mustRead(t, filepath.Join(root, "public", name))) }
	var replies []reply
	got := func(path string, kv ...string) reply {
		t.Helper()
		r := d.get(path, kv...)
		replies = append(replies, r)
		return r
	}

	if r := got("/hello/Ada"); r.status != 200 || r.body != "Hello from Go, Ada!\n" {
		t.Errorf("GET /hello/Ada = %s, want the Go function's greeting", r)
	}
	r := got("/api/stats?v=1&v=5")
	var stats struct {
		Mean float64 `json:"mean"`
		N    int     `json:"n"`
	}
	if err := json.Unmarshal([]byte(r.body), &stats); err != nil || r.status != 200 || stats.Mean != 3 || stats.N != 2 {
		t.Errorf("GET /api/stats?v=1&v=5 = %s (%v), want mean 3 of 2 values", r, err)
	}
	r = got("/")
	etag := r.header.Get("ETag")
	if r.status != 200 || r.body != public("index.html") || r.header.Get("Content-Type") != "text/html; charset=utf-8" || etag == "" {
		t.Errorf("GET / = %s, ETag %q; want public/index.html as text/html with an ETag", r, etag)
	}
	if r := got("/", "If-None-Match", etag); r.status != 304 || r.body != "" {
		t.Errorf("GET / with If-None-Match %s = %s, want 304 with no body", etag, r)
	}
	if r := got("/style.css"); r.status != 200 || r.body != public("style.css") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") {
		t.Errorf("GET /style.css = %s, want public/style.css as text/css", r)
	}
	if r := got("/nope"); r.status != 404 || r.body != public("404.html") {
		t.Errorf("GET /nope = %s, want 404 with public/404.html", r)
	}
	if r := got("/old-home"); r.status != 308 || r.header.Get("Location") != "/" {
		t.Errorf("GET /old-home = %s, Location %q; want a 308 to /", r, r.header.Get("Location"))
	}
	// The header rule applies to every answer but the redirect: Vercel
	// puts redirects before header rules in the route table, and a
	// redirect ends routing.
	for i, r := range replies {
		want := []string{"DENY"}
		if r.status == 308 {
			want = nil
		}
		if v := r.header.Values("X-Frame-Options"); strings.Join(v, ",") != strings.Join(want, ",") {
			t.Errorf("reply %d (%s) has X-Frame-Options %q, want %q", i+1, r, v, want)
		}
	}
	d.waitEvent(0, "request event for the rewritten /hello/Ada", func(ev devserver.Event) bool {
		return ev.Type == devserver.EventRequest && ev.Path == "/hello/Ada" && ev.Function == "api/hello" && ev.Status == 200
	})
}
