package lambdaloop

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// recorded is one request the fake Runtime API received.
type recorded struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// fakeEvent is one invocation the fake Runtime API hands out.
type fakeEvent struct {
	id       string
	deadline time.Time // zero: no deadline header
	traceID  string
	payload  []byte
}

// fakeRuntimeAPI is an httptest Lambda Runtime API that hands out queued
// events and records every request. /next answers 410 Gone once the queue
// is empty, which ends the loop under test.
type fakeRuntimeAPI struct {
	srv *httptest.Server

	mu         sync.Mutex
	queue      []fakeEvent
	requests   []recorded
	postStatus int // status of POSTs; 202 unless set
}

func newFakeRuntimeAPI(t *testing.T, events ...fakeEvent) *fakeRuntimeAPI {
	t.Helper()
	f := &fakeRuntimeAPI{queue: events, postStatus: http.StatusAccepted}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.queue) == 0 {
			http.Error(w, "no more events", http.StatusGone)
			return
		}
		ev := f.queue[0]
		f.queue = f.queue[1:]
		if ev.id != "" {
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", ev.id)
		}
		if !ev.deadline.IsZero() {
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(ev.deadline.UnixMilli(), 10))
		}
		if ev.traceID != "" {
			w.Header().Set("Lambda-Runtime-Trace-Id", ev.traceID)
		}
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:012345678912:function:test")
		w.Write(ev.payload)
	})
	post := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		w.WriteHeader(f.postStatus)
		w.Write([]byte(`{"status":"OK"}`))
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", post)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", post)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", post)
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeRuntimeAPI) addr() string { return f.srv.Listener.Addr().String() }

func (f *fakeRuntimeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// paths lists "METHOD path" of every recorded request.
func (f *fakeRuntimeAPI) paths() []string {
	var out []string
	for _, r := range f.recorded() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// runLoop runs the invocation loop against f until it stops.
func runLoop(t *testing.T, f *fakeRuntimeAPI, h http.Handler) error {
	t.Helper()
	return runLoopLogging(t, f, h, discardLogger())
}

// runLoopLogging is runLoop with the loop's logger.
func runLoopLogging(t *testing.T, f *fakeRuntimeAPI, h http.Handler, log *slog.Logger) error {
	t.Helper()
	// No deadline here: the loop's context is the parent of each
	// invocation's, whose deadline the tests check. The fake API answers
	// every request, and go test's own timeout bounds the rest.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l := &llLoop{api: llNewRuntimeAPI(f.addr()), handler: h, log: log, busy: new(sync.Mutex)}
	return l.run(ctx)
}
