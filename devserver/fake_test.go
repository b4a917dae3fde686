package devserver

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// fakeRuntime is a runtimes.Runtime whose "processes" are in-process HTTP
// servers. Each serves the entrypoint's content as it was when the
// process started, so tests see which build answers. Directives in the
// entrypoint file steer it:
//
//	SYNTAX ERROR      StartDev fails with a *runtimes.BuildError
//	CRASH ON START    StartDev fails like a process that exited early
//	BUILD DELAY <ms>  StartDev takes that long
//	NEEDS <file>      StartDev fails with a *runtimes.BuildError marked
//	                  Retry while <file> (relative to the root) does not
//	                  exist
//	IMPORTS <file>    StartDev fails with a *runtimes.BuildError while
//	                  <file> (relative to the root) does not exist
//	LOADS <files>     the process is a runtimes.LoadTracker that has
//	                  loaded the entrypoint and these files (relative,
//	                  comma-separated; "?" makes Loaded fail)
//
// and the X-Fake request header selects special behaviours (see serve).
type fakeRuntime struct {
	lang runtimes.Language

	mu     sync.Mutex
	starts map[string]int // StartDev calls by file
	cache  string         // the CacheDir of the last StartDev
	// inputsCache is the CacheDir of the last Inputs.
	inputsCache string
	asked       map[string]int // LoadTracker questions by file
	live        map[*fakeProc]bool
	// inputsExtra are directories (relative to the root) every function
	// depends on, with exts; anyTrees are directories in which any file
	// counts (runtimes.Inputs.AnyTrees).
	inputsExtra, anyTrees []string
	// skip is the Inputs' Skip.
	skip []string
	// inputsGate, when set, holds Inputs until it is closed. Tests that
	// change it or anyTrees while Inputs may run hold mu; inputsCalls
	// counts the calls.
	inputsGate  chan struct{}
	inputsCalls int
	// buildDelay is added to every StartDev, whatever the file says.
	buildDelay atomic.Int64 // nanoseconds
	// panics counts the handlers that panicked (X-Fake: panic).
	panics atomic.Int64
	// sseRelease lets the SSE test finish a stream once it has read the
	// first event.
	sseRelease chan struct{}
}

func newFakeRuntime(lang runtimes.Language) *fakeRuntime {
	return &fakeRuntime{lang: lang, starts: map[string]int{}, asked: map[string]int{}, live: map[*fakeProc]bool{}, sseRelease: make(chan struct{}, 1)}
}

var fakePIDs atomic.Int64

func (rt *fakeRuntime) Language() runtimes.Language { return rt.lang }

func (rt *fakeRuntime) startCount(file string) int {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.starts[file]
}

func (rt *fakeRuntime) liveProcs() []*fakeProc {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	var out []*fakeProc
	for p := range rt.live {
		out = append(out, p)
	}
	return out
}

func (rt *fakeRuntime) StartDev(ctx context.Context, req runtimes.DevRequest) (runtimes.DevProcess, error) {
	rt.mu.Lock()
	rt.starts[req.File]++
	rt.cache = req.CacheDir
	rt.mu.Unlock()
	src, err := os.ReadFile(filepath.Join(req.Root, filepath.FromSlash(req.File)))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", req.File, err)
	}
	text := string(src)
	delay := time.Duration(rt.buildDelay.Load())
	if i := strings.Index(text, "BUILD DELAY "); i >= 0 {
		if f := strings.Fields(text[i+len("BUILD DELAY "):]); len(f) > 0 {
			ms, _ := strconv.Atoi(f[0])
			delay += time.Duration(ms) * time.Millisecond
		}
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	if strings.Contains(text, "SYNTAX ERROR") {
		line := 1 + strings.Count(text[:strings.Index(text, "SYNTAX ERROR")], "\n")
		out := fmt.Sprintf("# command-line-arguments\n%s:%d:1: syntax error: unexpected SYNTAX\n", req.File, line)
		return nil, &runtimes.BuildError{
			Op:     "building " + req.File,
			Output: out,
			Diagnostics: []runtimes.Diagnostic{{
				File: req.File, Severity: runtimes.SeverityError, Message: "syntax error: unexpected SYNTAX",
				Range: runtimes.Range{Start: runtimes.Position{Line: line, Column: 1}},
			}},
			Err: errors.New("exit status 1"),
		}
	}
	if i := strings.Index(text, "IMPORTS "); i >= 0 {
		if f := strings.Fields(text[i+len("IMPORTS "):]); len(f) > 0 {
			if _, err := os.Stat(filepath.Join(req.Root, filepath.FromSlash(f[0]))); err != nil {
				return nil, &runtimes.BuildError{Op: "building " + req.File, Output: "no required module provides " + f[0] + "\n", Err: errors.New("exit status 1")}
			}
		}
	}
	if i := strings.Index(text, "NEEDS "); i >= 0 {
		if f := strings.Fields(text[i+len("NEEDS "):]); len(f) > 0 {
			if _, err := os.Stat(filepath.Join(req.Root, filepath.FromSlash(f[0]))); err != nil {
				return nil, &runtimes.BuildError{Op: "importing " + req.File, Output: "ModuleNotFoundError: No module named " + f[0] + "\n", Err: errors.New("exit status 1"), Retry: true}
			}
		}
	}
	if strings.Contains(text, "CRASH ON START") {
		return nil, fmt.Errorf("%s exited with status 2 before reporting its port:\npanic: boom", req.File)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &fakeProc{rt: rt, req: req, src: text, ln: ln, pid: int(fakePIDs.Add(1)), done: make(chan struct{})}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve)}
	go p.srv.Serve(ln)
	rt.mu.Lock()
	rt.live[p] = true
	rt.mu.Unlock()
	if req.Stdout != nil {
		fmt.Fprintf(req.Stdout, "listening on %s\n", ln.Addr())
	}
	if i := strings.Index(text, "LOADS "); i >= 0 {
		tp := &trackingProc{fakeProc: p, loaded: map[string]bool{filepath.Join(req.Root, filepath.FromSlash(req.File)): true}}
		for _, rel := range strings.Split(strings.Fields(text[i+len("LOADS "):])[0], ",") {
			if rel == "?" {
				tp.fails = true
			}
			tp.loaded[filepath.Join(req.Root, filepath.FromSlash(rel))] = true
		}
		return tp, nil
	}
	return p, nil
}

// trackingProc is a fake process that tells which files it loaded.
type trackingProc struct {
	*fakeProc
	loaded map[string]bool
	fails  bool
}

func (p *trackingProc) Loaded(ctx context.Context, paths []string) ([]string, error) {
	p.rt.mu.Lock()
	p.rt.asked[p.req.File]++
	p.rt.mu.Unlock()
	if p.fails {
		return nil, errors.New("no answer")
	}
	var out []string
	for _, path := range paths {
		if p.loaded[path] {
			out = append(out, path)
		}
	}
	return out, nil
}

func (rt *fakeRuntime) Inputs(ctx context.Context, req runtimes.InputsRequest) (runtimes.Inputs, error) {
	in := runtimes.Inputs{Files: []string{filepath.Join(req.Root, filepath.FromSlash(req.File))}, Exts: []string{".go", ".py"}, Skip: rt.skip}
	for _, d := range rt.inputsExtra {
		in.Dirs = append(in.Dirs, filepath.Join(req.Root, d))
	}
	rt.mu.Lock()
	rt.inputsCache = req.CacheDir
	trees, gate := rt.anyTrees, rt.inputsGate
	rt.inputsCalls++
	rt.mu.Unlock()
	for _, d := range trees {
		in.AnyTrees = append(in.AnyTrees, filepath.Join(req.Root, d))
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return runtimes.Inputs{}, ctx.Err()
		}
	}
	return in, nil
}

func (rt *fakeRuntime) Build(context.Context, runtimes.BuildRequest) (*runtimes.Artifact, error) {
	return nil, errors.New("the fake runtime does not build")
}

func (rt *fakeRuntime) CacheKey(context.Context, runtimes.BuildRequest) (string, error) {
	return "", errors.New("the fake runtime does not build")
}

// fakeProc is one fake process.
type fakeProc struct {
	rt   *fakeRuntime
	req  runtimes.DevRequest
	src  string
	ln   net.Listener
	srv  *http.Server
	pid  int
	once sync.Once
	done chan struct{}
	err  error
	// inflight counts requests being served; stopped requests fail.
	inflight atomic.Int64
}

func (p *fakeProc) Addr() string          { return p.ln.Addr().String() }
func (p *fakeProc) PID() int              { return p.pid }
func (p *fakeProc) Done() <-chan struct{} { return p.done }
func (p *fakeProc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop ends the server abruptly, like a process killed mid-request: a
// dev server that stops a process too early fails requests.
func (p *fakeProc) Stop(context.Context) error {
	p.exit(nil)
	return nil
}

func (p *fakeProc) exit(err error) {
	p.once.Do(func() {
		p.srv.Close()
		p.err = err
		p.rt.mu.Lock()
		delete(p.rt.live, p)
		p.rt.mu.Unlock()
		close(p.done)
	})
}

// echo is what a fake process answers by default.
type echo struct {
	File    string            `json:"file"`
	Version string            `json:"version"`
	PID     int               `json:"pid"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Query   string            `json:"query"`
	Host    string            `json:"host"`
	Headers map[string]string `json:"headers"`
	Env     map[string]string `json:"env"`
	Body    int               `json:"body"`
	// Length is the request's ContentLength as the function saw it.
	Length int64 `json:"length"`
}

// version is the first line of the entrypoint that starts with
// "// version:", so tests can tell builds apart.
func version(src string) string {
	for line := range strings.SplitSeq(src, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "// version:"); ok {
			return strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "# version:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (p *fakeProc) serve(w http.ResponseWriter, r *http.Request) {
	p.inflight.Add(1)
	defer p.inflight.Add(-1)
	mode := r.Header.Get("X-Fake")
	switch {
	case mode == "" && strings.HasSuffix(r.URL.Path, "/bench"):
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok"))
		return
	case mode == "notype":
		// No Content-Type, and none sniffed by this server either.
		w.Header()["Content-Type"] = nil
		w.Write([]byte("<html><body>untyped</body></html>"))
		return
	case mode == "crash":
		p.exit(errors.New("exit status 3"))
		panic(http.ErrAbortHandler)
	case mode == "panic":
		// A Go handler's panic, as the dev wrapper answers it
		// (runtimes.PanicHeader); the process lives on.
		p.rt.panics.Add(1)
		w.Header().Set(runtimes.PanicHeader, "1")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("panic: boom\n"))
		return
	case strings.HasPrefix(mode, "sleep="):
		d, _ := time.ParseDuration(strings.TrimPrefix(mode, "sleep="))
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	case mode == "sse":
		p.serveSSE(w, r)
		return
	case mode == "ws":
		p.serveWebSocket(w, r)
		return
	case mode == "cache":
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Server", "fake/1.0")
	case strings.HasPrefix(mode, "status="):
		code, _ := strconv.Atoi(strings.TrimPrefix(mode, "status="))
		w.WriteHeader(code)
		return
	}
	n, _ := io.Copy(io.Discard, r.Body)
	e := echo{
		File: p.req.File, Version: version(p.src), PID: p.pid, Method: r.Method, Path: r.URL.Path,
		Query: r.URL.RawQuery, Host: r.Host, Headers: map[string]string{}, Env: map[string]string{}, Body: int(n),
		Length: r.ContentLength,
	}
	for k := range r.Header {
		e.Headers[strings.ToLower(k)] = r.Header.Get(k)
	}
	for _, kv := range p.req.Env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VERCEL") || strings.HasPrefix(k, "NOW_") || strings.HasPrefix(k, "TEST_") {
			e.Env[k] = v
		}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(e)
}

// serveSSE sends one event, then waits for the client to ask (through
// the release channel of the test) before sending the second.
func (p *fakeProc) serveSSE(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "data: first\n\n")
	http.NewResponseController(w).Flush()
	select {
	case <-p.rt.sseRelease:
	case <-r.Context().Done():
		return
	case <-time.After(10 * time.Second):
	}
	fmt.Fprint(w, "data: second\n\n")
}

// serveWebSocket performs the RFC 6455 handshake and echoes raw bytes.
func (p *fakeProc) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "not a websocket request", http.StatusBadRequest)
		return
	}
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Fake-Path: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]), r.URL.Path)
	brw.Flush()
	line, err := brw.ReadString('\n')
	if err != nil {
		return
	}
	fmt.Fprintf(brw, "echo: %s", line)
	brw.Flush()
}

// readLine reads one line from a bufio.Reader with the caller's deadline
// already set on the connection.
func readLine(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading: %v (got %q)", err, line)
	}
	return line
}
