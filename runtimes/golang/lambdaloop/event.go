package lambdaloop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// llEventAdapter is one event shape: it turns the event into a request and
// the handler's result into the response that shape expects.
type llEventAdapter interface {
	request(ctx context.Context) (*http.Request, error)
	encode(res *llResult) ([]byte, error)
}

// llDetectEvent tells the event shape apart the way Vercel's Node bridge
// does: a top-level "Action" key means a Vercel payload; version "2.0" or a
// requestContext.http.method means API Gateway payload 2.0 (or a Function
// URL); "httpMethod" means API Gateway payload 1.0.
func llDetectEvent(raw []byte) (llEventAdapter, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, fmt.Errorf("the event is not a JSON object: %s", llTruncate(raw, 64))
	}
	if action, ok := top["Action"]; ok {
		return llParseVercelEvent(action, top["body"])
	}
	var probe struct {
		Version        string `json:"version"`
		HTTPMethod     string `json:"httpMethod"`
		RequestContext struct {
			HTTP struct {
				Method string `json:"method"`
			} `json:"http"`
		} `json:"requestContext"`
	}
	// A field of an unexpected type leaves the probe partly filled; the
	// shape-specific decoder reports it properly.
	_ = json.Unmarshal(raw, &probe)
	if probe.Version == "2.0" || probe.RequestContext.HTTP.Method != "" {
		return llParseAPIGatewayV2Event(raw)
	}
	if _, ok := top["httpMethod"]; ok {
		return llParseAPIGatewayV1Event(raw)
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) > 10 {
		keys = append(keys[:10], "…")
	}
	return nil, fmt.Errorf("unknown event shape (top-level keys %v): expected a Vercel invocation payload (\"Action\":\"Invoke\"), an API Gateway HTTP API 2.0 or Function URL event, or an API Gateway REST API (payload 1.0) event", keys)
}

// llHandleEvent serves one event with h and returns the payload to post, or
// the function error to report. exit tells whether the process must stop
// after reporting.
func llHandleEvent(ctx context.Context, h http.Handler, inv llInvocation, raw []byte) (payload []byte, fe *llFunctionError, exit bool) {
	adapter, err := llDetectEvent(raw)
	if err != nil {
		return nil, &llFunctionError{Type: llErrTypeInvalidEvent, Message: err.Error()}, false
	}
	state := &llInvocationState{llInvocation: inv}
	req, err := adapter.request(context.WithValue(ctx, llInvocationKey{}, state))
	if err != nil {
		return nil, &llFunctionError{Type: llErrTypeInvalidEvent, Message: err.Error()}, false
	}
	if inv.TraceID != "" && req.Header.Get(llHeaderAmznTraceID) == "" {
		req.Header.Set(llHeaderAmznTraceID, inv.TraceID)
	}
	w := llNewResponseWriter(req.Method)
	if fe, exit := llServeHTTP(h, w, req); fe != nil {
		return nil, fe, exit
	}
	if state.fe != nil {
		return nil, state.fe, state.exit
	}
	payload, err = adapter.encode(w.result())
	if err != nil {
		return nil, &llFunctionError{Type: llErrTypeInvalidEvent, Message: fmt.Sprintf("encoding the response: %v", err)}, false
	}
	return payload, nil, false
}

// llInvocationState travels in the request context. Code that serves the
// request without an http.ResponseWriter of its own (the StartChild proxy)
// records a function error in it.
type llInvocationState struct {
	llInvocation
	fe   *llFunctionError
	exit bool
}

type llInvocationKey struct{}

// llFailInvocation makes the invocation of ctx fail with fe instead of
// answering with what was written to the ResponseWriter. It reports false
// when ctx is not an invocation's.
func llFailInvocation(ctx context.Context, fe *llFunctionError, exit bool) bool {
	st, ok := ctx.Value(llInvocationKey{}).(*llInvocationState)
	if !ok {
		return false
	}
	st.fe, st.exit = fe, exit
	return true
}

// llRequestParts is what an event says about the HTTP request.
type llRequestParts struct {
	method string
	// target is the request target: path and query ("/a?b=c").
	target string
	// host is used when the headers have no Host.
	host   string
	header http.Header
	body   []byte
	// remoteIPs are candidates for RemoteAddr, best first; the first valid
	// IP address wins.
	remoteIPs []string
}

// build makes a server-side request, as net/http's server would have.
func (p *llRequestParts) build(ctx context.Context) (*http.Request, error) {
	method := p.method
	if method == "" {
		method = http.MethodGet
	}
	target := p.target
	if target == "" {
		target = "/"
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("parsing the request target %q: %w", target, err)
	}
	var body *bytes.Reader
	if len(p.body) > 0 {
		body = bytes.NewReader(p.body)
	}
	var req *http.Request
	if body != nil {
		req, err = http.NewRequestWithContext(ctx, method, "/", body)
	} else {
		req, err = http.NewRequestWithContext(ctx, method, "/", http.NoBody)
	}
	if err != nil {
		return nil, fmt.Errorf("building the %q request for %q: %w", method, target, err)
	}
	req.URL = u
	req.RequestURI = target
	req.Header = p.header
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Host = p.host
	if hs := req.Header.Values("Host"); len(hs) > 0 && hs[0] != "" {
		req.Host = hs[0]
	}
	if req.Host == "" {
		req.Host = u.Host
	}
	req.Header.Del("Host")
	req.Header.Del("Transfer-Encoding")
	if _, ok := req.Header["Content-Length"]; ok {
		req.Header.Set("Content-Length", strconv.Itoa(len(p.body)))
	}
	req.ContentLength = int64(len(p.body))
	req.GetBody = nil
	req.RemoteAddr = llRemoteAddr(p.remoteIPs...)
	return req, nil
}

// llRemoteAddr formats the first candidate that is an IP address (or
// IP:port) as "IP:0". It returns "" when none is.
func llRemoteAddr(candidates ...string) string {
	for _, c := range candidates {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		a, err := netip.ParseAddr(c)
		if err != nil {
			ap, err2 := netip.ParseAddrPort(c)
			if err2 != nil {
				continue
			}
			a = ap.Addr()
		}
		return netip.AddrPortFrom(a.Unmap(), 0).String()
	}
	return ""
}

// llFirstHop is the first (client) address of an X-Forwarded-For value.
func llFirstHop(xff string) string {
	first, _, _ := strings.Cut(xff, ",")
	return strings.TrimSpace(first)
}

// llDecodeBase64 decodes standard base64, padded or not.
func llDecodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err2 == nil {
		return b2, nil
	}
	return nil, errors.Join(errors.New("the body is not valid base64"), err)
}
