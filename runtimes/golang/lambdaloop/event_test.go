package lambdaloop

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const samplePostBody = `{"name":"x","msg":"héllo ✓"}`

// TestSampleEvents runs the six reference samples (GET with a query, POST
// with a base64 UTF-8 JSON body, for each shape) through the adapters.
func TestSampleEvents(t *testing.T) {
	if len(samplePostBody) != 31 {
		t.Fatalf("sample body is %d bytes, want 31", len(samplePostBody))
	}
	tests := []struct {
		file string
		kind kind
		host string
	}{
		{"vercel-invoke.json", kindVercel, "example.vercel.app"},
		{"vercel-invoke-post.json", kindVercel, "example.vercel.app"},
		{"apigw-v2.json", kindV2, "abc123.lambda-url.us-east-1.on.aws"},
		{"apigw-v2-post.json", kindV2, "abc123.lambda-url.us-east-1.on.aws"},
		{"apigw-v1.json", kindV1, "abc123.execute-api.us-east-1.amazonaws.com"},
		{"apigw-v1-post.json", kindV1, "abc123.execute-api.us-east-1.amazonaws.com"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			post := strings.HasSuffix(tt.file, "-post.json")
			payload, fe, exit := llHandleEvent(context.Background(), http.HandlerFunc(echoHandler), llInvocation{RequestID: "r1"}, raw)
			if fe != nil || exit {
				t.Fatalf("function error %v (exit %v)", fe, exit)
			}
			res := decodeResponse(t, tt.kind, payload)
			var got echo
			mustUnmarshal(t, res.Body, &got)

			wantStatus, wantMethod, wantURI, wantName := 200, "GET", "/api/hello?name=x", "x"
			if post {
				wantStatus, wantMethod, wantURI, wantName = 201, "POST", "/api/hello", ""
			}
			if res.Status != wantStatus || got.Method != wantMethod || got.Path != "/api/hello" || got.RequestURI != wantURI || got.Name != wantName {
				t.Errorf("status %d, %s %s (RequestURI %q, name %q); want %d, %s /api/hello (%q, %q)",
					res.Status, got.Method, got.Path, got.RequestURI, got.Name, wantStatus, wantMethod, wantURI, wantName)
			}
			if got.Host != tt.host {
				t.Errorf("Host = %q, want %q", got.Host, tt.host)
			}
			if got.RemoteAddr != "203.0.113.7:0" {
				t.Errorf("RemoteAddr = %q, want 203.0.113.7:0", got.RemoteAddr)
			}
			wantMulti := []string{"a", "b"}
			if tt.kind == kindV2 {
				wantMulti = []string{"a,b"} // payload 2.0 comma-joins repeated headers
			}
			if !slices.Equal(got.Multi, wantMulti) {
				t.Errorf("X-Multi values = %q, want %q", got.Multi, wantMulti)
			}
			if got.Cookies["c"] != "1" || got.Cookies["d"] != "2" || len(got.Cookies) != 2 {
				t.Errorf("request cookies = %v, want c=1 d=2", got.Cookies)
			}
			wantBody := ""
			if post {
				wantBody = samplePostBody
			}
			if string(got.Body) != wantBody || got.ContentLength != int64(len(wantBody)) {
				t.Errorf("body %q (ContentLength %d), want %q (%d)", got.Body, got.ContentLength, wantBody, len(wantBody))
			}
			if post && tt.kind != kindV1 && got.HeaderLength != "31" {
				t.Errorf("Content-Length header = %q, want 31", got.HeaderLength)
			}

			wantCookies := []string{"seen=1; Path=/", "other=2"}
			if !slices.Equal(res.Cookies, wantCookies) {
				t.Errorf("response cookies = %q, want %q", res.Cookies, wantCookies)
			}
			switch tt.kind {
			case kindVercel, kindV1:
				if !slices.Equal(res.Header["X-Echo"], []string{"a", "b"}) {
					t.Errorf("X-Echo = %q, want [a b]", res.Header["X-Echo"])
				}
			case kindV2:
				if !slices.Equal(res.Header["X-Echo"], []string{"a,b"}) {
					t.Errorf("X-Echo = %q, want [a,b]", res.Header["X-Echo"])
				}
				if _, ok := res.Header["Set-Cookie"]; ok {
					t.Errorf("payload 2.0 response has Set-Cookie in headers: %v", res.Header)
				}
			}
			if tt.kind != kindVercel && !res.Text {
				t.Errorf("a JSON body travelled as base64 in %s", payload)
			}
		})
	}
}

// TestAdapters covers the responses that are not plain JSON echoes, request
// edge cases, and events that must be refused.
func TestAdapters(t *testing.T) {
	binaryReq := []byte{0, 0xff, 0xfe, 'a', 0x80, '\n'}
	for _, k := range []kind{kindVercel, kindV2, kindV1} {
		t.Run(string(k), func(t *testing.T) {
			tests := []struct {
				name       string
				method     string
				target     string
				header     map[string][]string
				body       []byte
				wantStatus int
				check      func(t *testing.T, res decoded)
			}{
				{
					name: "binary response is base64", method: "GET", target: "/binary", wantStatus: 200,
					check: func(t *testing.T, res decoded) {
						if string(res.Body) != string(binaryBody) || res.Text {
							t.Errorf("body (text %v) = %x, want the 256 bytes 00..ff as base64", res.Text, res.Body)
						}
					},
				},
				{
					name: "binary request body", method: "POST", target: "/up?x=1&x=2", body: binaryReq, wantStatus: 201,
					header: map[string][]string{"Content-Type": {"application/octet-stream"}},
					check: func(t *testing.T, res decoded) {
						var e echo
						mustUnmarshal(t, res.Body, &e)
						if string(e.Body) != string(binaryReq) || e.ContentLength != int64(len(binaryReq)) {
							t.Errorf("handler saw body %x (ContentLength %d), want %x", e.Body, e.ContentLength, binaryReq)
						}
						if e.RequestURI != "/up?x=1&x=2" || e.RemoteAddr != "198.51.100.1:0" && k != kindVercel {
							t.Errorf("RequestURI %q RemoteAddr %q", e.RequestURI, e.RemoteAddr)
						}
					},
				},
				{
					name: "404 from the handler", method: "GET", target: "/missing", wantStatus: 404,
					check: func(t *testing.T, res decoded) {
						if string(res.Body) != "404 page not found\n" {
							t.Errorf("body = %q", res.Body)
						}
						if ct := res.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
							t.Errorf("Content-Type = %q", ct)
						}
					},
				},
				{
					name: "HEAD has no body", method: "HEAD", target: "/binary", wantStatus: 200,
					check: func(t *testing.T, res decoded) {
						if len(res.Body) != 0 {
							t.Errorf("HEAD response has a %d-byte body", len(res.Body))
						}
					},
				},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					raw := buildEvent(t, k, tt.method, tt.target, tt.header, tt.body)
					payload, fe, _ := llHandleEvent(context.Background(), http.HandlerFunc(echoHandler), llInvocation{}, raw)
					if fe != nil {
						t.Fatalf("function error: %v", fe)
					}
					res := decodeResponse(t, k, payload)
					if res.Status != tt.wantStatus {
						t.Fatalf("status = %d, want %d; payload %s", res.Status, tt.wantStatus, payload)
					}
					tt.check(t, res)
				})
			}
		})
	}
}

func TestInvalidEvents(t *testing.T) {
	tests := []struct {
		name, event, wantMsg string
	}{
		{"unknown shape", `{"foo":1,"bar":2}`, "unknown event shape (top-level keys [bar foo])"},
		{"not an object", `[1,2]`, "not a JSON object"},
		{"null", `null`, "not a JSON object"},
		{"not JSON", `hello`, "not a JSON object"},
		{"other Vercel action", `{"Action":"Warm","body":"{}"}`, `unsupported Vercel payload action "Warm"`},
		{"Vercel body not a string", `{"Action":"Invoke","body":{"method":"GET"}}`, `"body" is not a JSON string`},
		{"Vercel body missing", `{"Action":"Invoke"}`, `"body" is not a JSON string`},
		{"Vercel inner not JSON", `{"Action":"Invoke","body":"nope"}`, "decoding the request in the Vercel payload's body"},
		{"Vercel bad header type", `{"Action":"Invoke","body":"{\"path\":\"/\",\"headers\":{\"a\":1}}"}`, `header "a" of the Vercel request`},
		{"Vercel bad base64", `{"Action":"Invoke","body":"{\"path\":\"/\",\"encoding\":\"base64\",\"body\":\"%%%\"}"}`, "not valid base64"},
		{"Vercel bad path", `{"Action":"Invoke","body":"{\"path\":\"no-slash\"}"}`, `parsing the request target "no-slash"`},
		{"Vercel bad method", `{"Action":"Invoke","body":"{\"method\":\"G T\",\"path\":\"/\"}"}`, "invalid method"},
		{"v2 wrong types", `{"version":"2.0","headers":[1]}`, "decoding the API Gateway payload 2.0 event"},
		{"v2 bad base64", `{"version":"2.0","rawPath":"/","body":"%%","isBase64Encoded":true}`, "not valid base64"},
		{"v1 wrong types", `{"httpMethod":"GET","multiValueHeaders":{"a":"b"}}`, "decoding the API Gateway REST (payload 1.0) event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true })
			payload, fe, exit := llHandleEvent(context.Background(), h, llInvocation{}, []byte(tt.event))
			if fe == nil {
				t.Fatalf("no function error; payload %s", payload)
			}
			if fe.Type != llErrTypeInvalidEvent || !strings.Contains(fe.Message, tt.wantMsg) || exit || called {
				t.Errorf("got %s (exit %v, handler called %v), want %s containing %q", fe, exit, called, llErrTypeInvalidEvent, tt.wantMsg)
			}
		})
	}
}

// TestRequestDetails checks fields of the request that the samples leave
// at their usual values.
func TestRequestDetails(t *testing.T) {
	tests := []struct {
		name  string
		event string
		check func(t *testing.T, r *http.Request)
	}{
		{"vercel host header wins over payload host", `{"Action":"Invoke","body":"{\"path\":\"/a\",\"host\":\"payload.example\",\"headers\":{\"host\":\"header.example\"}}"}`,
			func(t *testing.T, r *http.Request) {
				if r.Host != "header.example" || r.Header.Get("Host") != "" || r.Method != "GET" {
					t.Errorf("Host %q, Header Host %q, method %q", r.Host, r.Header.Get("Host"), r.Method)
				}
			}},
		{"vercel payload host without header", `{"Action":"Invoke","body":"{\"path\":\"/a\",\"host\":\"payload.example\"}"}`,
			func(t *testing.T, r *http.Request) {
				if r.Host != "payload.example" {
					t.Errorf("Host %q", r.Host)
				}
			}},
		{"vercel raw text body without encoding", `{"Action":"Invoke","body":"{\"method\":\"PUT\",\"path\":\"/a\",\"body\":\"plain\",\"headers\":{\"content-length\":\"99\"}}"}`,
			func(t *testing.T, r *http.Request) {
				if r.ContentLength != 5 || r.Header.Get("Content-Length") != "5" {
					t.Errorf("ContentLength %d header %q, want 5 (the real length)", r.ContentLength, r.Header.Get("Content-Length"))
				}
			}},
		{"vercel x-forwarded-for first hop when no x-real-ip", `{"Action":"Invoke","body":"{\"path\":\"/\",\"headers\":{\"x-forwarded-for\":\"2001:db8::1, 10.0.0.1\"}}"}`,
			func(t *testing.T, r *http.Request) {
				if r.RemoteAddr != "[2001:db8::1]:0" {
					t.Errorf("RemoteAddr %q", r.RemoteAddr)
				}
			}},
		{"v2 cookies join an existing cookie header and domainName is the host", `{"version":"2.0","rawPath":"/p","cookies":["b=2"],"headers":{"cookie":"a=1"},"requestContext":{"domainName":"d.example","http":{"method":"DELETE"}}}`,
			func(t *testing.T, r *http.Request) {
				if r.Header.Get("Cookie") != "a=1; b=2" || r.Host != "d.example" || r.Method != "DELETE" || r.RemoteAddr != "" {
					t.Errorf("Cookie %q Host %q Method %q RemoteAddr %q", r.Header.Get("Cookie"), r.Host, r.Method, r.RemoteAddr)
				}
			}},
		{"v2 detected by requestContext.http.method alone, path from requestContext", `{"requestContext":{"http":{"method":"PATCH","path":"/ctx"}}}`,
			func(t *testing.T, r *http.Request) {
				if r.Method != "PATCH" || r.URL.Path != "/ctx" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
			}},
		{"v1 single-value headers and query when no multi-value ones", `{"httpMethod":"GET","path":"/a b","headers":{"x-one":"1"},"queryStringParameters":{"q":"a b&c"}}`,
			func(t *testing.T, r *http.Request) {
				if r.Header.Get("X-One") != "1" || r.URL.Query().Get("q") != "a b&c" || r.URL.Path != "/a b" || r.RequestURI != "/a%20b?q=a+b%26c" {
					t.Errorf("X-One %q q %q path %q RequestURI %q", r.Header.Get("X-One"), r.URL.Query().Get("q"), r.URL.Path, r.RequestURI)
				}
			}},
		{"v1 with version 1.0 from an HTTP API", `{"version":"1.0","httpMethod":"POST","path":"/x","requestContext":{"http":{}}}`,
			func(t *testing.T, r *http.Request) {
				if r.Method != "POST" || r.URL.Path != "/x" {
					t.Errorf("%s %s", r.Method, r.URL.Path)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *http.Request
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r })
			if _, fe, _ := llHandleEvent(context.Background(), h, llInvocation{}, []byte(tt.event)); fe != nil {
				t.Fatalf("function error %v", fe)
			}
			if got == nil {
				t.Fatal("the handler was not called")
			}
			tt.check(t, got)
		})
	}
}

func TestRemoteAddr(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"203.0.113.7"}, "203.0.113.7:0"},
		{[]string{"", " 203.0.113.8 "}, "203.0.113.8:0"},
		{[]string{"garbage", "203.0.113.9:1234"}, "203.0.113.9:0"},
		{[]string{"::ffff:192.0.2.1"}, "192.0.2.1:0"},
		{[]string{"2001:db8::2"}, "[2001:db8::2]:0"},
		{[]string{"nope", ""}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := llRemoteAddr(tt.in...); got != tt.want {
			t.Errorf("llRemoteAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestResponseShapesExact pins the JSON each shape answers for a small
// response, key for key.
func TestResponseShapesExact(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Add("X-Echo", "a")
		w.Header().Add("X-Echo", "b")
		w.Header()["lower-case"] = []string{"v"}
		w.Header().Add("Set-Cookie", "seen=1; Path=/")
		w.WriteHeader(201)
		w.Write([]byte("hi"))
	})
	tests := []struct {
		kind kind
		want string
	}{
		{kindVercel, `{"statusCode":201,"headers":{"Content-Type":["text/plain"],"Lower-Case":["v"],"Set-Cookie":["seen=1; Path=/"],"X-Echo":["a","b"]},"encoding":"base64","body":"aGk="}`},
		{kindV2, `{"statusCode":201,"headers":{"Content-Type":"text/plain","Lower-Case":"v","X-Echo":"a,b"},"cookies":["seen=1; Path=/"],"body":"hi","isBase64Encoded":false}`},
		{kindV1, `{"statusCode":201,"headers":{"Content-Type":"text/plain","Lower-Case":"v","Set-Cookie":"seen=1; Path=/","X-Echo":"b"},"multiValueHeaders":{"Content-Type":["text/plain"],"Lower-Case":["v"],"Set-Cookie":["seen=1; Path=/"],"X-Echo":["a","b"]},"body":"hi","isBase64Encoded":false}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			payload, fe, _ := llHandleEvent(context.Background(), h, llInvocation{}, buildEvent(t, tt.kind, "GET", "/", nil, nil))
			if fe != nil {
				t.Fatal(fe)
			}
			if string(payload) != tt.want {
				t.Errorf("payload\n got %s\nwant %s", payload, tt.want)
			}
			if !json.Valid(payload) {
				t.Error("invalid JSON")
			}
		})
	}
}
