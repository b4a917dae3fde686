package lambdaloop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// llV2Request is the part of an API Gateway HTTP API payload 2.0 event (and
// of a Lambda Function URL event) that makes the HTTP request.
type llV2Request struct {
	Version        string `json:"version"`
	RawPath        string `json:"rawPath"`
	RawQueryString string `json:"rawQueryString"`
	// Cookies are the request's cookies, split out of the Cookie header.
	Cookies []string `json:"cookies"`
	// Headers have lower-case names; repeated values are comma-joined.
	Headers        map[string]string `json:"headers"`
	RequestContext struct {
		DomainName string `json:"domainName"`
		HTTP       struct {
			Method   string `json:"method"`
			Path     string `json:"path"`
			SourceIP string `json:"sourceIp"`
		} `json:"http"`
	} `json:"requestContext"`
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

// llV2Response is the payload 2.0 response format.
type llV2Response struct {
	StatusCode int `json:"statusCode"`
	// Headers has one comma-joined value per name, Set-Cookie excluded.
	Headers map[string]string `json:"headers"`
	// Cookies are the Set-Cookie values.
	Cookies         []string `json:"cookies"`
	Body            string   `json:"body"`
	IsBase64Encoded bool     `json:"isBase64Encoded"`
}

type llV2Adapter struct {
	req llV2Request
}

func llParseAPIGatewayV2Event(raw []byte) (llEventAdapter, error) {
	ad := &llV2Adapter{}
	if err := json.Unmarshal(raw, &ad.req); err != nil {
		return nil, fmt.Errorf("decoding the API Gateway payload 2.0 event: %w", err)
	}
	return ad, nil
}

func (a *llV2Adapter) request(ctx context.Context) (*http.Request, error) {
	// Comma-joined values are kept as one value: splitting would break
	// values that contain commas (dates, user agents), and a list-valued
	// header means the same either way.
	header := http.Header{}
	for name, v := range a.req.Headers {
		header.Add(name, v)
	}
	if len(a.req.Cookies) > 0 {
		cookie := strings.Join(a.req.Cookies, "; ")
		if prev := header.Get("Cookie"); prev != "" {
			cookie = prev + "; " + cookie
		}
		header.Set("Cookie", cookie)
	}
	body := []byte(a.req.Body)
	if a.req.IsBase64Encoded {
		b, err := llDecodeBase64(a.req.Body)
		if err != nil {
			return nil, fmt.Errorf("decoding the API Gateway request body: %w", err)
		}
		body = b
	}
	path := a.req.RawPath
	if path == "" {
		path = a.req.RequestContext.HTTP.Path
	}
	target := path
	if a.req.RawQueryString != "" {
		target += "?" + a.req.RawQueryString
	}
	parts := llRequestParts{
		method: a.req.RequestContext.HTTP.Method,
		target: target,
		host:   a.req.RequestContext.DomainName,
		header: header,
		body:   body,
		// The platform's view of the client comes first: headers can be
		// set by the client itself.
		remoteIPs: []string{a.req.RequestContext.HTTP.SourceIP, header.Get("X-Real-Ip"), llFirstHop(header.Get("X-Forwarded-For"))},
	}
	return parts.build(ctx)
}

func (a *llV2Adapter) encode(res *llResult) ([]byte, error) {
	out := llV2Response{
		StatusCode: res.status,
		Headers:    map[string]string{},
		Cookies:    []string{},
	}
	for name, vs := range res.header {
		if name == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[name] = strings.Join(vs, ",")
	}
	out.Body, out.IsBase64Encoded = res.encodedBody()
	return json.Marshal(out)
}
