package lambdatest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestEventBuilders(t *testing.T) {
	headers := map[string][]string{
		"Host":            {"h.example"},
		"X-Multi":         {"a", "b"},
		"Cookie":          {"c=1; d=2"},
		"X-Forwarded-For": {"198.51.100.9, 10.0.0.1"},
	}
	body := []byte{0, 0xff, 'x'}

	t.Run("vercel", func(t *testing.T) {
		var ev struct {
			Action string `json:"Action"`
			Body   string `json:"body"`
		}
		mustDecode(t, VercelEvent("POST", "/p?q=1", headers, body), &ev)
		var req struct {
			Method, Path, Host, Encoding, Body string
			Headers                            map[string]json.RawMessage
		}
		mustDecode(t, []byte(ev.Body), &req)
		if ev.Action != "Invoke" || req.Method != "POST" || req.Path != "/p?q=1" || req.Host != "h.example" || req.Encoding != "base64" {
			t.Errorf("event %+v / %+v", ev, req)
		}
		if string(req.Headers["x-multi"]) != `["a","b"]` || string(req.Headers["cookie"]) != `"c=1; d=2"` {
			t.Errorf("headers %s %s", req.Headers["x-multi"], req.Headers["cookie"])
		}
		if b, _ := base64.StdEncoding.DecodeString(req.Body); string(b) != string(body) {
			t.Errorf("body %q", b)
		}
	})
	t.Run("apigw-v2", func(t *testing.T) {
		var ev struct {
			Version               string            `json:"version"`
			RawPath               string            `json:"rawPath"`
			RawQueryString        string            `json:"rawQueryString"`
			Cookies               []string          `json:"cookies"`
			Headers               map[string]string `json:"headers"`
			QueryStringParameters map[string]string `json:"queryStringParameters"`
			RequestContext        struct {
				DomainName string `json:"domainName"`
				HTTP       struct{ Method, SourceIP string }
			} `json:"requestContext"`
			Body            string `json:"body"`
			IsBase64Encoded bool   `json:"isBase64Encoded"`
		}
		mustDecode(t, APIGatewayV2Event("POST", "/p?q=1&q=2&r=%20", headers, body), &ev)
		if ev.Version != "2.0" || ev.RawPath != "/p" || ev.RawQueryString != "q=1&q=2&r=%20" || ev.RequestContext.HTTP.Method != "POST" {
			t.Errorf("event %+v", ev)
		}
		if ev.QueryStringParameters["q"] != "1,2" || ev.QueryStringParameters["r"] != " " {
			t.Errorf("queryStringParameters %v", ev.QueryStringParameters)
		}
		if !slices.Equal(ev.Cookies, []string{"c=1", "d=2"}) || ev.Headers["cookie"] != "" || ev.Headers["x-multi"] != "a,b" {
			t.Errorf("cookies %q headers %v", ev.Cookies, ev.Headers)
		}
		if ev.RequestContext.HTTP.SourceIP != "198.51.100.9" || ev.RequestContext.DomainName != "h.example" {
			t.Errorf("requestContext %+v", ev.RequestContext)
		}
		if b, _ := base64.StdEncoding.DecodeString(ev.Body); !ev.IsBase64Encoded || string(b) != string(body) {
			t.Errorf("body %q base64 %v", b, ev.IsBase64Encoded)
		}
	})
	t.Run("apigw-v1", func(t *testing.T) {
		var ev struct {
			HTTPMethod                      string              `json:"httpMethod"`
			Path                            string              `json:"path"`
			Headers                         map[string]string   `json:"headers"`
			MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
			QueryStringParameters           map[string]string   `json:"queryStringParameters"`
			MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
			RequestContext                  struct {
				Path     string `json:"path"`
				Identity struct {
					SourceIP string `json:"sourceIp"`
				} `json:"identity"`
			} `json:"requestContext"`
			Body            *string `json:"body"`
			IsBase64Encoded bool    `json:"isBase64Encoded"`
		}
		mustDecode(t, APIGatewayV1Event("GET", "/p?q=1&q=2", map[string][]string{"x-multi": {"a", "b"}}, nil), &ev)
		if ev.HTTPMethod != "GET" || ev.Path != "/p" || ev.RequestContext.Path != "/prod/p" || ev.Body != nil || ev.IsBase64Encoded {
			t.Errorf("event %+v", ev)
		}
		if ev.Headers["X-Multi"] != "b" || !slices.Equal(ev.MultiValueHeaders["X-Multi"], []string{"a", "b"}) || ev.Headers["Host"] != DefaultHost {
			t.Errorf("headers %v / %v", ev.Headers, ev.MultiValueHeaders)
		}
		if ev.QueryStringParameters["q"] != "2" || !slices.Equal(ev.MultiValueQueryStringParameters["q"], []string{"1", "2"}) {
			t.Errorf("query %v / %v", ev.QueryStringParameters, ev.MultiValueQueryStringParameters)
		}
		if ev.RequestContext.Identity.SourceIP != SourceIP {
			t.Errorf("sourceIp %q", ev.RequestContext.Identity.SourceIP)
		}
		var raw map[string]json.RawMessage
		mustDecode(t, APIGatewayV1Event("GET", "/p", nil, nil), &raw)
		if string(raw["queryStringParameters"]) != "null" || string(raw["body"]) != "null" {
			t.Errorf("no query / no body should be null: %s %s", raw["queryStringParameters"], raw["body"])
		}
	})
}

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name       string
		kind       EventKind
		raw        string
		wantStatus int
		wantHeader http.Header
		wantBody   string
		wantErr    string // substring; "function:<type>" for a *FunctionError
	}{
		{"vercel lists and strings", EventVercel,
			`{"statusCode":201,"headers":{"X-Echo":["a","b"],"content-type":"text/plain","Set-Cookie":["s=1"]},"encoding":"base64","body":"aGk="}`,
			201, http.Header{"X-Echo": {"a", "b"}, "Content-Type": {"text/plain"}, "Set-Cookie": {"s=1"}}, "hi", ""},
		{"vercel text body", EventVercel, `{"statusCode":200,"body":"plain"}`, 200, http.Header{}, "plain", ""},
		{"v2 cookies become Set-Cookie", EventAPIGatewayV2,
			`{"statusCode":200,"headers":{"X-Echo":"a,b"},"cookies":["s=1","t=2"],"body":"hi","isBase64Encoded":false}`,
			200, http.Header{"X-Echo": {"a,b"}, "Set-Cookie": {"s=1", "t=2"}}, "hi", ""},
		{"v2 base64", EventAPIGatewayV2, `{"statusCode":200,"body":"AP8=","isBase64Encoded":true}`, 200, http.Header{}, "\x00\xff", ""},
		{"v2 without statusCode is inferred", EventAPIGatewayV2, `{"hello":"world"}`, 200, http.Header{"Content-Type": {"application/json"}}, `{"hello":"world"}`, ""},
		{"v2 string payload is inferred", EventAPIGatewayV2, `"just a string"`, 200, http.Header{"Content-Type": {"application/json"}}, `"just a string"`, ""},
		{"v1 merges headers", EventAPIGatewayV1,
			`{"statusCode":404,"headers":{"X-Echo":"b","X-Only":"o"},"multiValueHeaders":{"X-Echo":["a","b"]},"body":"nf","isBase64Encoded":false}`,
			404, http.Header{"X-Echo": {"a", "b"}, "X-Only": {"o"}}, "nf", ""},
		{"v1 without statusCode", EventAPIGatewayV1, `{"body":"x"}`, 0, nil, "", "malformed Lambda proxy response"},
		{"vercel not JSON", EventVercel, `Task timed out after 1.00 seconds`, 0, nil, "", "not a JSON object"},
		{"function error", EventVercel, `{"errorMessage":"boom","errorType":"Runtime.Panic","stackTrace":["main.f (x.go:1)"]}`, 0, nil, "", "function:Runtime.Panic"},
		{"function error with aws-lambda-go frames", EventAPIGatewayV2, `{"errorMessage":"m","errorType":"T","stackTrace":[{"path":"x.go","line":1,"label":"f"}]}`, 0, nil, "", "function:T"},
		{"error-like keys plus others are a response", EventAPIGatewayV2, `{"errorMessage":"m","errorType":"T","statusCode":500}`, 500, http.Header{}, "", ""},
		{"bad base64", EventAPIGatewayV1, `{"statusCode":200,"body":"%%","isBase64Encoded":true}`, 0, nil, "", "decoding the base64 body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := DecodeResponse(tt.kind, []byte(tt.raw))
			if tt.wantErr != "" {
				if typ, ok := strings.CutPrefix(tt.wantErr, "function:"); ok {
					if !IsFunctionError(err, typ) {
						t.Fatalf("err = %v, want a function error of type %s", err, typ)
					}
					var fe *FunctionError
					if !errors.As(err, &fe) || len(fe.StackTrace) != 1 || string(fe.Raw) != tt.raw {
						t.Errorf("function error %#v", err)
					}
					return
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.wantStatus || string(res.Body) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", res.Status, res.Body, tt.wantStatus, tt.wantBody)
			}
			if len(res.Headers) != len(tt.wantHeader) {
				t.Errorf("headers %v, want %v", res.Headers, tt.wantHeader)
			}
			for k, v := range tt.wantHeader {
				if !slices.Equal(res.Headers[k], v) {
					t.Errorf("header %s = %q, want %q", k, res.Headers[k], v)
				}
			}
			if !slices.Equal(res.Cookies, res.Headers.Values("Set-Cookie")) {
				t.Errorf("Cookies %q differ from Set-Cookie %q", res.Cookies, res.Headers.Values("Set-Cookie"))
			}
		})
	}
}

func mustDecode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}
