package lambdatest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
)

// EventKind names an event shape.
type EventKind string

const (
	// EventVercel is Vercel's invocation payload {"Action":"Invoke","body":"<json>"}.
	EventVercel EventKind = "vercel"
	// EventAPIGatewayV2 is API Gateway HTTP API payload 2.0, which is also
	// the Lambda Function URL event.
	EventAPIGatewayV2 EventKind = "apigw-v2"
	// EventAPIGatewayV1 is API Gateway REST API proxy payload 1.0.
	EventAPIGatewayV1 EventKind = "apigw-v1"
)

// EventKinds lists every kind, for table tests.
var EventKinds = []EventKind{EventVercel, EventAPIGatewayV2, EventAPIGatewayV1}

// Client-side values the builders put in events.
const (
	// SourceIP is the client address, used when the headers name none.
	SourceIP = "203.0.113.7"
	// DefaultHost is the host used when the headers name none.
	DefaultHost = "example.vercel.app"
)

// Event builds an event of the given kind; see VercelEvent.
func Event(kind EventKind, method, path string, headers map[string][]string, body []byte) []byte {
	switch kind {
	case EventAPIGatewayV2:
		return APIGatewayV2Event(method, path, headers, body)
	case EventAPIGatewayV1:
		return APIGatewayV1Event(method, path, headers, body)
	default:
		return VercelEvent(method, path, headers, body)
	}
}

// VercelEvent builds the payload `vercel dev` sends: path is the path and
// query together; header names are lower-cased, a single value is sent as a
// string and several as an array; the host comes from the "host" header
// (DefaultHost when absent); the body is always base64.
func VercelEvent(method, path string, headers map[string][]string, body []byte) []byte {
	h := map[string]any{}
	for name, vs := range lowerHeaders(headers) {
		if len(vs) == 1 {
			h[name] = vs[0]
		} else {
			h[name] = vs
		}
	}
	host := hostOf(headers)
	if _, ok := h["host"]; !ok {
		h["host"] = host
	}
	inner := mustJSON(map[string]any{
		"method":   method,
		"path":     path,
		"host":     host,
		"headers":  h,
		"encoding": "base64",
		"body":     base64.StdEncoding.EncodeToString(body),
	})
	return mustJSON(map[string]any{"Action": "Invoke", "body": string(inner)})
}

// APIGatewayV2Event builds an API Gateway HTTP API payload 2.0 event (the
// Function URL shape): rawPath and rawQueryString from path, the Cookie
// header split into cookies[], other headers lower-cased and comma-joined,
// the method and source IP (x-real-ip, else the first x-forwarded-for hop,
// else SourceIP) in requestContext.http, a non-empty body as base64.
func APIGatewayV2Event(method, path string, headers map[string][]string, body []byte) []byte {
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	lh := lowerHeaders(headers)
	var cookies []string
	for _, c := range lh["cookie"] {
		for part := range strings.SplitSeq(c, ";") {
			if part = strings.TrimSpace(part); part != "" {
				cookies = append(cookies, part)
			}
		}
	}
	delete(lh, "cookie")
	h := map[string]string{}
	for name, vs := range lh {
		h[name] = strings.Join(vs, ",")
	}
	host := hostOf(headers)
	h["host"] = host
	ev := map[string]any{
		"version":        "2.0",
		"routeKey":       "$default",
		"rawPath":        rawPath,
		"rawQueryString": rawQuery,
		"headers":        h,
		"requestContext": map[string]any{
			"accountId":  "anonymous",
			"apiId":      "lambdatest",
			"domainName": host,
			"http": map[string]any{
				"method":    method,
				"path":      rawPath,
				"protocol":  "HTTP/1.1",
				"sourceIp":  sourceIP(lh),
				"userAgent": h["user-agent"],
			},
			"requestId": "lambdatest-request",
			"routeKey":  "$default",
			"stage":     "$default",
			"time":      "01/Jan/2025:00:00:00 +0000",
			"timeEpoch": 1735689600000,
		},
		"isBase64Encoded": false,
	}
	if len(cookies) > 0 {
		ev["cookies"] = cookies
	}
	if q := commaJoinedQuery(rawQuery); len(q) > 0 {
		ev["queryStringParameters"] = q
	}
	if len(body) > 0 {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
		ev["isBase64Encoded"] = true
	}
	return mustJSON(ev)
}

// APIGatewayV1Event builds an API Gateway REST API proxy event (payload
// 1.0): path without the query, query parameters single- and multi-valued
// (null when none), headers with their canonical names in both "headers"
// (last value) and "multiValueHeaders", stage "prod", the source IP as in
// APIGatewayV2Event, and a non-empty body as base64.
func APIGatewayV1Event(method, path string, headers map[string][]string, body []byte) []byte {
	p, rawQuery, _ := strings.Cut(path, "?")
	mvh := map[string][]string{}
	for name, vs := range headers {
		c := textproto.CanonicalMIMEHeaderKey(name)
		mvh[c] = append(mvh[c], vs...)
	}
	host := hostOf(headers)
	mvh["Host"] = []string{host}
	h := map[string]string{}
	for name, vs := range mvh {
		h[name] = vs[len(vs)-1]
	}
	ev := map[string]any{
		"resource":                        "/{proxy+}",
		"path":                            p,
		"httpMethod":                      method,
		"headers":                         h,
		"multiValueHeaders":               mvh,
		"queryStringParameters":           nil,
		"multiValueQueryStringParameters": nil,
		"pathParameters":                  map[string]string{"proxy": strings.TrimPrefix(p, "/")},
		"stageVariables":                  nil,
		"requestContext": map[string]any{
			"accountId":    "123456789012",
			"apiId":        "lambdatest",
			"domainName":   host,
			"httpMethod":   method,
			"identity":     map[string]any{"sourceIp": sourceIP(lowerHeaders(headers))},
			"path":         "/prod" + p,
			"protocol":     "HTTP/1.1",
			"requestId":    "lambdatest-request",
			"resourcePath": "/{proxy+}",
			"stage":        "prod",
		},
		"body":            nil,
		"isBase64Encoded": false,
	}
	if q, err := url.ParseQuery(rawQuery); err == nil && len(q) > 0 {
		single := map[string]string{}
		for k, vs := range q {
			single[k] = vs[len(vs)-1]
		}
		ev["queryStringParameters"] = single
		ev["multiValueQueryStringParameters"] = q
	}
	if len(body) > 0 {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
		ev["isBase64Encoded"] = true
	}
	return mustJSON(ev)
}

func lowerHeaders(headers map[string][]string) map[string][]string {
	out := map[string][]string{}
	for name, vs := range headers {
		n := strings.ToLower(name)
		out[n] = append(out[n], vs...)
	}
	return out
}

func hostOf(headers map[string][]string) string {
	if hs := lowerHeaders(headers)["host"]; len(hs) > 0 && hs[0] != "" {
		return hs[0]
	}
	return DefaultHost
}

func sourceIP(lower map[string][]string) string {
	if v := lower["x-real-ip"]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if v := lower["x-forwarded-for"]; len(v) > 0 {
		first, _, _ := strings.Cut(v[0], ",")
		if first = strings.TrimSpace(first); first != "" {
			return first
		}
	}
	return SourceIP
}

// commaJoinedQuery is payload 2.0's queryStringParameters: decoded values,
// repeated ones comma-joined in order.
func commaJoinedQuery(rawQuery string) map[string]string {
	out := map[string]string{}
	var order []string
	vals := map[string][]string{}
	for part := range strings.SplitSeq(rawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		if !slices.Contains(order, k) {
			order = append(order, k)
		}
		vals[k] = append(vals[k], v)
	}
	for _, k := range order {
		out[k] = strings.Join(vals[k], ",")
	}
	return out
}

// mustJSON marshals the builders' own maps of strings, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf(`{"lambdatestMarshalError":%q}`, err.Error()))
	}
	return b
}
