package lambdaloop

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// llV1Request is the part of an API Gateway REST API proxy event (payload
// 1.0) that makes the HTTP request.
type llV1Request struct {
	HTTPMethod string `json:"httpMethod"`
	// Path is the path without the stage and without the query string.
	Path                            string              `json:"path"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  struct {
		DomainName string `json:"domainName"`
		Identity   struct {
			SourceIP string `json:"sourceIp"`
		} `json:"identity"`
	} `json:"requestContext"`
	Body            string `json:"body"`
	IsBase64Encoded bool   `json:"isBase64Encoded"`
}

// llV1Response is the payload 1.0 proxy response format.
type llV1Response struct {
	StatusCode int `json:"statusCode"`
	// Headers has the last value of each header.
	Headers map[string]string `json:"headers"`
	// MultiValueHeaders has every value, Set-Cookie included.
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

type llV1Adapter struct {
	req llV1Request
}

func llParseAPIGatewayV1Event(raw []byte) (llEventAdapter, error) {
	ad := &llV1Adapter{}
	if err := json.Unmarshal(raw, &ad.req); err != nil {
		return nil, fmt.Errorf("decoding the API Gateway REST (payload 1.0) event: %w", err)
	}
	return ad, nil
}

func (a *llV1Adapter) request(ctx context.Context) (*http.Request, error) {
	header := http.Header{}
	for name, vs := range a.req.MultiValueHeaders {
		for _, v := range vs {
			header.Add(name, v)
		}
	}
	for name, v := range a.req.Headers {
		if _, ok := header[http.CanonicalHeaderKey(name)]; !ok {
			header.Add(name, v)
		}
	}
	// The event has the query only as decoded parameters; re-encode them
	// (sorted by name, so the order of the original is lost).
	query := url.Values{}
	for name, vs := range a.req.MultiValueQueryStringParameters {
		query[name] = append(query[name], vs...)
	}
	for name, v := range a.req.QueryStringParameters {
		if _, ok := query[name]; !ok {
			query.Set(name, v)
		}
	}
	path := a.req.Path
	if path == "" {
		path = "/"
	}
	body := []byte(a.req.Body)
	if a.req.IsBase64Encoded {
		b, err := llDecodeBase64(a.req.Body)
		if err != nil {
			return nil, fmt.Errorf("decoding the API Gateway request body: %w", err)
		}
		body = b
	}
	parts := llRequestParts{
		method:    a.req.HTTPMethod,
		target:    (&url.URL{Path: path, RawQuery: query.Encode()}).RequestURI(),
		host:      a.req.RequestContext.DomainName,
		header:    header,
		body:      body,
		remoteIPs: []string{a.req.RequestContext.Identity.SourceIP, header.Get("X-Real-Ip"), llFirstHop(header.Get("X-Forwarded-For"))},
	}
	return parts.build(ctx)
}

func (a *llV1Adapter) encode(res *llResult) ([]byte, error) {
	out := llV1Response{
		StatusCode:        res.status,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
	}
	for name, vs := range res.header {
		if len(vs) == 0 {
			continue
		}
		out.Headers[name] = vs[len(vs)-1]
		out.MultiValueHeaders[name] = vs
	}
	out.Body, out.IsBase64Encoded = res.encodedBody()
	return json.Marshal(out)
}
