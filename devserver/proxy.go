package devserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// maxBodyBytes is the largest request body a function accepts: Vercel's
// 4.5 MB function payload limit (4.5 MiB).
const maxBodyBytes = 4608 << 10

var (
	// errTimeout is the cancellation cause of a request that ran past its
	// function's maxDuration.
	errTimeout = errors.New("the function exceeded its maxDuration")
)

// Response header values shared by every response (never mutated).
var (
	serverValue         = []string{"lambdalens"}
	cacheMissValue      = []string{"MISS"}
	defaultCacheControl = []string{"public, max-age=0, must-revalidate"}
)

// callKey is the context key of *call.
type callKey struct{}

// call is the state of one proxied request, shared by the handler and the
// ReverseProxy hooks (which find it in the request's context).
type call struct {
	id string
	// target is the upstream: the function process, or an external
	// rewrite's scheme and host.
	target       *url.URL
	external     bool
	fnID         string
	inst         *instance
	routeHeaders http.Header
	// status forced by a route; 0 keeps the upstream's.
	status int
	// err is set by the ErrorHandler and returned by the handler; refused
	// records that the upstream refused the connection.
	err     error
	refused bool
	// vals backs the header values rewrite and modifyResponse set (id,
	// client address, original host), so that they cost no allocation.
	vals [3]string
	// freshConn is set once the request had a newly dialed connection to
	// the upstream (the transport retries some failures on a new one):
	// the hop transport sets it, or gotConn on its fallback.
	freshConn atomic.Bool
}

// gotConn is the GotConn hook of the hop transport's fallback.
func (c *call) gotConn(info httptrace.GotConnInfo) {
	if !info.Reused {
		c.freshConn.Store(true)
	}
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// newProxies builds the reverse proxy to function processes and the one to
// external rewrite targets.
func (s *Server) newProxies() (fn, ext *httputil.ReverseProxy) {
	local := &http.Transport{
		// Never through an HTTP proxy: children are on 127.0.0.1.
		Proxy:       nil,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		// Keep a connection per concurrent request warm: without that, a
		// busy dev server opens and closes a TCP connection per request.
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		// Pass compressed bodies through untouched.
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
	remote, _ := http.DefaultTransport.(*http.Transport)
	var extTransport http.RoundTripper = http.DefaultTransport
	if remote != nil {
		extTransport = remote.Clone()
	}
	errLog := slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)
	pool := newBufferPool()
	fn = &httputil.ReverseProxy{
		Rewrite:        s.rewrite,
		Transport:      newHopTransport(local),
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       errLog,
		BufferPool:     pool,
	}
	ext = &httputil.ReverseProxy{
		Rewrite:        s.rewrite,
		Transport:      extTransport,
		ModifyResponse: s.modifyResponse,
		ErrorHandler:   s.proxyError,
		ErrorLog:       errLog,
		BufferPool:     pool,
	}
	return fn, ext
}

// dropIdleConns closes the idle connections to function processes, after
// one exited: the port may be reused by another process, and a request on
// a stale connection would fail.
func (s *Server) dropIdleConns() {
	if t, ok := s.proxy.Transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// rewrite points the outbound request at the upstream and adds the
// headers Vercel adds (reference §3.4): X-Forwarded-*, x-real-ip,
// x-vercel-forwarded-for, x-vercel-id and x-vercel-deployment-url. The Host
// header becomes the upstream's, as with vercel dev (the original is in
// X-Forwarded-Host). Unlike vercel dev, no "connection: close": upstream
// connections are reused.
func (s *Server) rewrite(pr *httputil.ProxyRequest) {
	c := callFrom(pr.In.Context())
	pr.SetURL(c.target)
	// The client's 100-continue is answered here (net/http's server sends
	// it when the body is read); on Vercel the body travels inside the
	// invocation and no Expect reaches the function. Forwarded, it would
	// hold the body for ExpectContinueTimeout at a server that never
	// answers 100 (Python's BaseHTTPRequestHandler, wsgiref).
	pr.Out.Header.Del("Expect")
	// As http-proxy's xfwd, which vercel dev uses: X-Forwarded-For,
	// -Proto and -Port add to what the client sent (a tunnel's), and
	// X-Forwarded-Host keeps it. ReverseProxy removed them from Out.
	in, h := pr.In.Header, pr.Out.Header
	if v := in["X-Forwarded-For"]; len(v) > 0 {
		h["X-Forwarded-For"] = v // SetXForwarded appends the client's address
	}
	pr.SetXForwarded()
	if v := in["X-Forwarded-Host"]; len(v) > 0 {
		h["X-Forwarded-Host"] = v
	}
	if v := in["X-Forwarded-Proto"]; len(v) > 0 {
		h["X-Forwarded-Proto"] = []string{strings.Join(v, ",") + "," + h.Get("X-Forwarded-Proto")}
	}
	port := s.forwardedPort(pr.In.Host)
	if v := in["X-Forwarded-Port"]; len(v) > 0 {
		port = []string{strings.Join(v, ",") + "," + port[0]}
	}
	h["X-Forwarded-Port"] = port
	if c.external {
		return
	}
	ip := pr.In.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	c.vals[1], c.vals[2] = ip, pr.In.Host
	// Capacity-limited slices: an Add elsewhere cannot write into a
	// neighbour.
	h["X-Vercel-Id"] = c.vals[0:1:1]
	h["X-Real-Ip"] = c.vals[1:2:2]
	h["X-Vercel-Forwarded-For"] = c.vals[1:2:2]
	h["X-Vercel-Deployment-Url"] = c.vals[2:3:3]
}

// forwardedPort is the X-Forwarded-Port for a request to host: the port
// the client named in its Host header, else 80 (http-proxy's rule).
func (s *Server) forwardedPort(host string) []string {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.IndexByte(host[i:], ']') >= 0 {
		return port80
	}
	p := host[i+1:]
	switch {
	case p == s.port:
		return s.portValue
	case p == "" || strings.Trim(p, "0123456789") != "":
		return port80
	}
	return []string{p}
}

var port80 = []string{"80"}

// modifyResponse decorates the upstream's response (reference §3.5): the
// function's own cache-control and the route's headers' keys it set win.
func (s *Server) modifyResponse(res *http.Response) error {
	if res.StatusCode == http.StatusInternalServerError && res.Header[runtimes.PanicHeader] != nil && fromGoWrapper(res) {
		// Read to the end (it is short), so that the connection goes
		// back to the pool.
		b, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
		return &panicError{msg: strings.TrimSpace(strings.TrimPrefix(string(b), "panic: "))}
	}
	c := callFrom(res.Request.Context())
	decorate(res.Header, c.vals[0:1:1], c.routeHeaders)
	if c.status != 0 && res.StatusCode != http.StatusSwitchingProtocols {
		res.StatusCode = c.status
		if c.status == http.StatusNoContent || c.status == http.StatusNotModified {
			// The function's body cannot follow these; copying it would
			// abort the response.
			res.Body.Close()
			res.Body, res.ContentLength = http.NoBody, 0
			res.Header.Del("Content-Length")
			res.Header.Del("Transfer-Encoding")
		}
	}
	return nil
}

// decorate adds the headers every response carries. Existing values win
// over the default cache-control and the route headers; server, x-vercel-id
// and x-vercel-cache are always ours.
func decorate(h http.Header, id []string, routeHeaders http.Header) {
	h["Server"] = serverValue
	h["X-Vercel-Id"] = id
	h["X-Vercel-Cache"] = cacheMissValue
	for k, v := range routeHeaders {
		if _, ok := h[k]; !ok {
			h[k] = v
		}
	}
	if _, ok := h["Cache-Control"]; !ok {
		h["Cache-Control"] = defaultCacheControl
	}
}

// proxyError is the ReverseProxy's ErrorHandler: it classifies the failure
// with errors.Is and leaves it in the call for the handler to return. It
// runs only before any response byte was written; later failures abort the
// connection (http.ErrAbortHandler).
func (s *Server) proxyError(_ http.ResponseWriter, r *http.Request, err error) {
	c := callFrom(r.Context())
	c.refused = isConnRefused(err)
	c.err = classifyProxyError(r.Context(), c, err)
}

func classifyProxyError(ctx context.Context, c *call, err error) error {
	switch {
	case errors.Is(context.Cause(ctx), errTimeout):
		e := newHTTPError(http.StatusGatewayTimeout, codeTimeout, fmt.Errorf("%s: %w", c.fnID, errTimeout))
		return e
	case ctx.Err() != nil:
		return clientGone(err)
	case c.external:
		return newHTTPError(http.StatusBadGateway, codeExternal, fmt.Errorf("proxying to %s: %w", c.target.Host, err))
	}
	var pe *panicError
	if errors.As(err, &pe) {
		e := newHTTPError(http.StatusInternalServerError, codeInvocation, fmt.Errorf("%s: %w", c.fnID, err))
		e.Detail = "The handler panicked: " + pe.msg + "\nIts stack is in the log."
		return e
	}
	e := newHTTPError(http.StatusBadGateway, codeNoResponse, fmt.Errorf("proxying to %s at %s: %w", c.fnID, c.target.Host, err))
	exited := c.inst != nil && c.inst.exited()
	if !isDialError(err) && (exited || errors.Is(err, errStale) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isConnReset(err)) {
		// The process had the request and dropped it (a crash, a
		// handler that aborted the connection): as vercel dev answers a
		// proxy error, 500
		// FUNCTION_INVOCATION_FAILED (reference §3.4). One it could not
		// be reached at stays 502 NO_RESPONSE_FROM_FUNCTION.
		e = newHTTPError(http.StatusInternalServerError, codeInvocation, fmt.Errorf("proxying to %s at %s: %w", c.fnID, c.target.Host, err))
		e.Detail = "The function closed the connection without answering; its log above says why."
	}
	if exited {
		e.Detail = "The function process exited while handling the request."
		if perr := c.inst.proc.Err(); perr != nil {
			e.Detail += "\n" + perr.Error()
		} else if ls, ok := c.inst.proc.(interface{ LastStderr() string }); ok && ls.LastStderr() != "" {
			e.Detail += "\n" + ls.LastStderr()
		}
	}
	return e
}

// fromGoWrapper reports whether res comes from Go's dev wrapper (a Go
// function's process), the one process that marks a panic: another
// process's 500 with the header is its own answer.
func fromGoWrapper(res *http.Response) bool {
	c := callFrom(res.Request.Context())
	if c == nil || c.inst == nil {
		return false
	}
	def := c.inst.f.def.Load()
	return def.Language() == runtimes.Go && def.Kind() == runtimes.KindFunction
}

// panicError is a dev process's answer to a handler that panicked
// (runtimes.PanicHeader).
type panicError struct{ msg string }

func (e *panicError) Error() string { return "the handler panicked: " + e.msg }

// isDialError reports a failure to connect: nothing was sent.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// bufferPool recycles the ReverseProxy's copy buffers without allocating
// (a sync.Pool of []byte would box each Put).
type bufferPool struct{ free chan []byte }

func newBufferPool() *bufferPool { return &bufferPool{free: make(chan []byte, 256)} }

func (p *bufferPool) Get() []byte {
	select {
	case b := <-p.free:
		return b
	default:
		return make([]byte, 32<<10)
	}
}

func (p *bufferPool) Put(b []byte) {
	select {
	case p.free <- b:
	default:
	}
}

// isUpgrade reports whether r asks to switch protocols (WebSocket).
func isUpgrade(r *http.Request) bool {
	for _, v := range r.Header["Connection"] {
		for part := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), "upgrade") {
				return true
			}
		}
	}
	return false
}
