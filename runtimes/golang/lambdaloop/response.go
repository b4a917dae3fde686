package lambdaloop

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"net/textproto"
	"strings"
	"unicode/utf8"
)

// llResponseWriter buffers a handler's response in memory. It behaves like
// net/http's server ResponseWriter where a buffered response allows: the
// status defaults to 200, headers are snapshotted by WriteHeader (trailers,
// which Lambda lacks, are read at the end and sent as headers), the
// Content-Type is sniffed when the handler sets none, bodies are refused for
// 204 and 304 and dropped for HEAD, and Flush is accepted (it can only
// commit the status and headers: nothing reaches the client before the
// handler returns).
type llResponseWriter struct {
	header      http.Header
	sent        http.Header // snapshot taken by WriteHeader
	status      int
	wroteHeader bool
	head        bool
	body        bytes.Buffer
}

var _ http.Flusher = (*llResponseWriter)(nil)

func llNewResponseWriter(method string) *llResponseWriter {
	return &llResponseWriter{header: http.Header{}, head: method == http.MethodHead}
}

func (w *llResponseWriter) Header() http.Header { return w.header }

func (w *llResponseWriter) WriteHeader(code int) {
	if w.wroteHeader {
		return
	}
	if code < 100 || code > 999 {
		// Same contract as net/http: a handler bug, recovered and reported
		// as a panic by llServeHTTP.
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// Informational responses cannot be sent ahead of a buffered one.
		return
	}
	w.status = code
	w.wroteHeader = true
	w.sent = w.header.Clone()
}

func (w *llResponseWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if !llBodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	if w.head {
		return len(p), nil
	}
	return w.body.Write(p)
}

// Flush commits the status and headers, as net/http's does.
func (w *llResponseWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
}

func llBodyAllowed(status int) bool {
	return !(status >= 100 && status <= 199 || status == http.StatusNoContent || status == http.StatusNotModified)
}

// llResult is a finished response with canonical header names.
type llResult struct {
	status int
	header http.Header
	body   []byte
}

// result finishes the response: default status, header snapshot,
// trailers turned into headers, and Content-Type sniffing as net/http does
// them.
func (w *llResponseWriter) result() *llResult {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	res := &llResult{status: w.status, header: http.Header{}, body: w.body.Bytes()}
	for name, vs := range w.sent {
		if len(vs) == 0 || name == "Trailer" || strings.HasPrefix(name, http.TrailerPrefix) {
			continue
		}
		c := textproto.CanonicalMIMEHeaderKey(name)
		res.header[c] = append(res.header[c], vs...)
	}
	// A Lambda response has no trailers: they become headers.
	for name, vs := range w.trailers() {
		res.header[name] = vs
	}
	_, haveType := w.sent["Content-Type"]
	hasCE := w.sent.Get("Content-Encoding") != ""
	hasTE := w.sent.Get("Transfer-Encoding") != ""
	if !haveType && !hasCE && !hasTE && llBodyAllowed(res.status) && len(res.body) > 0 {
		res.header.Set("Content-Type", http.DetectContentType(res.body))
	}
	return res
}

// trailers returns the handler's trailers as net/http's server would send
// them: the names the Trailer header declared at WriteHeader, with their
// values in the live header map, and the http.TrailerPrefix keys set at any
// time. A trailer's values replace a header of the same name.
func (w *llResponseWriter) trailers() http.Header {
	var t http.Header
	add := func(name string, vs []string) {
		name = textproto.CanonicalMIMEHeaderKey(name)
		if len(vs) == 0 || llBadTrailer[name] {
			return
		}
		if t == nil {
			t = http.Header{}
		}
		t[name] = vs
	}
	for k, vs := range w.header {
		if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
			add(name, vs)
		}
	}
	for _, v := range w.sent["Trailer"] {
		for _, name := range strings.Split(v, ",") {
			name = textproto.TrimString(name)
			if name != "" {
				add(name, w.header.Values(name))
			}
		}
	}
	return t
}

// llBadTrailer holds the names net/http refuses as trailers
// (httpguts.ValidTrailerHeader).
var llBadTrailer = map[string]bool{
	"Authorization": true, "Cache-Control": true, "Connection": true, "Content-Encoding": true,
	"Content-Length": true, "Content-Range": true, "Content-Type": true, "Expect": true,
	"Host": true, "Keep-Alive": true, "Max-Forwards": true, "Pragma": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Range": true, "Realm": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Www-Authenticate": true,
}

// encodedBody returns the body as text when it is valid UTF-8 of a textual
// media type (and not content-encoded), else as base64.
func (r *llResult) encodedBody() (body string, isBase64 bool) {
	if len(r.body) == 0 {
		return "", false
	}
	ce := r.header.Get("Content-Encoding")
	if (ce == "" || strings.EqualFold(ce, "identity")) && llIsTextual(r.header.Get("Content-Type")) && utf8.Valid(r.body) {
		return string(r.body), false
	}
	return base64.StdEncoding.EncodeToString(r.body), true
}

// llIsTextual tells whether a Content-Type names text: text/*, JSON, XML,
// JavaScript, form data and the +json/+xml structured syntaxes.
func llIsTextual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/ecmascript",
		"application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson", "application/yaml":
		return true
	}
	return false
}
