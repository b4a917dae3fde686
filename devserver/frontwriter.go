package devserver

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	// frontBufferBody is how much body the front holds before sending
	// the head: a response that ends within it gets a Content-Length,
	// others are chunked (net/http's bufferBeforeChunkingSize).
	frontBufferBody = 2048
	// frontDiscardBody is how much of a request body the handler left
	// unread is read and dropped to keep the connection (net/http's
	// maxPostHandlerReadBytes); with more left it is closed.
	frontDiscardBody = 256 << 10
)

// frontWriter is the front's http.ResponseWriter and http.Flusher. It
// frames responses as net/http's server does — the same head, byte for
// byte but for the Date, and the same choices of Content-Length, chunking,
// sniffed Content-Type and connection reuse (front_test.go compares the
// two) — and is reused by the requests of one connection.
type frontWriter struct {
	c      *frontConn
	req    *http.Request
	header http.Header

	status    int    // set by WriteHeader; 0 before
	head      []byte // status line and header fields, as of WriteHeader
	committed bool   // head sent to the connection's buffer
	done      bool   // the handler returned
	// body holds up to frontBufferBody of body before frontChunkWriter
	// gets it: a body that ends within it gets a Content-Length.
	body    *bufio.Writer
	scratch [16]byte

	contentLength int64 // declared by the handler or computed; -1: none
	written       int64
	chunked       bool
	closeAfter    bool
	// linger: the connection closes with request body unread, which the
	// client may still be sending (see frontConn.lingeringClose).
	linger bool

	// The fields of the header, as of WriteHeader, that the head leaves
	// for commit to decide on.
	haveType, hasCE, haveDate bool
	te                        string
	clKey, clInvalid          bool     // a Content-Length field; not a length
	connClose                 bool     // Connection: close
	connToken                 bool     // a Connection field listing close
	connStart, connEnd        int      // the Connection fields in head
	announced                 bool     // a Trailer field
	trailers                  []string // the names it announced
	trailerPrefix             bool     // a key with http.TrailerPrefix

	keys    []string // scratch for sorting header keys
	dateSec int64
	date    []byte
}

// reset prepares the writer for req, keeping its buffers.
func (w *frontWriter) reset(req *http.Request) {
	if w.header == nil {
		w.header = make(http.Header)
	} else {
		clear(w.header)
	}
	*w = frontWriter{
		c: w.c, req: req, header: w.header, head: w.head[:0], body: w.body,
		contentLength: -1, keys: w.keys[:0], trailers: w.trailers[:0],
		dateSec: w.dateSec, date: w.date,
		closeAfter: req.Close || hasToken(req.Header.Get("Connection"), "close"),
	}
	if w.body == nil {
		w.body = bufio.NewWriterSize(frontChunkWriter{w}, frontBufferBody)
	} else {
		w.body.Reset(frontChunkWriter{w})
	}
}

func (w *frontWriter) Header() http.Header { return w.header }

// cancelAfter cancels the request's context with cause after d, unless
// the returned stop is called first.
func (w *frontWriter) cancelAfter(d time.Duration, cause error) (stop func()) {
	return w.c.watch.cancelAfter(d, cause)
}

// WriteHeader records the status and takes a snapshot of the header, as
// net/http does: changes after it are not sent (but trailers).
func (w *frontWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		// Informational: sent now; the header stays for the final one.
		bw := w.c.bw
		w.head = appendStatusLine(w.head[:0], code)
		w.head = w.appendFields(w.head, code, true)
		w.head = append(w.head, "\r\n"...)
		bw.Write(w.head)
		bw.Flush()
		w.head = w.head[:0]
		return
	}
	w.status = code
	h := w.header
	_, w.clKey = h["Content-Length"]
	if cl := h.Get("Content-Length"); cl != "" {
		if v, err := strconv.ParseInt(cl, 10, 64); err == nil && v >= 0 {
			w.contentLength = v
		} else {
			// net/http drops it from the handler's header after taking
			// its snapshot, which keeps it: sent unless chunked.
			w.c.f.log.Debug("invalid Content-Length in a response", "value", cl)
			w.clInvalid = true
		}
	}
	_, w.haveType = h["Content-Type"]
	_, w.haveDate = h["Date"]
	w.hasCE = h.Get("Content-Encoding") != ""
	w.te = h.Get("Transfer-Encoding")
	w.connClose = h.Get("Connection") == "close"
	w.connToken = hasToken(h.Get("Connection"), "close")
	for _, v := range h["Trailer"] {
		w.announced = true
		for name := range strings.SplitSeq(v, ",") {
			if name = http.CanonicalHeaderKey(textproto.TrimString(name)); name != "" && !forbiddenTrailer[name] && !strings.HasPrefix(name, "If-") {
				w.trailers = append(w.trailers, name)
			}
		}
	}
	w.head = appendStatusLine(w.head[:0], code)
	w.head = w.appendFields(w.head, code, false)
}

// forbiddenTrailer lists the fields a Trailer announcement cannot name,
// besides the If- ones (RFC 9110 §6.5.1; httpguts.ValidTrailerHeader).
var forbiddenTrailer = map[string]bool{
	"Authorization": true, "Cache-Control": true, "Connection": true, "Content-Encoding": true,
	"Content-Length": true, "Content-Range": true, "Content-Type": true, "Expect": true,
	"Host": true, "Keep-Alive": true, "Max-Forwards": true, "Pragma": true,
	"Proxy-Authenticate": true, "Proxy-Authorization": true, "Proxy-Connection": true,
	"Range": true, "Realm": true, "Te": true, "Trailer": true, "Transfer-Encoding": true,
	"Www-Authenticate": true,
}

// appendFields appends the header's fields, sorted by key, leaving out
// invalid names, those commit writes itself and those the status drops.
// It records where the Connection fields are, which commit may drop.
func (w *frontWriter) appendFields(b []byte, code int, informational bool) []byte {
	w.keys = w.keys[:0]
	for k := range w.header {
		switch {
		case !isToken(k):
			continue
		case k == "Transfer-Encoding" && (informational || !w.keepTE(code)):
			continue
		case k == "Content-Length" && (informational || !bodyAllowedForStatus(code) ||
			!w.clInvalid && w.te != "" && w.te != "identity" ||
			w.clInvalid && w.req.Method != http.MethodHead && w.te != "identity"):
			continue
		case informational:
		case k == "Content-Type" && code == http.StatusNotModified:
			continue
		case strings.HasPrefix(k, http.TrailerPrefix):
			w.trailerPrefix = true
			continue
		}
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	for _, k := range w.keys {
		if k == "Connection" && !informational {
			w.connStart = len(b)
		}
		for _, v := range w.header[k] {
			b = appendField(b, k, v)
		}
		if k == "Connection" && !informational {
			w.connEnd = len(b)
		}
	}
	return b
}

// keepTE reports whether the handler's Transfer-Encoding field is sent:
// a coding other than chunked or identity on a chunked response (net/http
// adds its own "chunked" after it).
func (w *frontWriter) keepTE(code int) bool {
	return w.te != "" && w.te != "chunked" && w.te != "identity" &&
		w.req.Method != http.MethodHead && bodyAllowedForStatus(code)
}

func appendField(b []byte, k, v string) []byte {
	if strings.ContainsAny(v, "\r\n") {
		v = newlineToSpace.Replace(v)
	}
	b = append(b, k...)
	b = append(b, ": "...)
	b = append(b, textproto.TrimString(v)...)
	return append(b, "\r\n"...)
}

var newlineToSpace = strings.NewReplacer("\n", " ", "\r", " ")

func appendStatusLine(b []byte, code int) []byte {
	b = append(b, "HTTP/1.1 "...)
	if text := http.StatusText(code); text != "" {
		b = strconv.AppendInt(b, int64(code), 10)
		b = append(b, ' ')
		b = append(b, text...)
		return append(b, "\r\n"...)
	}
	return fmt.Appendf(b, "%03d status code %d\r\n", code, code)
}

// hasToken reports whether token occurs in v between spaces, tabs,
// commas or the ends, ASCII case-insensitively: how net/http's server
// reads "close" in Connection fields.
func hasToken(v, token string) bool {
	boundary := func(i int) bool { return i < 0 || i >= len(v) || v[i] == ' ' || v[i] == ',' || v[i] == '\t' }
	for i := 0; i+len(token) <= len(v); i++ {
		if boundary(i-1) && boundary(i+len(token)) && strings.EqualFold(v[i:i+len(token)], token) {
			return true
		}
	}
	return false
}

func bodyAllowedForStatus(code int) bool {
	return !(code >= 100 && code <= 199 || code == http.StatusNoContent || code == http.StatusNotModified)
}

func (w *frontWriter) Write(p []byte) (int, error) {
	if err := w.admit(len(p)); err != nil {
		return 0, err
	}
	return w.body.Write(p)
}

// WriteString lets io.WriteString skip a copy.
func (w *frontWriter) WriteString(s string) (int, error) {
	if err := w.admit(len(s)); err != nil {
		return 0, err
	}
	return w.body.WriteString(s)
}

// admit counts n more body bytes, refusing them as net/http does.
func (w *frontWriter) admit(n int) error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if n == 0 {
		return nil
	}
	if !bodyAllowedForStatus(w.status) {
		return http.ErrBodyNotAllowed
	}
	w.written += int64(n)
	if w.contentLength != -1 && w.written > w.contentLength {
		return http.ErrContentLength
	}
	return nil
}

// frontChunkWriter is what the body buffer (w.body) writes to: the first
// write sends the head, sniffing the Content-Type from it, then the body
// goes out as is or in chunks (net/http's chunkWriter).
type frontChunkWriter struct{ w *frontWriter }

func (cw frontChunkWriter) Write(p []byte) (int, error) {
	w := cw.w
	if !w.committed {
		w.commit(p)
	}
	bw := w.c.bw
	switch {
	case w.req.Method == http.MethodHead:
		return len(p), nil
	case w.chunked:
		if len(p) == 0 {
			return 0, nil
		}
		bw.Write(strconv.AppendInt(w.scratch[:0], int64(len(p)), 16))
		bw.WriteString("\r\n")
		bw.Write(p)
		if _, err := bw.WriteString("\r\n"); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return bw.Write(p)
}

func (w *frontWriter) Flush() { _ = w.FlushError() }

// FlushError sends what was written so far (http.ResponseController).
func (w *frontWriter) FlushError() error {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if err := w.body.Flush(); err != nil {
		return err
	}
	if !w.committed {
		w.commit(nil)
	}
	return w.c.bw.Flush()
}

// commit sends the head, deciding on the fields net/http's server adds
// (chunkWriter.writeHeader); p is the start of the body (all of it when
// the handler is done).
func (w *frontWriter) commit(p []byte) {
	w.committed = true
	isHEAD := w.req.Method == http.MethodHead
	bodyOK := bodyAllowedForStatus(w.status)
	trailers := w.announced || w.trailerPrefix
	hasTE := w.te != ""
	setLength := false
	if w.done && !trailers && !hasTE && bodyOK && !w.clKey && (!isHEAD || len(p) > 0) {
		w.contentLength = int64(len(p))
		setLength = true
	}
	shuttingDown := w.c.f.shuttingDown.Load()
	if w.connClose || shuttingDown {
		w.closeAfter = true
	}
	tooBig := w.discardBody()
	var contentType string
	if bodyOK && !w.haveType && !w.hasCE && !hasTE && len(p) > 0 {
		contentType = http.DetectContentType(p)
	}
	hasCL := w.contentLength != -1
	if hasCL && hasTE && w.te != "identity" {
		hasCL = false // the field is left out; the count still holds
	}
	switch {
	case isHEAD || !bodyOK:
	case hasCL:
	case w.te == "identity":
		w.closeAfter = true
	default:
		w.chunked = true
	}

	// A connection that closes after the response says so, replacing
	// the handler's Connection fields unless they say it already.
	closeField := tooBig || w.closeAfter && (shuttingDown || !w.connToken)
	b := w.head
	if closeField && w.connEnd > w.connStart {
		b = append(b[:w.connStart], b[w.connEnd:]...)
	}
	if !w.haveDate {
		b = append(b, "Date: "...)
		b = append(b, w.now()...)
		b = append(b, "\r\n"...)
	}
	if setLength {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, w.contentLength, 10)
		b = append(b, "\r\n"...)
	}
	if contentType != "" {
		b = appendField(b, "Content-Type", contentType)
	}
	if closeField {
		b = append(b, "Connection: close\r\n"...)
	}
	if w.chunked {
		b = append(b, "Transfer-Encoding: chunked\r\n"...)
	}
	b = append(b, "\r\n"...)
	w.head = b
	w.c.bw.Write(b)
}

// discardBody reads and drops what the handler left of the request body,
// as net/http does before sending the head; it reports whether the body
// was too large for that, so that the response asks to close.
func (w *frontWriter) discardBody() (tooBig bool) {
	if w.req.ContentLength == 0 || w.closeAfter {
		return false
	}
	b := w.c.curBody
	if b == nil {
		return false
	}
	b.mu.Lock()
	switch {
	case b.closed:
		if !b.sawEOF {
			w.closeAfter = true
		}
		b.mu.Unlock()
		return false
	case b.remaining >= frontDiscardBody:
		b.mu.Unlock()
		w.closeAfter, w.linger = true, true
		return true
	}
	b.mu.Unlock()
	if _, err := io.Copy(io.Discard, b); err != nil {
		w.closeAfter = true
		return false
	}
	// Drained to its end, then closed as net/http closes it: a handler
	// that reads it afterwards gets an error, not an empty body.
	b.Close()
	return false
}

// now is the Date value, formatted once a second.
func (w *frontWriter) now() []byte {
	t := time.Now()
	if sec := t.Unix(); sec != w.dateSec || w.date == nil {
		w.dateSec = sec
		w.date = t.UTC().AppendFormat(w.date[:0], http.TimeFormat)
	}
	return w.date
}

// finish ends the response after the handler returned and reports
// whether the connection can carry another request.
func (w *frontWriter) finish() bool {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	w.done = true
	w.body.Flush()
	if !w.committed {
		w.commit(nil)
	}
	bw := w.c.bw
	if w.chunked {
		// Trailers: the announced names and the http.TrailerPrefix keys,
		// including those set after the head went out.
		bw.WriteString("0\r\n")
		bw.Write(w.appendTrailers(w.head[:0]))
		bw.WriteString("\r\n")
	}
	if err := bw.Flush(); err != nil {
		return false
	}
	if b := w.c.curBody; b != nil {
		// Like net/http's finishRequest: the rest of the body is read
		// (up to frontDiscardBody) so that the client gets to the end of
		// its request.
		b.Close()
		b.mu.Lock()
		early := b.earlyClose
		b.mu.Unlock()
		if early {
			w.linger = true
			return false
		}
	}
	if w.closeAfter {
		return false
	}
	if w.req.Method != http.MethodHead && w.contentLength != -1 && bodyAllowedForStatus(w.status) && w.contentLength != w.written {
		return false // too short: the client would read the next response as body
	}
	return true
}

// appendTrailers appends the trailer fields: the keys with
// http.TrailerPrefix, then the announced names' values (net/http's
// finalTrailers), sorted by name.
func (w *frontWriter) appendTrailers(b []byte) []byte {
	w.keys = w.keys[:0]
	for k := range w.header {
		if strings.HasPrefix(k, http.TrailerPrefix) {
			w.keys = append(w.keys, k)
		}
	}
	for _, k := range w.trailers {
		if _, ok := w.header[k]; ok {
			w.keys = append(w.keys, k)
		}
	}
	slices.SortStableFunc(w.keys, func(a, b string) int {
		return strings.Compare(strings.TrimPrefix(a, http.TrailerPrefix), strings.TrimPrefix(b, http.TrailerPrefix))
	})
	for _, k := range w.keys {
		name := strings.TrimPrefix(k, http.TrailerPrefix)
		if !isToken(name) {
			continue
		}
		for _, v := range w.header[k] {
			b = appendField(b, name, v)
		}
	}
	return b
}
