package python

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

const handlerApp = `from http.server import BaseHTTPRequestHandler
from api.helpers import greet      # a sibling, by its path from the root
from lib.shared import PREFIX      # a package at the project root
from . import helpers as rel       # relative to the api package


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = (PREFIX + greet(self.path) + " " + rel.__name__).encode()
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
`

func TestStartDevHandler(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/hello.py":   handlerApp,
		"api/helpers.py": "def greet(path):\n    return 'hello ' + path\n",
		"lib/shared.py":  "PREFIX = '>> '\n",
	})
	p, stderr, err := startDev(t, root, "api/hello.py", runtimes.Entrypoint{Symbol: "handler", AppKind: runtimes.AppHandler}, baseEnv())
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	code, body, _ := do(t, "GET", "http://"+p.Addr()+"/api/hello?x=1", nil)
	if want := ">> hello /api/hello?x=1 api.helpers"; code != 200 || body != want {
		t.Errorf("GET = %d %q, want 200 %q", code, body, want)
	}
	waitStderr(t, stderr, "(BaseHTTPRequestHandler, http.server)")
	if in := p.(interface{ Interpreter() Interp }).Interpreter(); in.Source != SourcePath || in.Path == "" {
		t.Errorf("Interpreter() = %+v, want python3 on PATH", in)
	}
	if err := p.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err after Stop = %v", err)
	}
	// Nothing may be written into the user's tree except .vercel/cache.
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(root, path)
		if d != nil && d.IsDir() && rel == ".vercel" {
			return filepath.SkipDir
		}
		if d != nil && (d.Name() == "__pycache__" || strings.HasPrefix(d.Name(), "lambdalens_dev")) {
			t.Errorf("dev process wrote %s into the project tree", rel)
		}
		return nil
	})
	shims, _ := filepath.Glob(filepath.Join(root, ".vercel", "cache", "python", "shim-*", "lambdalens_*.py"))
	if len(shims) != 2 {
		t.Errorf("shim files in .vercel/cache/python: %v, want lambdalens_dev.py and lambdalens_asgi.py", shims)
	}
}

const asgiApp = `import asyncio, hashlib, os, sys

release = None


async def respond(send, body, status=200):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(body))]})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    global release
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                scope["state"]["greeting"] = "started"
                await send({"type": "lifespan.startup.complete"})
            elif m["type"] == "lifespan.shutdown":
                with open(os.path.join(os.getcwd(), "shutdown.txt"), "w") as f:
                    f.write("bye")
                await send({"type": "lifespan.shutdown.complete"})
                return
    if release is None:
        release = asyncio.Event()
    path = scope["path"]
    if path == "/release":
        release.set()
        await respond(send, b"released")
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"one\n", "more_body": True})
        await release.wait()
        await send({"type": "http.response.body", "body": b"two\n", "more_body": False})
    elif path == "/echo":
        h, n = hashlib.sha256(), 0
        while True:
            m = await receive()
            b = m.get("body", b"")
            h.update(b)
            n += len(b)
            if not m.get("more_body"):
                break
        await respond(send, ("%s %d %s" % (scope["method"], n, h.hexdigest())).encode())
    elif path == "/noresponse":
        return
    elif path == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x" * (64 << 20)})
    elif path == "/oserror":
        open("/nonexistent/lambdalens-test")
    elif path == "/raiseafterstart":
        await send({"type": "http.response.start", "status": 204 if scope["query_string"] == b"204" else 200, "headers": []})
        raise RuntimeError("after start")
    elif path == "/mark":
        # A line in the log after everything before it.
        print("MARK", scope["query_string"].decode(), file=sys.stderr, flush=True)
        await respond(send, b"marked")
    elif path == "/longpoll":
        # Returns without a response once the client has gone.
        mark = os.path.join(os.path.dirname(__file__), "..", "longpoll")
        open(mark + ".waiting", "w").close()
        while (await receive())["type"] != "http.disconnect":
            pass
        open(mark + ".left", "w").close()
    else:
        await respond(send, ("%s %s %s" % (scope["state"].get("greeting"), scope["path"],
                                           scope["query_string"].decode())).encode(), status=203)
`

// waitFile waits until path exists, for up to 10 s.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear within 10 s", path)
		}
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
	}
}

// StartDev tells the user on the process's stderr, once per Runtime, that a
// project without dependencies runs on the system Python; a restart says
// nothing.
func TestStartDevSystemPythonNotice(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{"api/hello.py": "from http.server import BaseHTTPRequestHandler\n\nclass handler(BaseHTTPRequestHandler):\n    pass\n"})
	r := &Runtime{Logger: quietLogger()}
	start := func() string {
		t.Helper()
		stderr := &syncBuffer{}
		p, err := r.StartDev(t.Context(), runtimes.DevRequest{
			Root: root, File: "api/hello.py", Entrypoint: runtimes.Entrypoint{Symbol: "handler", AppKind: runtimes.AppHandler},
			Env: baseEnv(), Stderr: stderr, Logger: quietLogger(),
		})
		if err != nil {
			t.Fatalf("StartDev: %v\n%s", err, stderr.String())
		}
		// The notice is written before StartDev returns.
		out := stderr.String()
		if err := p.Stop(t.Context()); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		return out
	}
	const want = "lambdalens: using "
	if out := start(); !strings.HasPrefix(out, want) || !strings.Contains(out, "declares no dependencies") {
		t.Errorf("first start: stderr %q, want it to start with the system Python notice", out)
	}
	if out := start(); strings.Contains(out, want) {
		t.Errorf("restart: stderr %q repeats the system Python notice", out)
	}
}

func TestStartDevBuiltinASGI(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{"api/stream.py": asgiApp})
	// LAMBDALENS_DEV_SERVER=builtin keeps the test on the built-in server
	// even if the system Python has uvicorn.
	p, stderr, err := startDev(t, root, "api/stream.py", runtimes.Entrypoint{}, baseEnv("LAMBDALENS_DEV_SERVER=builtin"))
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	base := "http://" + p.Addr()
	waitStderr(t, stderr, "(asgi, built-in server)")

	t.Run("lifespan state and query", func(t *testing.T) {
		code, body, _ := do(t, "GET", base+"/caf%C3%A9?a=1&b=2", nil)
		if want := "started /café a=1&b=2"; code != 203 || body != want {
			t.Errorf("GET = %d %q, want 203 %q", code, body, want)
		}
	})

	t.Run("request body", func(t *testing.T) {
		payload := make([]byte, 3<<20)
		rand.Read(payload)
		sum := sha256.Sum256(payload)
		want := fmt.Sprintf("POST %d %s", len(payload), hex.EncodeToString(sum[:]))
		// A request without a body still gets its http.request message
		// (the app reads until more_body is false).
		code, body, _ := do(t, "GET", base+"/echo", nil)
		if want := "GET 0 " + hex.EncodeToString(sha256.New().Sum(nil)); code != 200 || body != want {
			t.Errorf("GET /echo = %d %q, want 200 %q", code, body, want)
		}
		for _, tc := range []struct {
			name string
			body io.Reader
		}{
			{"content-length", bytes.NewReader(payload)},
			{"chunked", io.MultiReader(bytes.NewReader(payload[:1000]), bytes.NewReader(payload[1000:]))},
		} {
			code, body, _ := do(t, "POST", base+"/echo", tc.body)
			if code != 200 || body != want {
				t.Errorf("%s: POST /echo = %d %q, want 200 %q", tc.name, code, body, want)
			}
		}
	})

	// An app that returns without a response gets a 500 and the reason in
	// the log, as under uvicorn (not a closed connection, which the dev
	// server would answer 502 without saying why).
	t.Run("no response", func(t *testing.T) {
		code, body, _ := do(t, "GET", base+"/noresponse", nil)
		if code != 500 || body != "Internal Server Error\n" {
			t.Errorf("GET /noresponse = %d %q, want 500", code, body)
		}
		waitStderr(t, stderr, "ASGI callable returned without starting response")
		// HEAD gets the status without a body.
		if code, body, _ := do(t, "HEAD", base+"/noresponse", nil); code != 500 || body != "" {
			t.Errorf("HEAD /noresponse = %d %q, want 500 without a body", code, body)
		}
		waitStderrCount(t, stderr, "ASGI callable returned without starting response", 2)
	})

	// An app's own OSError is its error, not a client gone; and one
	// raised after http.response.start but before any body still gets a
	// 500, since nothing was sent.
	t.Run("app errors", func(t *testing.T) {
		for path, want := range map[string]string{"/oserror": "FileNotFoundError", "/raiseafterstart": "RuntimeError: after start", "/raiseafterstart?204": "RuntimeError: after start"} {
			code, body, _ := do(t, "GET", base+path, nil)
			if code != 500 || body != "Internal Server Error\n" {
				t.Errorf("GET %s = %d %q, want 500", path, code, body)
			}
			waitStderr(t, stderr, want)
		}
		// Both "after start" tracebacks end with the same line: wait for
		// the second too, or it lands in the next subtest's count.
		waitStderrCount(t, stderr, "RuntimeError: after start", 2)
	})

	// A client that leaves during the one body message of a large
	// response is gone, not the app's error: nothing is printed.
	t.Run("client gone during the last body", func(t *testing.T) {
		before := strings.Count(stderr.String(), "Traceback")
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := io.ReadFull(c, make([]byte, 200<<10)); err != nil {
			t.Fatalf("reading the start of /big: %v", err)
		}
		c.Close()
		if code, _, _ := do(t, "GET", base+"/mark?after-big", nil); code != 200 {
			t.Fatalf("GET /mark = %d", code)
		}
		waitStderr(t, stderr, "MARK after-big")
		if strings.Count(stderr.String(), "Traceback") != before {
			t.Errorf("a client leaving a large response printed a traceback:\n%s", stderr.String())
		}
	})

	// An app that returns on http.disconnect, after its client left,
	// has no one to answer: nothing is reported.
	t.Run("client gone", func(t *testing.T) {
		const msg = "ASGI callable returned without starting response"
		before := strings.Count(stderr.String(), msg)
		ctx, cancel := context.WithCancel(t.Context())
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/longpoll", nil)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		waitFile(t, filepath.Join(root, "longpoll.waiting"))
		cancel()
		<-done
		waitFile(t, filepath.Join(root, "longpoll.left"))
		// A line logged after the app returned: what it printed is there.
		if code, _, _ := do(t, "GET", base+"/mark?after-longpoll", nil); code != 200 {
			t.Fatalf("GET /mark = %d", code)
		}
		waitStderr(t, stderr, "MARK after-longpoll")
		if strings.Count(stderr.String(), msg) != before {
			t.Errorf("a long poll whose client left was reported as an app error:\n%s", stderr.String())
		}
	})

	t.Run("streaming response", func(t *testing.T) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", base+"/stream", nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
			t.Errorf("TransferEncoding = %v, want chunked", resp.TransferEncoding)
		}
		br := bufio.NewReader(resp.Body)
		// The app holds the second chunk until /release: reading the first
		// one proves the response is streamed, not buffered.
		first, err := br.ReadString('\n')
		if err != nil || first != "one\n" {
			t.Fatalf("first chunk = %q, %v", first, err)
		}
		if code, body, _ := do(t, "GET", base+"/release", nil); code != 200 || body != "released" {
			t.Fatalf("GET /release = %d %q", code, body)
		}
		rest, err := io.ReadAll(br)
		if err != nil || string(rest) != "two\n" {
			t.Errorf("rest = %q, %v; want \"two\\n\"", rest, err)
		}
	})

	if err := p.Stop(t.Context()); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "shutdown.txt")); err != nil || string(b) != "bye" {
		t.Errorf("lifespan shutdown did not run: %q, %v", b, err)
	}
}

const wsgiApp = `def app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    out = ("%s %s %s %s" % (environ["REQUEST_METHOD"], environ["PATH_INFO"],
                            environ["QUERY_STRING"], body.decode())).encode()
    start_response("201 Created", [("Content-Type", "text/plain"), ("Content-Length", str(len(out)))])
    return [out]
`

func TestStartDevWSGIRef(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{"app.py": wsgiApp})
	tests := []struct {
		name string
		ep   runtimes.Entrypoint
	}{
		{"hinted", runtimes.Entrypoint{Kind: runtimes.KindApp, Symbol: "app", AppKind: runtimes.AppWSGI}},
		{"detected at run time", runtimes.Entrypoint{Kind: runtimes.KindApp}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, stderr, err := startDev(t, root, "app.py", tt.ep, baseEnv("LAMBDALENS_DEV_SERVER=builtin"))
			if err != nil {
				t.Fatalf("StartDev: %v", err)
			}
			code, body, _ := do(t, "POST", "http://"+p.Addr()+"/any/path?q=1", strings.NewReader("payload"))
			if want := "POST /any/path q=1 payload"; code != 201 || body != want {
				t.Errorf("POST = %d %q, want 201 %q", code, body, want)
			}
			// A body of unknown length arrives chunked (as the dev server
			// forwards it); the app gets it whole, with a length.
			chunked := io.MultiReader(strings.NewReader("pay"), strings.NewReader("load"))
			code, body, _ = do(t, "POST", "http://"+p.Addr()+"/c", chunked)
			if want := "POST /c  payload"; code != 201 || body != want {
				t.Errorf("chunked POST = %d %q, want 201 %q", code, body, want)
			}
			waitStderr(t, stderr, "(wsgi, wsgiref)")
		})
	}
	t.Run("wsgi.input read whole", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		writeTree(t, root, map[string]string{"app.py": rawInputWSGI})
		p, _, err := startDev(t, root, "app.py", runtimes.Entrypoint{Kind: runtimes.KindApp, Symbol: "app", AppKind: runtimes.AppWSGI}, baseEnv("LAMBDALENS_DEV_SERVER=builtin"))
		if err != nil {
			t.Fatalf("StartDev: %v", err)
		}
		checkRawInput(t, "http://"+p.Addr())
	})
}

func TestStartDevErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"api/broken.py":  "from api.helpers import explode\n\napp = explode()\n",
		"api/helpers.py": "def explode():\n    return 1 / 0\n",
		"api/syntax.py":  "app = 1\ndef f(:\n    pass\n",
		"api/missing.py": "import lambdalens_no_such_module\napp = None\n",
		"api/noapp.py":   "x = 1\n",
		"api/notapp.py":  "app = 42\n",
	})
	tests := []struct {
		file      string
		diagFile  string
		line      int
		startCol  int // 0: not checked
		endCol    int
		msgPrefix string
	}{
		{"api/broken.py", "api/helpers.py", 2, 12, 17, "ZeroDivisionError: division by zero"},
		{"api/syntax.py", "api/syntax.py", 2, 7, 8, "SyntaxError: invalid syntax"},
		{"api/missing.py", "api/missing.py", 1, 0, 0, "ModuleNotFoundError: No module named 'lambdalens_no_such_module'"},
		{"api/noapp.py", "api/noapp.py", 0, 0, 0, "api/noapp.py: no app, application or handler found"},
		{"api/notapp.py", "api/notapp.py", 0, 0, 0, "api/notapp.py: app is neither an ASGI nor a WSGI application"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			_, _, err := startDev(t, root, tt.file, runtimes.Entrypoint{}, baseEnv())
			var be *runtimes.BuildError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v (%T), want *runtimes.BuildError", err, err)
			}
			if len(be.Diagnostics) != 1 {
				t.Fatalf("Diagnostics = %v, want one", be.Diagnostics)
			}
			if !be.Retry {
				t.Error("an import-time failure is not marked Retry: installing a package would not be noticed")
			}
			d := be.Diagnostics[0]
			if d.File != tt.diagFile || d.Range.Start.Line != tt.line || d.Code != CodeImportError || d.Severity != runtimes.SeverityError {
				t.Errorf("diagnostic = %s (code %s), want %s:%d", d, d.Code, tt.diagFile, tt.line)
			}
			if tt.startCol != 0 && (d.Range.Start.Column != tt.startCol || d.Range.End.Column != tt.endCol) {
				t.Errorf("columns = %d..%d, want %d..%d", d.Range.Start.Column, d.Range.End.Column, tt.startCol, tt.endCol)
			}
			if !strings.HasPrefix(d.Message, tt.msgPrefix) {
				t.Errorf("message = %q, want prefix %q", d.Message, tt.msgPrefix)
			}
			if tt.line != 0 && (!strings.HasPrefix(be.Output, "Traceback (most recent call last):") || strings.Contains(be.Output, "lambdalens_dev")) {
				t.Errorf("Output should be the user's traceback without shim frames:\n%s", be.Output)
			}
			if be.Op != "importing "+tt.file {
				t.Errorf("Op = %q", be.Op)
			}
			var se *proc.StartError
			if !errors.As(err, &se) || se.ExitCode != 3 {
				t.Errorf("the error chain should hold the *proc.StartError with status 3: %v", err)
			}
			if first, _, _ := strings.Cut(err.Error(), "\n"); first != "importing "+tt.file+": exited with status 3" {
				t.Errorf("first line of Error() = %q", first)
			}
		})
	}
}

const crashApp = `import os, signal
from http.server import BaseHTTPRequestHandler


class Fatal(BaseException):  # not caught by socketserver's handle_error
    pass


def on_usr1(signum, frame):
    raise Fatal("crashed on purpose")


signal.signal(signal.SIGUSR1, on_usr1)


class handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
        os.kill(os.getpid(), signal.SIGUSR1)
`

func TestDevProcessCrash(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeTree(t, root, map[string]string{"api/crash.py": crashApp})
	p, _, err := startDev(t, root, "api/crash.py", runtimes.Entrypoint{}, baseEnv())
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	if code, body, _ := do(t, "GET", "http://"+p.Addr()+"/", nil); code != 200 || body != "ok" {
		t.Fatalf("GET = %d %q", code, body)
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the process did not exit after the crash")
	}
	var be *runtimes.BuildError
	if !errors.As(p.Err(), &be) {
		t.Fatalf("Err = %v (%T), want *runtimes.BuildError", p.Err(), p.Err())
	}
	d := be.Diagnostics[0]
	if d.File != "api/crash.py" || d.Range.Start.Line != 10 || d.Code != CodeCrash || d.Message != "api.crash.Fatal: crashed on purpose" {
		t.Errorf("diagnostic = %s (code %s), want api/crash.py:10 api.crash.Fatal", d, d.Code)
	}
}

func TestInputs(t *testing.T) {
	root := t.TempDir()
	in, err := (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: root, File: "api/x.py"})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Trees) != 1 || in.Trees[0] != root || len(in.Exts) != 1 || in.Exts[0] != ".py" {
		t.Errorf("Trees/Exts = %v %v, want [%s] [.py]", in.Trees, in.Exts, root)
	}
	// The dependency files of the entrypoint's folder and of the root:
	// the nearest declaration wins.
	want := map[string]bool{}
	files := []string{"api/x.py", ".python-version", ".env"}
	for _, dir := range []string{"api/", ""} {
		for _, f := range []string{"pyproject.toml", "Pipfile", "Pipfile.lock", "uv.lock", "pylock.toml",
			"requirements.frozen.txt", "requirements-frozen.txt", "requirements.txt", "requirements.in", "requirements/prod.txt"} {
			files = append(files, dir+f)
		}
	}
	for _, f := range files {
		want[filepath.Join(root, filepath.FromSlash(f))] = true
	}
	for _, f := range in.Files {
		if !want[f] {
			t.Errorf("unexpected input %s", f)
		}
		delete(want, f)
	}
	for f := range want {
		t.Errorf("missing input %s", f)
	}
	if _, err := (&Runtime{}).Inputs(t.Context(), runtimes.InputsRequest{Root: "relative"}); err == nil {
		t.Error("a relative root should be an error")
	}
}

// Dev decides an app's kind as the Lambda adapter does: a parameter with a
// default does not make a WSGI app ASGI.
func TestStartDevKindLikeLambda(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	src := strings.Replace(wsgiApp, "def app(environ, start_response):", "def app(environ, start_response, debug=False):", 1)
	writeTree(t, root, map[string]string{"app.py": src})
	p, stderr, err := startDev(t, root, "app.py", runtimes.Entrypoint{Kind: runtimes.KindApp}, baseEnv("LAMBDALENS_DEV_SERVER=builtin"))
	if err != nil {
		t.Fatalf("StartDev: %v", err)
	}
	waitStderr(t, stderr, "(wsgi, wsgiref)")
	if code, body, _ := do(t, "POST", "http://"+p.Addr()+"/k", strings.NewReader("x")); code != 201 || body != "POST /k  x" {
		t.Errorf("POST = %d %q, want the WSGI app's 201", code, body)
	}
}
