package lambdatest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
)

// Response is the HTTP response the platform would send for a function's
// answer.
type Response struct {
	Status int
	// Headers are as the client would see them: Vercel and payload 1.0
	// multi-values stay separate values; payload 2.0's comma-joined values
	// stay one value; Set-Cookie carries the cookies of every shape.
	Headers http.Header
	// Cookies are the Set-Cookie values.
	Cookies []string
	// Body is decoded from base64 when the shape says it is encoded.
	Body []byte
}

// FunctionError is a function error document: Lambda's answer when the
// runtime reported an error (RIE returns it with status 200).
type FunctionError struct {
	Type       string
	Message    string
	StackTrace []string
	// Raw is the document as received.
	Raw []byte
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("function error %s: %s", e.Type, e.Message)
}

// functionErrorKeys are the keys an error document may have.
// awslambdaric adds "requestId".
var functionErrorKeys = []string{"errorMessage", "errorType", "stackTrace", "cause", "requestId"}

// DecodeResponse reads a function's answer to an event of the given kind.
// A function error document is returned as a *FunctionError; a payload 2.0
// answer without statusCode is interpreted as API Gateway does (200,
// application/json, the payload as the body); a Vercel or payload 1.0
// answer without statusCode is an error (API Gateway answers 502).
func DecodeResponse(kind EventKind, raw []byte) (Response, error) {
	if fe := asFunctionError(raw); fe != nil {
		return Response{}, fe
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		if kind == EventAPIGatewayV2 && json.Valid(raw) {
			return inferredV2(raw), nil
		}
		return Response{}, fmt.Errorf("decoding a %s response: not a JSON object: %.200q", kind, raw)
	}
	if _, ok := top["statusCode"]; !ok {
		if kind == EventAPIGatewayV2 {
			return inferredV2(raw), nil
		}
		return Response{}, fmt.Errorf("decoding a %s response: malformed Lambda proxy response (no statusCode): %.200q", kind, raw)
	}
	var (
		res Response
		err error
	)
	switch kind {
	case EventVercel:
		res, err = decodeVercel(raw)
	case EventAPIGatewayV2:
		res, err = decodeV2(raw)
	case EventAPIGatewayV1:
		res, err = decodeV1(raw)
	default:
		return Response{}, fmt.Errorf("decoding a response: unknown event kind %q", kind)
	}
	if err != nil {
		return Response{}, fmt.Errorf("decoding a %s response: %w", kind, err)
	}
	res.Cookies = res.Headers.Values("Set-Cookie")
	return res, nil
}

// asFunctionError recognises an error document: an object with errorMessage
// and errorType and nothing but the keys Lambda's error shape allows.
func asFunctionError(raw []byte) *FunctionError {
	var top map[string]json.RawMessage
	if json.Unmarshal(raw, &top) != nil {
		return nil
	}
	if _, ok := top["errorMessage"]; !ok {
		return nil
	}
	if _, ok := top["errorType"]; !ok {
		return nil
	}
	for k := range top {
		if !slices.Contains(functionErrorKeys, k) {
			return nil
		}
	}
	fe := &FunctionError{Raw: raw}
	_ = json.Unmarshal(top["errorType"], &fe.Type)
	_ = json.Unmarshal(top["errorMessage"], &fe.Message)
	var frames []json.RawMessage
	_ = json.Unmarshal(top["stackTrace"], &frames)
	for _, f := range frames {
		var s string
		if json.Unmarshal(f, &s) == nil {
			fe.StackTrace = append(fe.StackTrace, s)
		} else {
			fe.StackTrace = append(fe.StackTrace, string(f)) // aws-lambda-go's frame objects
		}
	}
	return fe
}

func inferredV2(raw []byte) Response {
	return Response{Status: 200, Headers: http.Header{"Content-Type": {"application/json"}}, Body: bytes.Clone(raw)}
}

func decodeVercel(raw []byte) (Response, error) {
	var r struct {
		StatusCode int                        `json:"statusCode"`
		Headers    map[string]json.RawMessage `json:"headers"`
		Encoding   string                     `json:"encoding"`
		Body       string                     `json:"body"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, err
	}
	res := Response{Status: r.StatusCode, Headers: http.Header{}, Body: []byte(r.Body)}
	for name, v := range r.Headers {
		var one string
		if json.Unmarshal(v, &one) == nil {
			res.Headers.Add(name, one)
			continue
		}
		var many []string
		if err := json.Unmarshal(v, &many); err != nil {
			return Response{}, fmt.Errorf("header %q: want a string or an array of strings, got %s", name, v)
		}
		for _, s := range many {
			res.Headers.Add(name, s)
		}
	}
	if r.Encoding == "base64" {
		b, err := base64.StdEncoding.DecodeString(r.Body)
		if err != nil {
			return Response{}, fmt.Errorf("decoding the base64 body: %w", err)
		}
		res.Body = b
	}
	return res, nil
}

func decodeV2(raw []byte) (Response, error) {
	var r struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Cookies         []string          `json:"cookies"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, err
	}
	res := Response{Status: r.StatusCode, Headers: http.Header{}, Body: []byte(r.Body)}
	for name, v := range r.Headers {
		res.Headers.Add(name, v)
	}
	for _, c := range r.Cookies {
		res.Headers.Add("Set-Cookie", c)
	}
	return res, decodeBody(&res, r.IsBase64Encoded, r.Body)
}

func decodeV1(raw []byte) (Response, error) {
	var r struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, err
	}
	res := Response{Status: r.StatusCode, Headers: http.Header{}, Body: []byte(r.Body)}
	// API Gateway merges both maps; a pair present in both appears once.
	for name, vs := range r.MultiValueHeaders {
		for _, v := range vs {
			res.Headers.Add(name, v)
		}
	}
	for name, v := range r.Headers {
		c := textproto.CanonicalMIMEHeaderKey(name)
		if !slices.Contains(res.Headers[c], v) {
			res.Headers.Add(name, v)
		}
	}
	return res, decodeBody(&res, r.IsBase64Encoded, r.Body)
}

func decodeBody(res *Response, isBase64 bool, body string) error {
	if !isBase64 {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return fmt.Errorf("decoding the base64 body: %w", err)
	}
	res.Body = b
	return nil
}

// IsFunctionError tells whether err is (or wraps) a function error of the
// given type; an empty errorType matches any.
func IsFunctionError(err error, errorType string) bool {
	var fe *FunctionError
	return errors.As(err, &fe) && (errorType == "" || fe.Type == errorType)
}
