package lambdaloop

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startTestChild starts this test binary as a server in the given mode.
func startTestChild(t *testing.T, mode string) *llChild {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, fe := llStartChild(discardLogger(), exe, nil, append(os.Environ(), envTestChild+"="+mode, "PORT=1"))
	if fe != nil {
		t.Fatalf("starting the child: %v", fe)
	}
	t.Cleanup(c.stop)
	return c
}

func TestStartChildProxies(t *testing.T) {
	c := startTestChild(t, "serve")
	if fe := c.waitReady(context.Background(), 10*time.Second); fe != nil {
		t.Fatal(fe)
	}
	h := c.proxy()
	event := buildEvent(t, kindVercel, "GET", "/hello?x=1", map[string][]string{"x-forwarded-for": {"203.0.113.7"}, "host": {"example.vercel.app"}}, nil)
	payload, fe, exit := llHandleEvent(context.Background(), h, llInvocation{}, event)
	if fe != nil || exit {
		t.Fatalf("function error %v", fe)
	}
	res := decodeResponse(t, kindVercel, payload)
	want := "child GET /hello?x=1 host=example.vercel.app xff=203.0.113.7"
	if res.Status != 200 || string(res.Body) != want {
		t.Fatalf("got %d %q, want 200 %q", res.Status, res.Body, want)
	}

	// A response cut off mid-body fails the invocation; it is not passed
	// on as a short 200.
	payload, fe, exit = llHandleEvent(context.Background(), h, llInvocation{}, buildEvent(t, kindVercel, "GET", "/truncate", nil, nil))
	if fe == nil || fe.Type != llErrTypeProxy || exit || !strings.Contains(fe.Message, "response body") {
		t.Fatalf("truncated response: got payload %q, error %v (exit %v), want a %s about the response body", payload, fe, exit, llErrTypeProxy)
	}

	// The server crashing mid-request fails the invocation and asks the
	// runtime to exit.
	_, fe, exit = llHandleEvent(context.Background(), h, llInvocation{}, buildEvent(t, kindVercel, "GET", "/exit", nil, nil))
	if fe == nil || fe.Type != llErrTypeChildExited || !exit || !strings.Contains(fe.Message, "exit status 3") {
		t.Fatalf("got %v (exit %v), want %s mentioning exit status 3", fe, exit, llErrTypeChildExited)
	}
	if !c.exited() {
		t.Error("child not reported as exited")
	}
}

func TestStartChildFailures(t *testing.T) {
	t.Run("exits before listening", func(t *testing.T) {
		c := startTestChild(t, "exit")
		fe := c.waitReady(context.Background(), 10*time.Second)
		if fe == nil || fe.Type != llErrTypeChildExited || !strings.Contains(fe.Message, "exit status 7") {
			t.Fatalf("got %v", fe)
		}
	})
	t.Run("never listens", func(t *testing.T) {
		c := startTestChild(t, "silent")
		fe := c.waitReady(context.Background(), 300*time.Millisecond)
		if fe == nil || fe.Type != llErrTypeChildNotReady {
			t.Fatalf("got %v", fe)
		}
		if !c.exited() {
			t.Error("the child was not stopped after the readiness timeout")
		}
	})
	t.Run("missing executable", func(t *testing.T) {
		_, fe := llStartChild(discardLogger(), "/nonexistent/user-server", nil, nil)
		if fe == nil || fe.Type != llErrTypeChildStart || !strings.Contains(fe.Message, "/nonexistent/user-server") {
			t.Fatalf("got %v", fe)
		}
	})
}

func TestProxyErrorOutsideAnInvocation(t *testing.T) {
	c := startTestChild(t, "serve")
	if fe := c.waitReady(context.Background(), 10*time.Second); fe != nil {
		t.Fatal(fe)
	}
	c.stop()
	w := llNewResponseWriter("GET")
	r, _ := http.NewRequest("GET", "/", nil)
	c.proxy().ServeHTTP(w, r)
	if res := w.result(); res.status != http.StatusBadGateway || !strings.Contains(string(res.body), "exited") {
		t.Errorf("got %d %q, want 502 saying the server exited", res.status, res.body)
	}
}

func TestChildPath(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if got := llChildPath("/abs/server"); got != "/abs/server" {
		t.Errorf("absolute path changed to %q", got)
	}
	if got, want := llChildPath("user-server"), filepath.Join(filepath.Dir(exe), "user-server"); got != want {
		t.Errorf("llChildPath(user-server) = %q, want %q", got, want)
	}
}
