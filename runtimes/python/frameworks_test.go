package python

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// frameworkPins are the packages of the shared test venv; the venv's
// directory name is derived from them, so changing a pin makes a new one.
var frameworkPins = []string{"fastapi==0.115.*", "flask==3.1.*", "uvicorn==0.34.*", "werkzeug==3.1.*"}

var frameworkVenv = sync.OnceValues(func() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no user cache dir: %w", err)
	}
	py, err := realPython()
	if err != nil {
		return "", fmt.Errorf("python3 is not available: %w", err)
	}
	key := strings.NewReplacer("==", "", ".*", "", "*", "").Replace(strings.Join(frameworkPins, "-"))
	dir := filepath.Join(cache, "lambdalens-test", "venv-"+key)
	if _, err := os.Stat(filepath.Join(dir, managedVenvMarker)); err == nil {
		return dir, nil
	}
	// Build next to the final place and rename, so that a concurrent test
	// binary never sees a half-installed venv.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "building-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, py, "-m", "venv", tmp).CombinedOutput(); err != nil {
		return "", fmt.Errorf("python3 -m venv: %v\n%s", err, out)
	}
	args := append([]string{"-m", "pip", "install", "--disable-pip-version-check", "--quiet"}, frameworkPins...)
	if out, err := exec.CommandContext(ctx, filepath.Join(tmp, "bin", "python3"), args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install %s (is PyPI reachable?): %v\n%s", strings.Join(frameworkPins, " "), err, out)
	}
	if err := os.WriteFile(filepath.Join(tmp, managedVenvMarker), nil, 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, managedVenvMarker)); serr == nil {
			return dir, nil // another test binary won the race
		}
		return "", err
	}
	return dir, nil
})

// needFrameworks returns the test venv with FastAPI, Flask, uvicorn and
// werkzeug, or skips the test loudly when it cannot be built.
func needFrameworks(t *testing.T) string {
	t.Helper()
	dir, err := frameworkVenv()
	if err != nil {
		t.Skipf("SKIPPING framework test: cannot build the test venv with %v: %v", frameworkPins, err)
	}
	return dir
}

func getJSON(t *testing.T, method, url, body string) map[string]any {
	t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var code int
	var text string
	if rd != nil {
		code, text, _ = do(t, method, url, rd)
	} else {
		code, text, _ = do(t, method, url, nil)
	}
	if code != 200 {
		t.Fatalf("%s %s = %d %q", method, url, code, text)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s %s: %v in %q", method, url, err, text)
	}
	return m
}

func TestStartDevFrameworks(t *testing.T) {
	t.Parallel()
	venv := needFrameworks(t)
	tests := []struct {
		name   string
		files  map[string]string
		file   string
		ep     runtimes.Entrypoint
		server string
		check  func(t *testing.T, base string)
	}{
		{
			name: "FastAPI under uvicorn",
			file: "main.py",
			ep:   runtimes.Entrypoint{Kind: runtimes.KindApp, Symbol: "app", AppKind: runtimes.AppASGI, Framework: "fastapi"},
			files: map[string]string{"main.py": `from contextlib import asynccontextmanager
from fastapi import FastAPI, Request


@asynccontextmanager
async def lifespan(app):
    app.state.ready = "yes"
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/items/{item_id}")
async def item(item_id: int, q: str = ""):
    return {"item_id": item_id, "q": q, "ready": app.state.ready}


@app.post("/echo")
async def echo(request: Request):
    return {"len": len(await request.body())}
`},
			server: "(asgi, uvicorn)",
			check: func(t *testing.T, base string) {
				m := getJSON(t, "GET", base+"/items/7?q=x", "")
				if m["item_id"] != 7.0 || m["q"] != "x" || m["ready"] != "yes" {
					t.Errorf("GET /items/7 = %v", m)
				}
				if m := getJSON(t, "POST", base+"/echo", "hello"); m["len"] != 5.0 {
					t.Errorf("POST /echo = %v", m)
				}
			},
		},
		{
			// A plain WSGI app reading its input to the end, as PEP 3333
			// lets it when the server simulates the end at CONTENT_LENGTH
			// (Vercel's and the Lambda adapter's BytesIO): werkzeug hands
			// over the socket, whose end never comes on a kept connection.
			name:   "a WSGI app reading wsgi.input whole, under werkzeug",
			file:   "raw.py",
			ep:     runtimes.Entrypoint{Kind: runtimes.KindApp, Symbol: "app", AppKind: runtimes.AppWSGI},
			files:  map[string]string{"raw.py": rawInputWSGI},
			server: "(wsgi, werkzeug)",
			check:  checkRawInput,
		},
		{
			name: "Flask under werkzeug",
			file: "index.py",
			ep:   runtimes.Entrypoint{Kind: runtimes.KindApp, Framework: "flask"},
			files: map[string]string{"index.py": `from flask import Flask, request

app = Flask(__name__)


@app.route("/hello/<name>", methods=["GET", "POST"])
def hello(name):
    return {"hello": name, "method": request.method, "body": request.get_data(as_text=True)}
`},
			server: "(wsgi, werkzeug)",
			check: func(t *testing.T, base string) {
				m := getJSON(t, "POST", base+"/hello/ada", "data")
				if m["hello"] != "ada" || m["method"] != "POST" || m["body"] != "data" {
					t.Errorf("POST /hello/ada = %v", m)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeTree(t, root, tt.files)
			p, stderr, err := startDev(t, root, tt.file, tt.ep, baseEnv("VIRTUAL_ENV="+venv))
			if err != nil {
				t.Fatalf("StartDev: %v", err)
			}
			waitStderr(t, stderr, tt.server)
			tt.check(t, "http://"+p.Addr())
			if err := p.Stop(t.Context()); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			if err := p.Err(); err != nil {
				t.Errorf("Err after Stop = %v", err)
			}
		})
	}
}

// rawInputWSGI answers with the length of what wsgi.input.read() gave it.
const rawInputWSGI = `import json


def refused():
    raise ConnectionRefusedError("the database is down")
    yield b""


def app(environ, start_response):
    if environ["PATH_INFO"] == "/refused":
        raise ConnectionRefusedError("the database is down")
    if environ["PATH_INFO"] == "/refused-stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return refused()
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"got": len(body)}).encode()]
`

func checkRawInput(t *testing.T, base string) {
	t.Helper()
	if m := getJSON(t, "POST", base+"/x", "hello"); m["got"] != 5.0 {
		t.Errorf("POST = %v, want got 5", m)
	}
	if m := getJSON(t, "GET", base+"/x", ""); m["got"] != 0.0 {
		t.Errorf("GET = %v, want got 0", m)
	}
	// The app's own ConnectionError is its error: a 500, not a request
	// left without an answer (werkzeug takes it for the client gone).
	for _, path := range []string{"/refused", "/refused-stream"} {
		if code, _, _ := do(t, "GET", base+path, nil); code != 500 {
			t.Errorf("GET %s = %d, want 500", path, code)
		}
	}
}

func TestStartDevFastAPIStartupError(t *testing.T) {
	t.Parallel()
	venv := needFrameworks(t)
	root := t.TempDir()
	writeTree(t, root, map[string]string{"main.py": `from contextlib import asynccontextmanager
from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app):
    raise RuntimeError("database unreachable")
    yield


app = FastAPI(lifespan=lifespan)
`})
	_, _, err := startDev(t, root, "main.py", runtimes.Entrypoint{Kind: runtimes.KindApp}, baseEnv("VIRTUAL_ENV="+venv))
	be, ok := err.(*runtimes.BuildError)
	if !ok {
		t.Fatalf("err = %v (%T), want *runtimes.BuildError", err, err)
	}
	d := be.Diagnostics[0]
	if d.File != "main.py" || d.Range.Start.Line != 7 || !strings.Contains(d.Message, "database unreachable") {
		t.Errorf("diagnostic = %s, want main.py:7 database unreachable\n%s", d, be.Output)
	}
}
