package lambdaloop

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Names of the Runtime API's headers and paths
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html).
const (
	llHeaderRequestID         = "Lambda-Runtime-Aws-Request-Id"
	llHeaderDeadlineMs        = "Lambda-Runtime-Deadline-Ms"
	llHeaderTraceID           = "Lambda-Runtime-Trace-Id"
	llHeaderFunctionARN       = "Lambda-Runtime-Invoked-Function-Arn"
	llHeaderFunctionErrorType = "Lambda-Runtime-Function-Error-Type"
	llHeaderAmznTraceID       = "X-Amzn-Trace-Id"
	llEnvRuntimeAPI           = "AWS_LAMBDA_RUNTIME_API"
	llRuntimeAPIVersionPrefix = "/2018-06-01"
	llRuntimeAPIUserAgent     = "lambdalens-lambdaloop"
	llRuntimeAPIContentType   = "application/json"
)

// Error types this runtime reports. "Runtime." is the prefix Lambda uses for
// errors raised by the runtime rather than by the function's own code.
const (
	llErrTypeInvalidEvent     = "Runtime.InvalidEvent"
	llErrTypePanic            = "Runtime.Panic"
	llErrTypeHandlerAborted   = "Runtime.HandlerAborted"
	llErrTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	llErrTypeExecWrapper      = "Runtime.ExecWrapperFailed"
	llErrTypeChildStart       = "Runtime.ChildStartFailed"
	llErrTypeChildExited      = "Runtime.ChildExited"
	llErrTypeChildNotReady    = "Runtime.ChildNotListening"
	llErrTypeProxy            = "Runtime.ProxyError"
	llErrTypeNoRuntimeAPI     = "Runtime.NoRuntimeAPI"
)

// llMaxResponseBytes is Lambda's limit on a buffered (RequestResponse)
// invocation's response payload: 6 MB. Larger responses are reported as a
// function error rather than posted and rejected.
const llMaxResponseBytes = 6 * 1024 * 1024

// llFunctionError is the error document Lambda expects on /error and
// /init/error, and what RIE and Lambda return to the caller.
type llFunctionError struct {
	Message    string   `json:"errorMessage"`
	Type       string   `json:"errorType"`
	StackTrace []string `json:"stackTrace"`
}

func (e *llFunctionError) Error() string { return e.Type + ": " + e.Message }

// llInvocation is what /next told about one invocation.
type llInvocation struct {
	RequestID   string
	TraceID     string
	FunctionARN string
	// Deadline is zero when the Runtime API sent none (or an unreadable one).
	Deadline time.Time
}

// llRuntimeAPI is a client of the Lambda Runtime API at one address.
type llRuntimeAPI struct {
	base   string // "http://<host:port>/2018-06-01"
	client *http.Client
}

func llNewRuntimeAPI(address string) *llRuntimeAPI {
	return &llRuntimeAPI{
		base: "http://" + address + llRuntimeAPIVersionPrefix,
		client: &http.Client{
			// No Timeout: /next is a long poll that lasts until the next
			// invocation. Never go through an HTTP proxy from the user's
			// environment to reach the local Runtime API.
			Transport: &http.Transport{
				Proxy:               nil,
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConnsPerHost: 2,
				IdleConnTimeout:     0,
			},
		},
	}
}

// next blocks until Lambda hands over the next invocation.
func (a *llRuntimeAPI) next(ctx context.Context) (llInvocation, []byte, error) {
	url := a.base + "/runtime/invocation/next"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return llInvocation{}, nil, fmt.Errorf("creating request GET %s: %w", url, err)
	}
	req.Header.Set("User-Agent", llRuntimeAPIUserAgent)
	resp, err := a.client.Do(req)
	if err != nil {
		return llInvocation{}, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return llInvocation{}, nil, fmt.Errorf("reading the event from GET %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return llInvocation{}, nil, fmt.Errorf("GET %s: status %s: %s", url, resp.Status, llTruncate(body, 512))
	}
	inv := llInvocation{
		RequestID:   resp.Header.Get(llHeaderRequestID),
		TraceID:     resp.Header.Get(llHeaderTraceID),
		FunctionARN: resp.Header.Get(llHeaderFunctionARN),
	}
	if inv.RequestID == "" {
		return llInvocation{}, nil, fmt.Errorf("GET %s: response has no %s header", url, llHeaderRequestID)
	}
	if ms, err := strconv.ParseInt(resp.Header.Get(llHeaderDeadlineMs), 10, 64); err == nil && ms > 0 {
		inv.Deadline = time.UnixMilli(ms)
	}
	return inv, body, nil
}

// postResponse sends the result of invocation id.
func (a *llRuntimeAPI) postResponse(ctx context.Context, id string, payload []byte) error {
	return a.post(ctx, "/runtime/invocation/"+id+"/response", payload, "")
}

// postError reports that invocation id failed.
func (a *llRuntimeAPI) postError(ctx context.Context, id string, fe *llFunctionError) error {
	return a.post(ctx, "/runtime/invocation/"+id+"/error", llMarshalError(fe), fe.Type)
}

// postInitError reports that the runtime could not initialise.
func (a *llRuntimeAPI) postInitError(ctx context.Context, fe *llFunctionError) error {
	return a.post(ctx, "/runtime/init/error", llMarshalError(fe), fe.Type)
}

func (a *llRuntimeAPI) post(ctx context.Context, path string, payload []byte, errorType string) error {
	url := a.base + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("creating request POST %s: %w", url, err)
	}
	req.Header.Set("User-Agent", llRuntimeAPIUserAgent)
	req.Header.Set("Content-Type", llRuntimeAPIContentType)
	if errorType != "" {
		req.Header.Set(llHeaderFunctionErrorType, errorType)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST %s: status %s: %s", url, resp.Status, llTruncate(body, 512))
	}
	return nil
}

func llMarshalError(fe *llFunctionError) []byte {
	doc := *fe
	if doc.StackTrace == nil {
		doc.StackTrace = []string{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		// Three strings always marshal; keep a valid document regardless.
		return []byte(`{"errorMessage":"marshalling the error failed","errorType":"Runtime.Unknown","stackTrace":[]}`)
	}
	return b
}

func llTruncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
