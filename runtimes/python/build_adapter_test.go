package python

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/lambdatest"
)

// adapterEchoApp answers by path, for TestAdapterEvents.
const adapterEchoApp = `import gzip, json

def app(environ, start_response):
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    if path.endswith("/nocontent"):
        start_response("204 No Content", [("X-A", "1")])
        return [b"ignored"]
    if path.endswith("/gzip"):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Encoding", "gzip")])
        return [gzip.compress(b"hello")]
    if path.endswith("/latin"):
        start_response("200 OK", [("Content-Type", "text/plain; charset=latin-1")])
        return [b"caf\xe9"]
    start_response("200 OK", [("Content-Type", "application/json"), ("X-Multi", "a"), ("x-multi", "b")])
    return [json.dumps({
        "method": environ["REQUEST_METHOD"], "path": path, "query": environ["QUERY_STRING"],
        "cookie": environ.get("HTTP_COOKIE", ""), "remote": environ.get("REMOTE_ADDR", ""),
        "body": body.decode("latin-1"), "scheme": environ["wsgi.url_scheme"],
        "server": environ["SERVER_NAME"] + ":" + environ["SERVER_PORT"],
    }).encode()]
`

// adapterDriver imports the built trampoline and prints, for each event
// read from stdin (a JSON list), the handler's answer or the exception's
// type.
const adapterDriver = `import json, sys
import vc__handler__python as h
for ev in json.load(sys.stdin):
    try:
        print(json.dumps(h.vc_handler(ev, None)))
    except Exception as e:
        print(json.dumps({"raised": type(e).__name__, "message": str(e)}))
`

func vercelEvent(payload map[string]any) map[string]any {
	b, _ := json.Marshal(payload)
	return map[string]any{"Action": "Invoke", "body": string(b)}
}

// TestAdapterEvents runs the built trampoline and adapter in-process with
// python3 on events and answers the emulator tests do not reach: invalid
// events, bodies that must or must not be base64, HEAD and 204.
func TestAdapterEvents(t *testing.T) {
	lambdatest.HostPython(t)
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"api/echo.py": adapterEchoApp})
	out := filepath.Join(t.TempDir(), "f.func")
	if _, err := (&Runtime{}).Build(context.Background(), runtimes.BuildRequest{Root: root, File: "api/echo.py",
		OutDir: out, PythonVersion: lambdatest.HostPython(t), CacheDir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	cases := []struct {
		name  string
		event any
		// check gets the answer decoded as a map.
		check func(t *testing.T, got map[string]any)
	}{
		{"vercel text body and header lists", vercelEvent(map[string]any{"method": "post", "path": "/api/echo?x=1",
			"headers": map[string]any{"cookie": []string{"a=1", "b=2"}, "x-forwarded-proto": "https"}, "body": "hello", "host": "h.example"}),
			func(t *testing.T, got map[string]any) {
				body := decodeJSONBody(t, got)
				want := map[string]any{"method": "POST", "path": "/api/echo", "query": "x=1", "cookie": "a=1; b=2",
					"remote": "", "body": "hello", "scheme": "https", "server": "h.example:443"}
				if !equalJSON(body, want) {
					t.Errorf("echo = %v, want %v", body, want)
				}
				if _, ok := got["encoding"]; ok {
					t.Errorf("a JSON body was base64-encoded: %v", got)
				}
				if !equalJSON(got["headers"], map[string]any{"Content-Type": []string{"application/json"}, "X-Multi": []string{"a", "b"}}) {
					t.Errorf("headers = %v", got["headers"])
				}
			}},
		{"vercel true-client-ip", vercelEvent(map[string]any{"method": "GET", "path": "/api/echo", "true-client-ip": "2001:db8::1"}),
			func(t *testing.T, got map[string]any) {
				if r := decodeJSONBody(t, got)["remote"]; r != "2001:db8::1" {
					t.Errorf("remote = %v", r)
				}
			}},
		{"vercel bad base64", vercelEvent(map[string]any{"method": "POST", "path": "/", "encoding": "base64", "body": "!!!"}), raised("InvalidEvent", "base64")},
		{"vercel other action", map[string]any{"Action": "Prefetch", "body": "{}"}, raised("InvalidEvent", "Prefetch")},
		{"vercel body not JSON", map[string]any{"Action": "Invoke", "body": "{nope"}, raised("InvalidEvent", "not JSON")},
		{"not an object", []any{1, 2}, raised("InvalidEvent", "not a JSON object")},
		{"unknown shape", map[string]any{"Records": []any{}}, raised("InvalidEvent", "unknown event shape")},
		{"HEAD drops the body", vercelEvent(map[string]any{"method": "HEAD", "path": "/api/echo"}),
			func(t *testing.T, got map[string]any) {
				if got["statusCode"] != 200.0 || got["body"] != "" {
					t.Errorf("HEAD: %v", got)
				}
			}},
		{"204 has no body", map[string]any{"version": "2.0", "rawPath": "/api/echo/nocontent", "requestContext": map[string]any{"http": map[string]any{"method": "GET"}}},
			func(t *testing.T, got map[string]any) {
				if got["statusCode"] != 204.0 || got["body"] != "" || got["isBase64Encoded"] != false {
					t.Errorf("204: %v", got)
				}
			}},
		{"content-encoded body is base64", map[string]any{"version": "2.0", "rawPath": "/api/echo/gzip", "requestContext": map[string]any{"http": map[string]any{"method": "GET"}}},
			func(t *testing.T, got map[string]any) {
				if got["isBase64Encoded"] != true {
					t.Errorf("gzip body not base64: %v", got)
				}
			}},
		{"non-UTF-8 text is base64", vercelEvent(map[string]any{"method": "GET", "path": "/api/echo/latin"}),
			func(t *testing.T, got map[string]any) {
				if got["encoding"] != "base64" || got["body"] != b64([]byte("caf\xe9")) {
					t.Errorf("latin-1 body: %v", got)
				}
			}},
		{"v2 cookies and body", map[string]any{"version": "2.0", "rawPath": "/api/echo", "rawQueryString": "a=1&a=2",
			"cookies": []string{"c=1", "d=2"}, "body": b64([]byte{0xe9}), "isBase64Encoded": true,
			"requestContext": map[string]any{"http": map[string]any{"method": "PUT", "sourceIp": "192.0.2.1"}, "domainName": "x.lambda-url.us-east-1.on.aws"}},
			func(t *testing.T, got map[string]any) {
				want := map[string]any{"method": "PUT", "path": "/api/echo", "query": "a=1&a=2", "cookie": "c=1; d=2",
					"remote": "192.0.2.1", "body": "\u00e9", "scheme": "https", "server": "x.lambda-url.us-east-1.on.aws:443"}
				if body := decodeJSONBody(t, got); !equalJSON(body, want) {
					t.Errorf("echo = %v, want %v", body, want)
				}
				if !equalJSON(got["headers"], map[string]any{"Content-Type": "application/json", "X-Multi": "a,b"}) {
					t.Errorf("v2 headers = %v", got["headers"])
				}
			}},
		{"v1 single-value query and headers", map[string]any{"httpMethod": "DELETE", "path": "/api/echo",
			"queryStringParameters": map[string]any{"q": "a b"}, "headers": map[string]any{"Cookie": "z=9"},
			"requestContext": map[string]any{"identity": map[string]any{"sourceIp": "198.51.100.1"}}},
			func(t *testing.T, got map[string]any) {
				body := decodeJSONBody(t, got)
				if body["method"] != "DELETE" || body["query"] != "q=a+b" || body["cookie"] != "z=9" || body["remote"] != "198.51.100.1" {
					t.Errorf("echo = %v", body)
				}
				if !equalJSON(got["multiValueHeaders"], map[string]any{"Content-Type": []string{"application/json"}, "X-Multi": []string{"a", "b"}}) ||
					!equalJSON(got["headers"], map[string]any{"Content-Type": "application/json", "X-Multi": "b"}) {
					t.Errorf("v1 headers = %v / %v", got["headers"], got["multiValueHeaders"])
				}
			}},
	}
	var events []any
	for _, c := range cases {
		events = append(events, c.event)
	}
	input, _ := json.Marshal(events)
	cmd := exec.Command("python3", "-c", adapterDriver)
	cmd.Dir = out
	cmd.Env = append(os.Environ(), "VIRTUAL_ENV=", "PYTHONPATH="+vendorDir, "PYTHONDONTWRITEBYTECODE=1")
	cmd.Stdin = strings.NewReader(string(input))
	stdout, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("running the adapter: %v\n%s", err, stderr)
	}
	lines := strings.Split(strings.TrimSpace(string(stdout)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("got %d answers for %d events:\n%s", len(lines), len(cases), stdout)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got map[string]any
			if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
				t.Fatalf("%v: %s", err, lines[i])
			}
			c.check(t, got)
		})
	}
}

func raised(typ, msg string) func(t *testing.T, got map[string]any) {
	return func(t *testing.T, got map[string]any) {
		t.Helper()
		m, _ := got["message"].(string)
		if got["raised"] != typ || !strings.Contains(m, msg) {
			t.Errorf("got %v, want %s mentioning %q", got, typ, msg)
		}
	}
}

func decodeJSONBody(t *testing.T, got map[string]any) map[string]any {
	t.Helper()
	s, _ := got["body"].(string)
	if got["encoding"] == "base64" || got["isBase64Encoded"] == true {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		s = string(b)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(s), &body); err != nil {
		t.Fatalf("body %q: %v (answer %v)", s, err, got)
	}
	return body
}
