package lambdaloop

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
)

func TestResponseWriter(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantType   string // "-" means no Content-Type header
		wantBody   string
	}{
		{"default status and sniffed HTML", "GET", func(w http.ResponseWriter) { w.Write([]byte("<html><body>x")) }, 200, "text/html; charset=utf-8", "<html><body>x"},
		{"sniffed binary", "GET", func(w http.ResponseWriter) { w.Write([]byte{0, 1, 2}) }, 200, "application/octet-stream", "\x00\x01\x02"},
		{"no body, no type", "GET", func(w http.ResponseWriter) {}, 200, "-", ""},
		{"explicit type kept", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte("<html>"))
		}, 200, "application/json", "<html>"},
		{"empty Content-Type key suppresses sniffing", "GET", func(w http.ResponseWriter) {
			w.Header()["Content-Type"] = nil
			w.Write([]byte("<html>"))
		}, 200, "-", "<html>"},
		{"Content-Encoding suppresses sniffing", "GET", func(w http.ResponseWriter) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte{0x1f, 0x8b})
		}, 200, "-", "\x1f\x8b"},
		{"headers after WriteHeader are ignored", "GET", func(w http.ResponseWriter) {
			w.WriteHeader(202)
			w.Header().Set("Content-Type", "text/late")
			w.WriteHeader(500)
			w.Write([]byte("ok"))
		}, 202, "text/plain; charset=utf-8", "ok"},
		{"informational status is skipped", "GET", func(w http.ResponseWriter) {
			w.WriteHeader(103)
			w.WriteHeader(418)
		}, 418, "-", ""},
		{"flush commits 200", "GET", func(w http.ResponseWriter) {
			w.(http.Flusher).Flush()
			w.WriteHeader(500)
			w.Write([]byte("a"))
			http.NewResponseController(w).Flush()
			w.Write([]byte("b"))
		}, 200, "text/plain; charset=utf-8", "ab"},
		{"HEAD drops the body", "HEAD", func(w http.ResponseWriter) { w.Write([]byte("hidden")) }, 200, "-", ""},
		{"204 refuses a body", "GET", func(w http.ResponseWriter) {
			w.WriteHeader(204)
			if _, err := w.Write([]byte("x")); !errors.Is(err, http.ErrBodyNotAllowed) {
				panic("Write after 204 did not return ErrBodyNotAllowed")
			}
		}, 204, "-", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := llNewResponseWriter(tt.method)
			tt.handler(w)
			res := w.result()
			gotType := "-"
			if vs, ok := res.header["Content-Type"]; ok && len(vs) > 0 {
				gotType = vs[0]
			}
			if res.status != tt.wantStatus || gotType != tt.wantType || string(res.body) != tt.wantBody {
				t.Errorf("got %d %q %q, want %d %q %q", res.status, gotType, res.body, tt.wantStatus, tt.wantType, tt.wantBody)
			}
		})
	}
}

// Lambda responses have no trailers: a handler's trailers, declared by a
// Trailer header before WriteHeader and set after the body, or set under
// http.TrailerPrefix at any time, become headers, and the Trailer header
// announcing them is not sent.
func TestResponseWriterTrailers(t *testing.T) {
	w := llNewResponseWriter("GET")
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Add("Trailer", "X-Checksum, X-Count")
	w.Header().Add("Trailer", "Content-Length") // not a valid trailer: ignored, as net/http does
	w.Header().Set("X-Count", "early")
	w.Header().Set(http.TrailerPrefix+"X-Early", "prefixed")
	w.WriteHeader(200)
	w.Write([]byte("body"))
	w.Header().Set("X-Checksum", "abc")
	w.Header().Set("X-Count", "4")
	w.Header().Set("Content-Length", "999")
	w.Header().Set(http.TrailerPrefix+"X-Late", "undeclared")
	w.Header().Set("X-Not-A-Trailer", "set after the body")
	res := w.result()
	want := http.Header{
		"Content-Type": {"text/plain"},
		"X-Checksum":   {"abc"},
		"X-Count":      {"4"},
		"X-Late":       {"undeclared"},
		"X-Early":      {"prefixed"},
	}
	if !reflect.DeepEqual(res.header, want) {
		t.Errorf("headers\n got %v\nwant %v", res.header, want)
	}
	if string(res.body) != "body" {
		t.Errorf("body %q", res.body)
	}
}

func TestInvalidWriteHeaderIsAPanicError(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(42) })
	fe, exit := llServeHTTP(h, llNewResponseWriter("GET"), &http.Request{})
	if fe == nil || fe.Type != llErrTypePanic || fe.Message != "invalid WriteHeader code 42" || !exit {
		t.Errorf("got %v (exit %v)", fe, exit)
	}
}

func TestEncodedBody(t *testing.T) {
	tests := []struct {
		ctype, ce string
		body      string
		wantB64   bool
	}{
		{"text/plain", "", "héllo", false},
		{"application/json; charset=utf-8", "", `{"a":1}`, false},
		{"application/problem+json", "", `{}`, false},
		{"image/svg+xml", "", "<svg/>", false},
		{"application/octet-stream", "", "text", true},
		{"text/plain", "", "\xff\xfe", true},
		{"text/plain", "gzip", "abc", true},
		{"text/plain", "identity", "abc", false},
		{"", "", "abc", true},
		{"not a type", "", "abc", true},
		{"image/png", "", "", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.ctype != "" {
			h.Set("Content-Type", tt.ctype)
		}
		if tt.ce != "" {
			h.Set("Content-Encoding", tt.ce)
		}
		r := &llResult{status: 200, header: h, body: []byte(tt.body)}
		body, b64 := r.encodedBody()
		if b64 != tt.wantB64 || !b64 && body != tt.body {
			t.Errorf("%q/%q %q: got %q base64=%v, want base64=%v", tt.ctype, tt.ce, tt.body, body, b64, tt.wantB64)
		}
	}
}
