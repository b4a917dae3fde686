package devserver

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// writeRequest writes req with its buffered body (nil for none) the way
// Request.Write does for the requests hopTransport takes, without its
// per-request sorting of header keys and fmt formatting (4–5 % of the dev
// server's CPU under load). Requests this writer does not vouch for (a
// value or target with a control character, Connection: close, CONNECT)
// go through Request.Write.
func writeRequest(w *bufio.Writer, req *http.Request, body []byte) error {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	target := req.URL.RequestURI()
	if req.Close || req.Method == http.MethodConnect || !plainHead(req, host, target) {
		out := req
		if body != nil {
			cp := *req
			cp.Body = io.NopCloser(bytes.NewReader(body))
			cp.ContentLength = int64(len(body))
			out = &cp
		}
		return out.Write(w)
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(target)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(host)
	w.WriteString("\r\n")
	if _, set := req.Header["User-Agent"]; !set {
		w.WriteString("User-Agent: Go-http-client/1.1\r\n") // Request.Write's default
	}
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer":
			continue // written here, or not on this path
		case "User-Agent":
			if len(vs) == 0 || vs[0] == "" {
				continue // ReverseProxy's way of sending none
			}
			vs = vs[:1]
		}
		for _, v := range vs {
			w.WriteString(k)
			w.WriteString(": ")
			w.WriteString(textproto.TrimString(v)) // ASCII space only, as Request.Write
			w.WriteString("\r\n")
		}
	}
	switch {
	case len(body) > 0:
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	case method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n") // as Request.Write sends
	}
	w.WriteString("\r\n")
	_, err := w.Write(body)
	return err
}

// plainHead reports whether the request line and header fields have no
// byte that Request.Write would reject, drop or rewrite (control
// characters, which include CR and LF; spaces inside the target; field
// names that are not tokens).
func plainHead(req *http.Request, host, target string) bool {
	if hasCTL(host, false) || hasCTL(target, false) || strings.IndexByte(target, ' ') >= 0 || hasCTL(req.Method, false) {
		return false
	}
	return validFields(req.Header) // Request.Write leaves out a field with a bad name
}

// validFields reports whether every field of h has a token for a name and
// a value without control characters but tabs: what net/http's server
// accepts and Request.Write writes.
func validFields(h http.Header) bool {
	for k, vs := range h {
		if !isToken(k) {
			return false
		}
		for _, v := range vs {
			if hasCTL(v, true) {
				return false
			}
		}
	}
	return true
}

// hasCTL reports an ASCII control character; a horizontal tab counts
// only when tab is false (field values may hold tabs, the request line
// may not).
func hasCTL(s string, tab bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && (c != '\t' || !tab) || c == 0x7f {
			return true
		}
	}
	return false
}

// isToken reports whether s is an RFC 9110 token, as a field name must be.
func isToken(s string) bool { return s != "" && alnumOr(s, "!#$%&'*+-.^_`|~") }

// alnumOr reports whether every byte of s is an ASCII letter, a digit or
// one of the bytes of extra.
func alnumOr(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}
