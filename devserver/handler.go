package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/project/routing"
)

// externalTimeout bounds a request proxied to an external rewrite target.
const externalTimeout = 60 * time.Second

// exchange is the ResponseWriter handlers write to: it remembers the
// status for the request log and carries the request's id and function.
type exchange struct {
	http.ResponseWriter
	id       string
	idv      [1]string // id, as a header value
	function string
	status   int
	wrote    bool
	// routeHeaders are the headers of the routes the request matched;
	// an error answer carries them too, as on vercel dev, which sets
	// them before it dispatches.
	routeHeaders http.Header
}

func (w *exchange) WriteHeader(code int) {
	if !w.wrote && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *exchange) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// ReadFrom keeps sendfile available to http.ServeContent.
func (w *exchange) ReadFrom(r io.Reader) (int64, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return io.Copy(w.ResponseWriter, r)
}

// Unwrap lets http.ResponseController (used by ReverseProxy to flush
// streams and hijack WebSocket connections) reach the real writer.
func (w *exchange) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// handler is the shape of the dev server's handlers: they return an error
// instead of writing one, and ServeHTTP renders it.
type handler func(w *exchange, r *http.Request) error

// ServeHTTP is the adapter around the handlers: it assigns the request id,
// renders a returned error by the Accept header and logs one line.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w := &exchange{ResponseWriter: rw, id: s.ids.next(start)}
	w.idv[0] = w.id
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				s.log.Error("bug: request handler panicked", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			}
			if !w.wrote {
				w.status = http.StatusBadGateway
			}
			s.logRequest(r, w, start)
			panic(http.ErrAbortHandler) // abort the connection; net/http logs nothing for it
		}
	}()
	var h handler = s.route
	if err := h(w, r); err != nil {
		s.renderError(w, r, err)
	}
	w.sendNow(r)
	s.logRequest(r, w, start)
}

// sendNow flushes a complete response to the client, so that it does not
// wait for the log line (net/http sends what is buffered only when the
// handler returns). Only a response with a Content-Length: flushing
// another one early would switch it to chunked framing. Upgraded
// connections are not the handler's to flush.
func (w *exchange) sendNow(r *http.Request) {
	if !w.wrote || isUpgrade(r) || w.Header().Get("Content-Length") == "" {
		return
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Server) renderError(w *exchange, r *http.Request, err error) {
	e := asHTTPError(err)
	if e.Status == statusClientClosed || errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		w.status, w.wrote = statusClientClosed, true
		return
	}
	if e.Status >= 500 {
		s.log.Debug("request failed", "id", w.id, "path", r.URL.Path, "status", e.Status, "err", err)
	}
	if w.wrote {
		s.log.Warn("error after the response started", "id", w.id, "path", r.URL.Path, "err", err)
		return
	}
	decorate(w.Header(), w.idv[:], w.routeHeaders)
	writeError(w, r, w.id, e)
}

func (s *Server) logRequest(r *http.Request, w *exchange, start time.Time) {
	status := w.status
	if !w.wrote {
		status = http.StatusOK // net/http answers 200 to a handler that wrote nothing
	}
	s.out.emit(Event{
		Type: EventRequest, Time: start, Method: r.Method, Path: r.URL.Path, Function: w.function,
		Status: status, Duration: time.Since(start), RequestID: w.id,
	})
}

// route routes the request through the project's route table and serves
// the output it names.
func (s *Server) route(w *exchange, r *http.Request) error {
	snap := s.state.Load()
	u := r.URL
	if raw := u.EscapedPath(); strings.Contains(raw, "//") {
		collapsed := collapseSlashes(raw)
		if r.Method == http.MethodGet {
			// vercel dev redirects GETs; other methods are routed (and
			// forwarded) as if the path had been written with single
			// slashes.
			loc := collapsed
			if u.RawQuery != "" {
				loc += "?" + u.RawQuery
			}
			return redirect(w, loc, http.StatusMovedPermanently, nil)
		}
		u = withRawPath(u, collapsed)
	}
	res := snap.routes.route(snap, routing.Request{Method: r.Method, Path: routing.RoutePath(u), RawQuery: u.RawQuery, Host: r.Host, Header: r.Header})
	w.routeHeaders = res.Headers
	switch {
	case res.Location != "":
		status := res.Status
		if status == 0 {
			status = http.StatusTemporaryRedirect
		}
		return redirect(w, res.Location, status, res.Headers)
	case res.External != "":
		return s.serveExternal(w, r, &res)
	case res.Output != "":
		if f := snap.funcs[res.Output]; f != nil {
			w.function = f.id
			// vercel dev prefixes the id of a function invocation again
			// (reference §3.5).
			w.id = invokePrefix + w.id
			w.idv[0] = w.id
			return s.serveFunction(w, r, f, &res, u)
		}
		return s.serveStatic(w, r, snap, res.Output, res.Status, res.Headers)
	}
	decorate(w.Header(), w.idv[:], res.Headers)
	if res.Status == 0 || res.Status == http.StatusNotFound {
		return notFound()
	}
	return statusError(res.Status)
}

func redirect(w *exchange, location string, status int, headers http.Header) error {
	h := w.Header()
	decorate(h, w.idv[:], headers)
	h.Set("Location", location)
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "Redirecting to "+location+" ("+strconv.Itoa(status)+")\n")
	return nil
}

// withRawPath is a copy of u with the escaped path raw.
func withRawPath(u *url.URL, raw string) *url.URL {
	cp := *u
	cp.RawPath = raw
	if dec, err := url.PathUnescape(raw); err == nil {
		cp.Path = dec
	}
	return &cp
}

// collapseSlashes replaces runs of "/" with one.
func collapseSlashes(p string) string {
	var b strings.Builder
	b.Grow(len(p))
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// serveFunction proxies the request to the function's process, starting
// it first if needed. The upstream sees the original path and the route's
// query merged into the request's (reference §3.3.5).
func (s *Server) serveFunction(w *exchange, r *http.Request, f *function, res *routing.Result, fwd *url.URL) error {
	if r.ContentLength > maxBodyBytes {
		return newHTTPError(http.StatusRequestEntityTooLarge, codePayloadTooLarge,
			fmt.Errorf("the request body has %d bytes", r.ContentLength))
	}
	if r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody && !isUpgrade(r) {
		if err := readWholeBody(w, r, f.maxDuration()); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		retry, err := s.proxyOnce(w, r, f, res, fwd)
		if !retry || attempt > 0 {
			return err
		}
		s.log.Debug("function process refused the connection; restarting it", "function", f.id, "id", w.id)
	}
}

// readWholeBody reads a body of unknown length (chunked) before the
// function runs, as Vercel does (reference §3.6: the whole body, up to
// 4.5 MB, goes in the invocation event), and hands it on with its length:
// a handler that reads Content-Length (BaseHTTPRequestHandler, a plain
// WSGI app, Go's r.ContentLength) sees the body, not a stream of chunks.
//
// The read is bounded by the function's maxDuration, through a read
// deadline: chunked requests are served by net/http's server, whose
// reads a context does not interrupt.
func readWholeBody(w http.ResponseWriter, r *http.Request, limit time.Duration) error {
	rc := http.NewResponseController(w)
	deadline := rc.SetReadDeadline(time.Now().Add(limit)) == nil
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body.Close()
	if deadline {
		_ = rc.SetReadDeadline(time.Time{})
	}
	var ne net.Error
	switch {
	case err == nil:
	case errors.As(err, &ne) && ne.Timeout():
		return newHTTPError(http.StatusGatewayTimeout, codeTimeout,
			fmt.Errorf("reading the request body: no end after maxDuration (%s): %w", limit, errTimeout))
	case errors.Is(err, io.ErrUnexpectedEOF) || r.Context().Err() != nil:
		return clientGone(fmt.Errorf("reading the request body: %w", err))
	default:
		return newHTTPError(http.StatusBadRequest, codeBadRequest, fmt.Errorf("reading the request body: %w", err))
	}
	if len(body) > maxBodyBytes {
		return newHTTPError(http.StatusRequestEntityTooLarge, codePayloadTooLarge,
			fmt.Errorf("the request body is over %d bytes", maxBodyBytes))
	}
	r.Body, r.ContentLength, r.TransferEncoding = io.NopCloser(bytes.NewReader(body)), int64(len(body)), nil
	if len(body) == 0 {
		r.Body = http.NoBody
	}
	return nil
}

// proxyOnce proxies the request to the function's current process. retry
// is true when the process refused a new connection (it died an instant
// ago, before the dev server noticed) and the request is one Go's
// transport itself would replay: idempotent, without a body, and sent on
// no connection but kept-alive ones, which a server that dies closes
// without answering. The caller may try once more, which starts a new
// process.
func (s *Server) proxyOnce(w *exchange, r *http.Request, f *function, res *routing.Result, fwd *url.URL) (retry bool, err error) {
	inst, err := f.acquire(r.Context())
	if err != nil {
		return false, err
	}
	defer inst.release()
	c := &call{
		id: w.id, target: inst.target, fnID: f.id, inst: inst,
		routeHeaders: res.Headers, status: res.Status,
	}
	c.vals[0] = w.id
	ctx := r.Context()
	if !isUpgrade(r) {
		// A WebSocket lives as long as its peers want; everything else is
		// bounded by the function's maxDuration.
		var stop func()
		ctx, stop = bound(w, r, f.maxDuration(), errTimeout)
		defer stop()
	}
	out := r.WithContext(context.WithValue(ctx, callKey{}, c))
	u := *fwd // the request's path, as sent (with slashes collapsed)
	u.RawQuery = forwardQuery(r.URL.RawQuery, res.Query)
	out.URL = &u
	hasBody := r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
	// A request that ran past maxDuration leaves its handler running in
	// the process: replace the process (timedOut). Deferred, so that it
	// also runs when ReverseProxy aborts a response cut mid-body (a
	// panic), and before the release above; not for a response that was
	// complete when the deadline passed.
	complete := false
	defer func() {
		if !complete && errors.Is(context.Cause(ctx), errTimeout) {
			f.timedOut(inst)
		}
	}()
	// No Content-Type sniffed for a function's response that has none:
	// Vercel passes the function's headers as they are (a nil value keeps
	// net/http, and the front, from adding one; ReverseProxy adds the
	// function's own).
	w.Header()["Content-Type"] = nil
	s.proxy.ServeHTTP(w, out)
	complete = c.err == nil
	if c.refused && !c.freshConn.Load() && !w.wrote && !hasBody && idempotent(r.Method) {
		f.abandon(inst)
		return true, c.err
	}
	return false, c.err
}

// bound ends the request's context with cause after d, unless stop is
// called first. A request the front serves has its own cancellation, which
// a timer can use directly; a derived context would cost a timer context
// and its registration with the request's on every request.
func bound(w *exchange, r *http.Request, d time.Duration, cause error) (ctx context.Context, stop func()) {
	if fw, ok := w.ResponseWriter.(*frontWriter); ok {
		return r.Context(), fw.cancelAfter(d, cause)
	}
	return context.WithTimeoutCause(r.Context(), d, cause)
}

// idempotent reports the methods Go's transport replays after a failure
// on a kept-alive connection.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// serveExternal proxies to the absolute URL of an external rewrite.
func (s *Server) serveExternal(w *exchange, r *http.Request, res *routing.Result) error {
	target, err := url.Parse(res.External)
	if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
		return newHTTPError(http.StatusBadGateway, codeExternal, fmt.Errorf("parsing external rewrite target %q: %v", res.External, err))
	}
	c := &call{id: w.id, target: &url.URL{Scheme: target.Scheme, Host: target.Host}, external: true, routeHeaders: res.Headers, status: res.Status}
	c.vals[0] = w.id
	ctx, stop := bound(w, r, externalTimeout, errTimeout)
	defer stop()
	out := r.WithContext(context.WithValue(ctx, callKey{}, c))
	out.URL = &url.URL{Path: target.Path, RawPath: target.RawPath, RawQuery: target.RawQuery}
	s.extProxy.ServeHTTP(w, out)
	return c.err
}

// forwardQuery is the query sent upstream: the request's own query string,
// byte for byte, when the route added nothing; otherwise its unchanged
// parameters followed by those the route set.
func forwardQuery(raw string, merged url.Values) string {
	if raw == "" && len(merged) == 0 {
		return ""
	}
	orig, _ := url.ParseQuery(raw)
	changed := map[string]bool{}
	for k, v := range merged {
		if !slices.Equal(orig[k], v) {
			changed[k] = true
		}
	}
	for k := range orig {
		if _, ok := merged[k]; !ok {
			changed[k] = true
		}
	}
	if len(changed) == 0 {
		return raw
	}
	var b strings.Builder
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, _, _ := strings.Cut(pair, "=")
		if key, err := url.QueryUnescape(k); err == nil && changed[key] {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(pair)
	}
	keys := make([]string, 0, len(changed))
	for k := range changed {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range merged[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		}
	}
	return b.String()
}

// serveStatic serves a file of the public directory. With a status forced
// by a route (a 404 page), the file is sent as is with that status;
// otherwise http.ServeContent handles Range, If-None-Match and HEAD.
func (s *Server) serveStatic(w *exchange, r *http.Request, snap *snapshot, rel string, status int, routeHeaders http.Header) error {
	if snap.staticRoot == "" {
		return notFound()
	}
	forced := status != 0
	if !forced && r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return newHTTPError(http.StatusMethodNotAllowed, codeMethod, nil)
	}
	f, err := os.Open(filepath.Join(snap.staticRoot, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return notFound() // deleted since the last scan
		}
		return newHTTPError(http.StatusInternalServerError, codeInternal, fmt.Errorf("opening static file %s: %w", rel, err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.IsDir() {
		return notFound()
	}
	h := w.Header()
	decorate(h, w.idv[:], routeHeaders)
	if _, set := h["Content-Type"]; !set { // a route's header wins
		h.Set("Content-Type", contentType(rel))
	}
	if !forced {
		h["Etag"] = []string{etag(fi)}
		http.ServeContent(w, r, fi.Name(), fi.ModTime(), f)
		return nil
	}
	h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.Copy(w, f) // a failed write means the client left
	}
	return nil
}

// etag is a strong validator made from the file's size and modification
// time, as nginx does; no need to read the file.
func etag(fi fs.FileInfo) string {
	return `"` + strconv.FormatInt(fi.Size(), 16) + "-" + strconv.FormatInt(fi.ModTime().UnixNano(), 16) + `"`
}
