package lambdatest

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes/golang/lambdaloop"
)

// The end-to-end test builds bootstraps the way package golang generates
// them (the runtime sources copied into package main next to a generated
// main.go), offline, and runs them under the real RIE.

const e2eGoMod = "module example.com/fn\n\ngo 1.26\n"

// e2eHandler is the "user's" function: it echoes the request, sets a
// multi-value header and a cookie, 404s on /missing, panics on /panic and
// answers binary data on /binary.
const e2eHandler = `package api

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/missing":
		http.NotFound(w, r)
		return
	case "/panic":
		panic("handler panic on purpose")
	case "/trailer":
		w.Header().Set("Trailer", "X-Checksum")
		w.Write([]byte("with a trailer"))
		w.Header().Set("X-Checksum", "c0ffee")
		return
	case "/binary":
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(b)
		return
	}
	body, _ := io.ReadAll(r.Body)
	_, hasDeadline := r.Context().Deadline()
	cookies := map[string]string{}
	for _, c := range r.Cookies() {
		cookies[c.Name] = c.Value
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Echo", "a")
	w.Header().Add("X-Echo", "b")
	http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1", Path: "/"})
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(map[string]any{
		"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "name": r.URL.Query().Get("name"),
		"host": r.Host, "requestURI": r.RequestURI, "remoteAddr": r.RemoteAddr, "multi": r.Header.Values("X-Multi"),
		"cookies": cookies, "body": body, "hasDeadline": hasDeadline, "trace": r.Header.Get("X-Amzn-Trace-Id"),
		"wrapped": os.Getenv("WRAPPED"), "wrapperVar": os.Getenv("AWS_LAMBDA_EXEC_WRAPPER"),
	})
}
`

// e2eMain is a generated main for a function.
const e2eMain = `package main

import (
	"net/http"

	handler "example.com/fn/api"
)

func main() {
	Start(http.HandlerFunc(handler.Handler))
}
`

// e2eChildMain is a generated main for a standalone server.
const e2eChildMain = `package main

func main() {
	StartChild("user-server")
}
`

// e2eServer is the "user's" standalone server.
const e2eServer = `package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/exit" {
			os.Exit(3)
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "server %s %s host=%s xff=%s body=%q", r.Method, r.URL.RequestURI(), r.Host, r.Header.Get("X-Forwarded-For"), body)
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

var packageClause = regexp.MustCompile(`(?m)^package lambdaloop$`)

// writeGenerated writes the runtime sources, rewritten to package main, and
// mainSrc into dir.
func writeGenerated(t *testing.T, dir, mainSrc string) {
	t.Helper()
	files := lambdaloop.Sources()
	if len(files) == 0 {
		t.Fatal("lambdaloop.Sources() is empty")
	}
	files["main.go"] = []byte(mainSrc)
	for name, src := range files {
		if name != "main.go" {
			if packageClause.FindIndex(src) == nil {
				t.Fatalf("%s has no package clause to rewrite", name)
			}
			src = packageClause.ReplaceAll(src, []byte("package main"))
		}
		writeFile(t, filepath.Join(dir, name), string(src))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goBuild builds pkg of the module in modDir the way lambdalens builds a
// Lambda, offline (GOPROXY=off: the runtime needs the standard library
// only). It targets this machine's architecture so that RIE can run it.
func goBuild(t *testing.T, modDir, pkg, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = modDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, b)
	}
}

// e2eBuild writes the module and builds the function and the server
// artifacts. It returns their directories.
func e2eBuild(t *testing.T) (funcDir, serverDir string) {
	t.Helper()
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), e2eGoMod)
	writeFile(t, filepath.Join(mod, "api", "handler.go"), e2eHandler)
	writeFile(t, filepath.Join(mod, "srv", "main.go"), e2eServer)
	writeGenerated(t, filepath.Join(mod, "cmd", "fn"), e2eMain)
	writeGenerated(t, filepath.Join(mod, "cmd", "srvboot"), e2eChildMain)
	out := t.TempDir()
	funcDir, serverDir = filepath.Join(out, "fn.func"), filepath.Join(out, "server.func")
	start := time.Now()
	goBuild(t, mod, "./cmd/fn", filepath.Join(funcDir, "bootstrap"))
	goBuild(t, mod, "./cmd/srvboot", filepath.Join(serverDir, "bootstrap"))
	goBuild(t, mod, "./srv", filepath.Join(serverDir, "user-server"))
	t.Logf("built 3 binaries in %v", time.Since(start).Round(time.Millisecond))
	return funcDir, serverDir
}

type e2eEcho struct {
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Query       string            `json:"query"`
	Name        string            `json:"name"`
	Host        string            `json:"host"`
	RequestURI  string            `json:"requestURI"`
	RemoteAddr  string            `json:"remoteAddr"`
	Multi       []string          `json:"multi"`
	Cookies     map[string]string `json:"cookies"`
	Body        []byte            `json:"body"`
	HasDeadline bool              `json:"hasDeadline"`
	Wrapped     string            `json:"wrapped"`
	WrapperVar  string            `json:"wrapperVar"`
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs RIE")
	}
	RIE(t) // build or find it before anything is timed
	funcDir, serverDir := e2eBuild(t)
	t.Run("function", func(t *testing.T) { e2eFunction(t, funcDir) })
	t.Run("exec wrapper", func(t *testing.T) { e2eWrapper(t, funcDir) })
	t.Run("standalone server", func(t *testing.T) { e2eServerChild(t, serverDir) })
}

func e2eFunction(t *testing.T, funcDir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e := Start(t, funcDir, []string{"bootstrap"}, map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "10"})

	reqHeaders := map[string][]string{
		"host":      {"fn.example"},
		"x-real-ip": {"198.51.100.4"},
		"x-multi":   {"a", "b"},
		"cookie":    {"c=1; d=2"},
	}
	raw, err := e.Invoke(ctx, VercelEvent("GET", "/api/hello?name=x", reqHeaders, nil))
	cold := time.Since(e.Started)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := DecodeResponse(EventVercel, raw); err != nil || res.Status != 200 {
		t.Fatalf("first invoke: %v %+v", err, res)
	}

	binaryReq := []byte{0, 0xff, 0xfe, 'a', 0x80, '\n'}
	utf8Req := []byte(`{"name":"x","msg":"héllo ✓"}`)
	for _, kind := range EventKinds {
		t.Run(string(kind), func(t *testing.T) {
			invoke := func(method, path string, h map[string][]string, body []byte) (Response, error) {
				t.Helper()
				raw, err := e.Invoke(ctx, Event(kind, method, path, h, body))
				if err != nil {
					t.Fatal(err)
				}
				return DecodeResponse(kind, raw)
			}
			echoOf := func(res Response, err error, wantStatus int) e2eEcho {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != wantStatus {
					t.Fatalf("status %d, want %d; body %q", res.Status, wantStatus, res.Body)
				}
				var ec e2eEcho
				if err := json.Unmarshal(res.Body, &ec); err != nil {
					t.Fatalf("decoding echo %q: %v", res.Body, err)
				}
				return ec
			}

			res, err := invoke("GET", "/api/hello?name=x", reqHeaders, nil)
			ec := echoOf(res, err, 200)
			wantMulti := []string{"a", "b"}
			if kind == EventAPIGatewayV2 {
				wantMulti = []string{"a,b"}
			}
			if ec.Method != "GET" || ec.Path != "/api/hello" || ec.Name != "x" || ec.RequestURI != "/api/hello?name=x" ||
				ec.Host != "fn.example" || ec.RemoteAddr != "198.51.100.4:0" || !slices.Equal(ec.Multi, wantMulti) ||
				ec.Cookies["c"] != "1" || ec.Cookies["d"] != "2" || !ec.HasDeadline {
				t.Errorf("GET echo %+v", ec)
			}
			wantEcho := []string{"a", "b"}
			if kind == EventAPIGatewayV2 {
				wantEcho = []string{"a,b"}
			}
			if !slices.Equal(res.Headers["X-Echo"], wantEcho) || !slices.Equal(res.Cookies, []string{"seen=1; Path=/"}) {
				t.Errorf("GET response headers %v cookies %q", res.Headers, res.Cookies)
			}

			for _, body := range [][]byte{binaryReq, utf8Req} {
				res, err := invoke("POST", "/api/hello", map[string][]string{"content-type": {"application/octet-stream"}}, body)
				ec := echoOf(res, err, 201)
				if ec.Method != "POST" || string(ec.Body) != string(body) {
					t.Errorf("POST %q: echo %+v", body, ec)
				}
			}

			res, err = invoke("GET", "/binary", nil, nil)
			if err != nil || res.Status != 200 || len(res.Body) != 256 || res.Body[0] != 0 || res.Body[255] != 255 {
				t.Errorf("binary: %v %d %x", err, res.Status, res.Body)
			}
			res, err = invoke("GET", "/missing", nil, nil)
			if err != nil || res.Status != 404 || string(res.Body) != "404 page not found\n" {
				t.Errorf("missing: %v %d %q", err, res.Status, res.Body)
			}
			// Lambda has no trailers: a trailer set after the body is a
			// header, and no Trailer header announces it.
			res, err = invoke("GET", "/trailer", nil, nil)
			if err != nil || res.Status != 200 || res.Headers.Get("X-Checksum") != "c0ffee" || res.Headers.Get("Trailer") != "" {
				t.Errorf("trailer: %v %d headers %v", err, res.Status, res.Headers)
			}
		})
	}

	t.Run("panic", func(t *testing.T) {
		before := e.Processes()
		raw, err := e.Invoke(ctx, VercelEvent("GET", "/panic", nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		_, err = DecodeResponse(EventVercel, raw)
		var fe *FunctionError
		if !errors.As(err, &fe) || fe.Type != "Runtime.Panic" || fe.Message != "handler panic on purpose" ||
			len(fe.StackTrace) == 0 || !strings.Contains(fe.StackTrace[0], "example.com/fn/api.Handler") {
			t.Fatalf("got %v (%s)", err, raw)
		}
		// The function's log has the panicking frame, not only the caller.
		if logs := e.WaitLogs(10*time.Second, "stackTrace=", "example.com/fn/api.Handler ("); !strings.Contains(logs, "stackTrace=") || !strings.Contains(logs, "example.com/fn/api.Handler (") {
			t.Errorf("the log does not show the panic's stack trace:\n%s", logs)
		}
		// The runtime exits after a panic; RIE starts a new one.
		raw, err = e.Invoke(ctx, VercelEvent("GET", "/after", nil, nil))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := DecodeResponse(EventVercel, raw); err != nil || res.Status != 200 {
			t.Fatalf("after the panic: %v %+v", err, res)
		}
		if after := e.Processes(); len(before) == 0 || len(after) == 0 || slices.Equal(before, after) {
			t.Errorf("runtime processes before %v and after %v the panic: want a new runtime", before, after)
		}
	})

	t.Run("unknown event shape", func(t *testing.T) {
		raw, err := e.Invoke(ctx, []byte(`{"hello":"world"}`))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeResponse(EventAPIGatewayV2, raw); !IsFunctionError(err, "Runtime.InvalidEvent") {
			t.Fatalf("got %v (%s)", err, raw)
		}
	})

	t.Run("warm latency", func(t *testing.T) {
		const n = 50
		event := VercelEvent("GET", "/api/hello?name=x", reqHeaders, nil)
		durations := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			raw, err := e.Invoke(ctx, event)
			durations = append(durations, time.Since(start))
			if err != nil {
				t.Fatal(err)
			}
			if res, err := DecodeResponse(EventVercel, raw); err != nil || res.Status != 200 {
				t.Fatalf("warm invoke: %v %+v", err, res)
			}
		}
		sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
		t.Logf("cold start (RIE spawn → first response): %v; warm invoke over %d: median %v, p90 %v, max %v",
			cold.Round(10*time.Microsecond), n, durations[n/2].Round(time.Microsecond), durations[n*9/10].Round(time.Microsecond), durations[n-1].Round(time.Microsecond))
	})

	pids := e.Processes()
	e.Stop()
	waitGone(t, pids)
}

// e2eWrapper checks AWS_LAMBDA_EXEC_WRAPPER: the wrapper runs first, with
// the original command line, and the runtime it execs does not see the
// variable (or it would exec the wrapper again).
func e2eWrapper(t *testing.T, funcDir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	wrapper := filepath.Join(t.TempDir(), "wrapper.sh")
	if err := os.WriteFile(wrapper, []byte("#!/bin/sh\nexport WRAPPED=\"yes $#\"\nexec \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e := Start(t, funcDir, []string{"bootstrap"}, map[string]string{"AWS_LAMBDA_EXEC_WRAPPER": wrapper})
	raw, err := e.Invoke(ctx, APIGatewayV2Event("GET", "/wrapped", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	res, err := DecodeResponse(EventAPIGatewayV2, raw)
	if err != nil {
		t.Fatal(err)
	}
	var ec e2eEcho
	if err := json.Unmarshal(res.Body, &ec); err != nil {
		t.Fatalf("decoding %q: %v", res.Body, err)
	}
	if ec.Wrapped != "yes 1" || ec.WrapperVar != "" {
		t.Errorf("WRAPPED=%q AWS_LAMBDA_EXEC_WRAPPER=%q, want \"yes 1\" (the wrapper ran with the bootstrap as its one argument) and unset", ec.Wrapped, ec.WrapperVar)
	}
}

func e2eServerChild(t *testing.T, serverDir string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := Start(t, serverDir, []string{"bootstrap"}, map[string]string{"AWS_LAMBDA_FUNCTION_TIMEOUT": "10"})

	call := func(kind EventKind, method, path string, h map[string][]string, body []byte) (Response, error) {
		t.Helper()
		raw, err := e.Invoke(ctx, Event(kind, method, path, h, body))
		if err != nil {
			t.Fatal(err)
		}
		return DecodeResponse(kind, raw)
	}
	res, err := call(EventAPIGatewayV2, "GET", "/hello?x=1", map[string][]string{"host": {"srv.example"}, "x-forwarded-for": {"203.0.113.9"}}, nil)
	t.Logf("standalone server cold start (spawn → first response): %v", time.Since(e.Started).Round(10*time.Microsecond))
	want := `server GET /hello?x=1 host=srv.example xff=203.0.113.9 body=""`
	if err != nil || res.Status != 200 || string(res.Body) != want {
		t.Fatalf("got %v %d %q, want %q", err, res.Status, res.Body, want)
	}
	res, err = call(EventVercel, "POST", "/up", nil, []byte("payload"))
	if err != nil || res.Status != 200 || !strings.HasSuffix(string(res.Body), `body="payload"`) {
		t.Fatalf("POST: %v %d %q", err, res.Status, res.Body)
	}

	first := e.Processes()
	if len(first) < 2 {
		t.Fatalf("processes below RIE %v: want the bootstrap and user-server", first)
	}
	// The server dying mid-request fails that invocation; the runtime exits
	// and the next invocation gets a fresh runtime and server.
	if _, err := call(EventVercel, "GET", "/exit", nil, nil); !IsFunctionError(err, "Runtime.ChildExited") {
		t.Fatalf("got %v, want a Runtime.ChildExited function error", err)
	}
	waitGone(t, first)
	res, err = call(EventAPIGatewayV1, "GET", "/again", nil, nil)
	if err != nil || res.Status != 200 || !strings.HasPrefix(string(res.Body), "server GET /again") {
		t.Fatalf("after the server exited: %v %d %q", err, res.Status, res.Body)
	}

	second := e.Processes()
	e.Stop()
	waitGone(t, second)
}

// waitGone polls until none of pids is a live process.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes %v still running %v after they should have ended", left, 10*time.Second)
		}
		<-tick.C
	}
}
