package devserver

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
)

// rawRequest sends raw bytes to the dev server and reads one response,
// within dialRaw's 10 s.
func rawRequest(t *testing.T, h *harness, raw string, closeAfter bool) (*http.Response, error) {
	t.Helper()
	c := dialRaw(t, strings.TrimPrefix(h.srv.URL(), "http://"))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	if closeAfter {
		c.Close()
		return nil, nil
	}
	return http.ReadResponse(bufio.NewReader(c), nil)
}

// A chunked body is read before the function runs: a stalled one ends at
// maxDuration (504), a broken one is a 400, and a client that leaves
// mid-body is logged as gone (499).
func TestChunkedBodyFailures(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/slow.go": goHandler("1"),
		"vercel.json": `{"functions": {"api/slow.go": {"maxDuration": 1}}}`,
	})
	h.getEcho("/api/slow", nil)
	head := "POST /api/slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

	resp, err := rawRequest(t, h, head+"5\r\nhello\r\n", false)
	if err != nil || resp.StatusCode != http.StatusGatewayTimeout {
		t.Errorf("a chunked body that stalls (maxDuration 1 s): %v %v, want a 504", resp, err)
	}
	resp, err = rawRequest(t, h, head+"zz\r\nhello\r\n0\r\n\r\n", false)
	if err != nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("broken chunk framing: %v %v, want a 400", resp, err)
	}
	rawRequest(t, h, head+"5\r\nhel", true)
	h.events.waitFor(t, "the request of the client that left", func(ev Event) bool {
		return ev.Type == EventRequest && ev.Method == "POST" && ev.Status == statusClientClosed
	})
}

// A streamed response cut at maxDuration replaces its process too (the
// cut aborts the proxy after the head was sent).
func TestStreamCutAtMaxDurationReplacesTheProcess(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/slow.go": goHandler("1"),
		"vercel.json": `{"functions": {"api/slow.go": {"maxDuration": 1}}}`,
	})
	before := h.getEcho("/api/slow", nil)
	req, _ := http.NewRequest("GET", h.srv.URL()+"/api/slow", nil)
	req.Header.Set("X-Fake", "sse")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body) // cut: an unexpected EOF
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "data: first") || err == nil {
		t.Fatalf("the stream: %d %q %v, want it cut after the first event", resp.StatusCode, body, err)
	}
	h.events.waitFor(t, "the process of the cut stream stopped", func(ev Event) bool {
		return ev.Type == EventProcessExited && ev.PID == before.PID
	})
	if after := h.getEcho("/api/slow", nil); after.PID == before.PID {
		t.Errorf("the process whose stream ran past maxDuration (pid %d) still answers", before.PID)
	}
}
