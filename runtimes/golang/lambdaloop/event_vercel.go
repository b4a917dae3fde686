package lambdaloop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// llVercelRequest is the request that a Vercel invocation payload carries,
// JSON-encoded, in its "body" string.
type llVercelRequest struct {
	Method string `json:"method"`
	// Path is the path and the query string together.
	Path string `json:"path"`
	Host string `json:"host"`
	// Headers have lower-case names; a value is a string or an array of
	// strings.
	Headers map[string]json.RawMessage `json:"headers"`
	// Encoding is "base64" or absent (Body is then the raw text). Like
	// go-bridge, any other value is treated as absent.
	Encoding string `json:"encoding"`
	Body     string `json:"body"`
}

// llVercelResponse is what go-bridge answers and Vercel's launcher reads.
type llVercelResponse struct {
	StatusCode int                 `json:"statusCode"`
	Headers    map[string][]string `json:"headers"`
	Encoding   string              `json:"encoding"`
	Body       string              `json:"body"`
}

type llVercelAdapter struct {
	req llVercelRequest
}

func llParseVercelEvent(action, body json.RawMessage) (llEventAdapter, error) {
	var a string
	if err := json.Unmarshal(action, &a); err != nil || a != "Invoke" {
		return nil, fmt.Errorf("unsupported Vercel payload action %s: only \"Invoke\" is handled", llTruncate(action, 64))
	}
	var inner string
	if err := json.Unmarshal(body, &inner); err != nil || len(body) == 0 {
		return nil, errors.New(`the Vercel payload's "body" is not a JSON string`)
	}
	ad := &llVercelAdapter{}
	if err := json.Unmarshal([]byte(inner), &ad.req); err != nil {
		return nil, fmt.Errorf("decoding the request in the Vercel payload's body: %w", err)
	}
	return ad, nil
}

func (a *llVercelAdapter) request(ctx context.Context) (*http.Request, error) {
	header := http.Header{}
	for name, raw := range a.req.Headers {
		var one string
		if err := json.Unmarshal(raw, &one); err == nil {
			header.Add(name, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(raw, &many); err != nil {
			return nil, fmt.Errorf("header %q of the Vercel request: want a string or an array of strings, got %s", name, llTruncate(raw, 64))
		}
		for _, v := range many {
			header.Add(name, v)
		}
	}
	body := []byte(a.req.Body)
	if a.req.Encoding == "base64" {
		b, err := llDecodeBase64(a.req.Body)
		if err != nil {
			return nil, fmt.Errorf("decoding the Vercel request body: %w", err)
		}
		body = b
	}
	parts := llRequestParts{
		method:    a.req.Method,
		target:    a.req.Path,
		host:      a.req.Host,
		header:    header,
		body:      body,
		remoteIPs: []string{header.Get("X-Real-Ip"), llFirstHop(header.Get("X-Forwarded-For"))},
	}
	return parts.build(ctx)
}

func (a *llVercelAdapter) encode(res *llResult) ([]byte, error) {
	return json.Marshal(llVercelResponse{
		StatusCode: res.status,
		Headers:    res.header,
		Encoding:   "base64",
		Body:       base64.StdEncoding.EncodeToString(res.body),
	})
}
