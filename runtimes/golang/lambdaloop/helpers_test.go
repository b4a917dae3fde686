package lambdaloop

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// echo is what echoHandler reports about the request it got.
type echo struct {
	Method        string            `json:"method"`
	Path          string            `json:"path"`
	RawQuery      string            `json:"rawQuery"`
	Name          string            `json:"name"`
	Host          string            `json:"host"`
	RequestURI    string            `json:"requestURI"`
	RemoteAddr    string            `json:"remoteAddr"`
	Multi         []string          `json:"multi"`
	Cookies       map[string]string `json:"cookies"`
	ContentLength int64             `json:"contentLength"`
	HeaderLength  string            `json:"headerLength"`
	Body          []byte            `json:"body"`
	TraceID       string            `json:"traceId"`
}

// binaryBody is what echoHandler answers on /binary.
var binaryBody = func() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// echoHandler echoes the request as JSON with a multi-value header and two
// cookies; it answers 404 on /missing and binary data on /binary.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/missing":
		http.NotFound(w, r)
		return
	case "/binary":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(binaryBody)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	e := echo{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Name: r.URL.Query().Get("name"),
		Host: r.Host, RequestURI: r.RequestURI, RemoteAddr: r.RemoteAddr, Multi: r.Header.Values("X-Multi"),
		Cookies: map[string]string{}, ContentLength: r.ContentLength, HeaderLength: r.Header.Get("Content-Length"),
		Body: body, TraceID: r.Header.Get("X-Amzn-Trace-Id"),
	}
	for _, c := range r.Cookies() {
		e.Cookies[c.Name] = c.Value
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Add("X-Echo", "a")
	w.Header().Add("X-Echo", "b")
	http.SetCookie(w, &http.Cookie{Name: "seen", Value: "1", Path: "/"})
	http.SetCookie(w, &http.Cookie{Name: "other", Value: "2"})
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(e)
}

// kind names an event shape in tests.
type kind string

const (
	kindVercel kind = "vercel"
	kindV2     kind = "apigw-v2"
	kindV1     kind = "apigw-v1"
)

// buildEvent makes a minimal event of kind k. target may carry a query.
func buildEvent(t testing.TB, k kind, method, target string, header map[string][]string, body []byte) []byte {
	t.Helper()
	path, rawQuery, _ := strings.Cut(target, "?")
	var ev any
	switch k {
	case kindVercel:
		req := map[string]any{"method": method, "path": target, "host": "example.vercel.app", "headers": header, "encoding": "base64", "body": base64.StdEncoding.EncodeToString(body)}
		inner, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		ev = map[string]any{"Action": "Invoke", "body": string(inner)}
	case kindV2:
		h := map[string]string{}
		for k, vs := range header {
			h[strings.ToLower(k)] = strings.Join(vs, ",")
		}
		ev = map[string]any{
			"version": "2.0", "rawPath": path, "rawQueryString": rawQuery, "headers": h,
			"requestContext": map[string]any{"domainName": "abc.lambda-url.us-east-1.on.aws", "http": map[string]any{"method": method, "path": path, "sourceIp": "198.51.100.1"}},
			"body":           base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
		}
	case kindV1:
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			t.Fatal(err)
		}
		ev = map[string]any{
			"httpMethod": method, "path": path, "multiValueHeaders": header, "multiValueQueryStringParameters": q,
			"requestContext": map[string]any{"domainName": "abc.execute-api.us-east-1.amazonaws.com", "identity": map[string]any{"sourceIp": "198.51.100.1"}},
			"body":           base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
		}
	default:
		t.Fatalf("unknown kind %q", k)
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decoded is a response of any shape, normalised.
type decoded struct {
	Status int
	// Header is the header as the shape carries it, flattened: vercel and
	// v1 multi-values as lists, v2 comma-joined strings as one value.
	Header  http.Header
	Cookies []string
	Body    []byte
	// Text tells whether the body travelled as text (v1/v2 only).
	Text bool
}

func decodeResponse(t testing.TB, k kind, payload []byte) decoded {
	t.Helper()
	var d decoded
	switch k {
	case kindVercel:
		var r llVercelResponse
		mustUnmarshal(t, payload, &r)
		if r.Encoding != "base64" {
			t.Fatalf("encoding = %q, want base64", r.Encoding)
		}
		body, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			t.Fatal(err)
		}
		d = decoded{Status: r.StatusCode, Header: r.Headers, Cookies: r.Headers["Set-Cookie"], Body: body}
	case kindV2:
		var r llV2Response
		mustUnmarshal(t, payload, &r)
		d = decoded{Status: r.StatusCode, Header: http.Header{}, Cookies: r.Cookies, Body: []byte(r.Body), Text: !r.IsBase64Encoded}
		for k, v := range r.Headers {
			d.Header[k] = []string{v}
		}
		if r.IsBase64Encoded {
			body, err := base64.StdEncoding.DecodeString(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			d.Body = body
		}
	case kindV1:
		var r llV1Response
		mustUnmarshal(t, payload, &r)
		d = decoded{Status: r.StatusCode, Header: r.MultiValueHeaders, Cookies: r.MultiValueHeaders["Set-Cookie"], Body: []byte(r.Body), Text: !r.IsBase64Encoded}
		for k, v := range r.Headers {
			if mv := r.MultiValueHeaders[k]; len(mv) == 0 || mv[len(mv)-1] != v {
				t.Errorf("headers[%q] = %q is not the last of multiValueHeaders %q", k, v, mv)
			}
		}
		if len(r.Headers) != len(r.MultiValueHeaders) {
			t.Errorf("headers has %d names, multiValueHeaders %d", len(r.Headers), len(r.MultiValueHeaders))
		}
		if r.IsBase64Encoded {
			body, err := base64.StdEncoding.DecodeString(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			d.Body = body
		}
	}
	return d
}

func mustUnmarshal(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
