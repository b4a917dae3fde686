package lambdaloop

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// FuzzHandleEvent feeds arbitrary events to the adapters: they must never
// panic, every answer must be valid JSON, and a refused event must be an
// InvalidEvent function error.
func FuzzHandleEvent(f *testing.F) {
	samples, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"Action":null}`, `{"Action":"Invoke","body":"{\"path\":\"//x\"}"}`,
		`{"Action":"Invoke","body":"{\"path\":\"/\",\"headers\":{\"host\":[],\"content-length\":\"-1\"}}"}`,
		`{"version":"2.0","rawPath":"","rawQueryString":"%zz","cookies":[""],"isBase64Encoded":true,"body":"===="}`,
		`{"httpMethod":"","path":"","multiValueQueryStringParameters":{"a":null},"multiValueHeaders":{"":[""]}}`,
		`{"requestContext":{"http":{"method":"\u0000"}}}`,
	} {
		f.Add([]byte(s))
	}
	h := http.HandlerFunc(echoHandler)
	f.Fuzz(func(t *testing.T, event []byte) {
		payload, fe, exit := llHandleEvent(context.Background(), h, llInvocation{RequestID: "fuzz", TraceID: "Root=1"}, event)
		if exit {
			t.Fatalf("exit requested for %q: %v", event, fe)
		}
		if fe != nil {
			if fe.Type != llErrTypeInvalidEvent || fe.Message == "" {
				t.Fatalf("unexpected function error %v", fe)
			}
			if !json.Valid(llMarshalError(fe)) {
				t.Fatalf("error document is not JSON: %s", llMarshalError(fe))
			}
			return
		}
		if !json.Valid(payload) {
			t.Fatalf("payload is not JSON: %s", payload)
		}
	})
}
