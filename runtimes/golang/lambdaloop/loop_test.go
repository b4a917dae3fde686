package lambdaloop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	pathNext = "GET /2018-06-01/runtime/invocation/next"
)

func vercelGet(t *testing.T, target string) []byte {
	return buildEvent(t, kindVercel, "GET", target, nil, nil)
}

func TestLoopPostsResponses(t *testing.T) {
	f := newFakeRuntimeAPI(t,
		fakeEvent{id: "id-1", payload: vercelGet(t, "/one")},
		fakeEvent{id: "id-2", payload: buildEvent(t, kindV2, "GET", "/two?x=1", nil, nil)},
	)
	err := runLoop(t, f, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("path=" + r.RequestURI))
	}))
	if err == nil || !strings.Contains(err.Error(), "410 Gone") {
		t.Fatalf("loop ended with %v, want the 410 of the empty queue", err)
	}
	want := []string{pathNext, "POST /2018-06-01/runtime/invocation/id-1/response", pathNext, "POST /2018-06-01/runtime/invocation/id-2/response", pathNext}
	if got := f.paths(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}
	reqs := f.recorded()
	for _, r := range reqs {
		if r.Header.Get("User-Agent") != llRuntimeAPIUserAgent {
			t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, r.Header.Get("User-Agent"))
		}
	}
	if res := decodeResponse(t, kindVercel, reqs[1].Body); res.Status != 200 || string(res.Body) != "path=/one" {
		t.Errorf("first response %d %q", res.Status, res.Body)
	}
	if res := decodeResponse(t, kindV2, reqs[3].Body); res.Status != 200 || string(res.Body) != "path=/two?x=1" {
		t.Errorf("second response %d %q", res.Status, res.Body)
	}
}

func TestLoopInvocationContext(t *testing.T) {
	deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
	f := newFakeRuntimeAPI(t,
		fakeEvent{id: "id-1", deadline: deadline, traceID: "Root=1-aaa;Parent=bbb;Sampled=1", payload: vercelGet(t, "/")},
		fakeEvent{id: "id-2", payload: buildEvent(t, kindVercel, "GET", "/", map[string][]string{"x-amzn-trace-id": {"Root=from-event"}}, nil)},
	)
	type seen struct {
		deadline    time.Time
		hasDeadline bool
		trace       string
		state       *llInvocationState
	}
	var got []seen
	runLoop(t, f, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := r.Context().Deadline()
		st, _ := r.Context().Value(llInvocationKey{}).(*llInvocationState)
		got = append(got, seen{d, ok, r.Header.Get("X-Amzn-Trace-Id"), st})
	}))
	if len(got) != 2 {
		t.Fatalf("handler ran %d times, want 2", len(got))
	}
	if !got[0].hasDeadline || !got[0].deadline.Equal(deadline) {
		t.Errorf("deadline = %v (set %v), want %v", got[0].deadline, got[0].hasDeadline, deadline)
	}
	if got[0].trace != "Root=1-aaa;Parent=bbb;Sampled=1" {
		t.Errorf("trace header = %q", got[0].trace)
	}
	if st := got[0].state; st == nil || st.RequestID != "id-1" || st.TraceID != "Root=1-aaa;Parent=bbb;Sampled=1" || !strings.HasSuffix(st.FunctionARN, ":function:test") {
		t.Errorf("invocation in context = %+v", st)
	}
	if got[1].hasDeadline {
		t.Errorf("second invocation has a deadline without a deadline header")
	}
	if got[1].trace != "Root=from-event" {
		t.Errorf("the event's own trace header was replaced: %q", got[1].trace)
	}
}

// panickyHandler is named so that the stack trace can be checked.
func panickyHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/string":
		panic("boom")
	case "/error":
		panic(errors.New("an error value"))
	case "/nil":
		var m map[string]int
		m["x"] = 1
	case "/abort":
		panic(http.ErrAbortHandler)
	}
	w.Write([]byte("fine"))
}

func TestLoopPanics(t *testing.T) {
	tests := []struct {
		path     string
		wantType string
		wantMsg  string
		wantExit bool
	}{
		{"/string", llErrTypePanic, "boom", true},
		{"/error", llErrTypePanic, "an error value", true},
		{"/nil", llErrTypePanic, "assignment to entry in nil map", true},
		{"/abort", llErrTypeHandlerAborted, "the handler aborted the response", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			f := newFakeRuntimeAPI(t,
				fakeEvent{id: "p", payload: vercelGet(t, tt.path)},
				fakeEvent{id: "after", payload: vercelGet(t, "/")},
			)
			var logs bytes.Buffer
			err := runLoopLogging(t, f, http.HandlerFunc(panickyHandler), slog.New(slog.NewTextHandler(&logs, nil)))
			if errors.Is(err, llErrShouldExit) != tt.wantExit {
				t.Fatalf("loop ended with %v; want exit=%v", err, tt.wantExit)
			}
			want := []string{pathNext, "POST /2018-06-01/runtime/invocation/p/error"}
			if !tt.wantExit {
				want = append(want, pathNext, "POST /2018-06-01/runtime/invocation/after/response", pathNext)
			}
			if got := f.paths(); !slices.Equal(got, want) {
				t.Fatalf("requests\n got %q\nwant %q", got, want)
			}
			post := f.recorded()[1]
			if h := post.Header.Get("Lambda-Runtime-Function-Error-Type"); h != tt.wantType {
				t.Errorf("error type header = %q, want %q", h, tt.wantType)
			}
			var doc struct {
				ErrorMessage string   `json:"errorMessage"`
				ErrorType    string   `json:"errorType"`
				StackTrace   []string `json:"stackTrace"`
			}
			mustUnmarshal(t, post.Body, &doc)
			if doc.ErrorType != tt.wantType || !strings.Contains(doc.ErrorMessage, tt.wantMsg) {
				t.Errorf("error document %s", post.Body)
			}
			if tt.wantType == llErrTypePanic {
				if len(doc.StackTrace) == 0 || !strings.Contains(doc.StackTrace[0], ".panickyHandler (") || !strings.Contains(doc.StackTrace[0], "loop_test.go:") {
					t.Errorf("stack trace does not start at the panicking handler: %q", doc.StackTrace)
				}
				for _, fr := range doc.StackTrace {
					if strings.Contains(fr, "llServeHTTP") || strings.HasPrefix(fr, "runtime.") {
						t.Errorf("stack trace has runtime-internal frame %q", fr)
					}
				}
				// The function's log has the trace too (aws-lambda-go logs
				// the whole error document): the Runtime API's copy goes
				// to the caller only.
				if line := logs.String(); !strings.Contains(line, "invocation failed") || !strings.Contains(line, ".panickyHandler (") || !strings.Contains(line, "loop_test.go:") {
					t.Errorf("the log does not show the panicking frame:\n%s", line)
				}
			}
		})
	}
}

func TestLoopErrorsKeepServing(t *testing.T) {
	f := newFakeRuntimeAPI(t,
		fakeEvent{id: "bad", payload: []byte(`{"foo":1}`)},
		fakeEvent{id: "big", payload: vercelGet(t, "/big")},
		fakeEvent{id: "ok", payload: vercelGet(t, "/")},
	)
	runLoop(t, f, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(make([]byte, 5<<20)) // 5 MiB, ~6.7 MiB as base64 JSON
		}
	}))
	want := []string{
		pathNext, "POST /2018-06-01/runtime/invocation/bad/error",
		pathNext, "POST /2018-06-01/runtime/invocation/big/error",
		pathNext, "POST /2018-06-01/runtime/invocation/ok/response",
		pathNext,
	}
	if got := f.paths(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %q\nwant %q", got, want)
	}
	reqs := f.recorded()
	for i, wantType := range map[int]string{1: llErrTypeInvalidEvent, 3: llErrTypeResponseTooLarge} {
		var doc map[string]any
		mustUnmarshal(t, reqs[i].Body, &doc)
		if doc["errorType"] != wantType || reqs[i].Header.Get("Lambda-Runtime-Function-Error-Type") != wantType {
			t.Errorf("request %d: %s with header %q, want type %s", i, reqs[i].Body, reqs[i].Header.Get("Lambda-Runtime-Function-Error-Type"), wantType)
		}
		if st, ok := doc["stackTrace"].([]any); !ok || len(st) != 0 {
			t.Errorf("request %d: stackTrace = %#v, want []", i, doc["stackTrace"])
		}
	}
}

func TestLoopStopsWhenAPostFails(t *testing.T) {
	f := newFakeRuntimeAPI(t, fakeEvent{id: "x", payload: vercelGet(t, "/")}, fakeEvent{id: "y", payload: vercelGet(t, "/")})
	f.postStatus = http.StatusInternalServerError
	err := runLoop(t, f, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if err == nil || !strings.Contains(err.Error(), "posting the response of invocation x") || !strings.Contains(err.Error(), "500") {
		t.Fatalf("loop ended with %v", err)
	}
	if got := len(f.paths()); got != 2 {
		t.Errorf("%d requests after the failed POST, want 2 in all", got)
	}
}

func TestNextWithoutRequestID(t *testing.T) {
	f := newFakeRuntimeAPI(t, fakeEvent{payload: vercelGet(t, "/")})
	err := runLoop(t, f, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	if err == nil || !strings.Contains(err.Error(), "no Lambda-Runtime-Aws-Request-Id header") {
		t.Fatalf("loop ended with %v", err)
	}
}

func TestPostInitError(t *testing.T) {
	f := newFakeRuntimeAPI(t)
	api := llNewRuntimeAPI(f.addr())
	if err := api.postInitError(context.Background(), &llFunctionError{Type: llErrTypeChildStart, Message: "no such file"}); err != nil {
		t.Fatal(err)
	}
	reqs := f.recorded()
	if len(reqs) != 1 || reqs[0].Path != "/2018-06-01/runtime/init/error" || reqs[0].Header.Get("Lambda-Runtime-Function-Error-Type") != llErrTypeChildStart {
		t.Fatalf("requests %+v", reqs)
	}
	var doc map[string]any
	if err := json.Unmarshal(reqs[0].Body, &doc); err != nil || doc["errorMessage"] != "no such file" || doc["errorType"] != llErrTypeChildStart {
		t.Errorf("body %s (%v)", reqs[0].Body, err)
	}
}
