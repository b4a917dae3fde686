package devserver

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"testing"
)

// parsedRequest is what a server reads from a request's bytes.
type parsedRequest struct {
	Method, RequestURI, Host string
	Header                   http.Header
	ContentLength            int64
	Body                     string
}

func parseWritten(t *testing.T, raw []byte) (parsedRequest, error) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return parsedRequest{}, err
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return parsedRequest{}, err
	}
	return parsedRequest{r.Method, r.RequestURI, r.Host, r.Header, r.ContentLength, string(body)}, nil
}

// checkSameAsWrite holds writeRequest to Request.Write: a server must read
// the same request from both.
func checkSameAsWrite(t *testing.T, req *http.Request, body []byte) {
	t.Helper()
	var ours bytes.Buffer
	bw := bufio.NewWriter(&ours)
	oursErr := writeRequest(bw, req, body)
	bw.Flush()

	ref := *req
	if body != nil {
		ref.Body = io.NopCloser(bytes.NewReader(body))
		ref.ContentLength = int64(len(body))
	}
	var theirs bytes.Buffer
	refErr := ref.Write(&theirs)
	if (oursErr != nil) != (refErr != nil) {
		t.Fatalf("writeRequest error %v, Request.Write error %v", oursErr, refErr)
	}
	if refErr != nil {
		return
	}
	got, gerr := parseWritten(t, ours.Bytes())
	want, werr := parseWritten(t, theirs.Bytes())
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("reading ours: %v; reading Request.Write's: %v\nours:\n%s\ntheirs:\n%s", gerr, werr, ours.Bytes(), theirs.Bytes())
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("a server reads\n%+v\nfrom writeRequest, want\n%+v\nours:\n%q\ntheirs:\n%q", got, want, ours.Bytes(), theirs.Bytes())
	}
}

func TestWriteRequest(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:4567/api/users/a%2Fb?id=a%2Fb&x=1")
	for _, tc := range []struct {
		name   string
		method string
		header http.Header
		body   []byte
	}{
		{"get", "GET", http.Header{"Accept": {"*/*"}, "X-Forwarded-For": {"127.0.0.1"}}, nil},
		{"no user agent", "GET", http.Header{"User-Agent": {""}}, nil},
		{"user agent", "GET", http.Header{"User-Agent": {"curl/8", "second"}}, nil},
		{"repeated values", "GET", http.Header{"Cookie": {"a=1", "b=2"}, "X-Multi": {"1", "2", "3"}}, nil},
		{"padded value", "GET", http.Header{"X-Pad": {"  v  "}}, nil},
		{"unicode spaces kept", "GET", http.Header{"X-Name": {"\u2003name\u00a0"}}, nil},
		{"connect", "CONNECT", nil, nil},
		{"post with body", "POST", http.Header{"Content-Type": {"application/json"}}, []byte(`{"a":1}`)},
		{"post without body", "POST", nil, nil},
		{"put without body", "PUT", nil, nil},
		{"delete without body", "DELETE", nil, nil},
		{"stale length header", "POST", http.Header{"Content-Length": {"99"}, "Transfer-Encoding": {"chunked"}}, []byte("xyz")},
		{"newline in a value", "GET", http.Header{"X-Bad": {"a\r\nInjected: 1"}}, nil},
		{"empty method", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := &http.Request{Method: tc.method, URL: u, Header: tc.header, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
			if req.Header == nil {
				req.Header = http.Header{}
			}
			checkSameAsWrite(t, req, tc.body)
		})
	}
}

func FuzzWriteRequest(f *testing.F) {
	f.Add("GET", "/api/x", "a=1", "X-Test", "v", []byte(nil))
	f.Add("POST", "/p%20q", "", "Content-Type", "text/plain", []byte("body"))
	f.Add("PUT", "/", "q=a b", "X-Bad", "a\nb", []byte{})
	f.Fuzz(func(t *testing.T, method, path, query, key, value string, body []byte) {
		if len(body) == 0 {
			body = nil
		}
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:1", Path: path, RawQuery: query}
		req := &http.Request{Method: method, URL: u, Header: http.Header{}}
		if key != "" {
			req.Header[http.CanonicalHeaderKey(key)] = []string{value}
		}
		checkSameAsWrite(t, req, body)
	})
}
