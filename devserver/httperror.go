package devserver

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Error codes, as Vercel names them (reference §3.5).
const (
	codeNotFound        = "NOT_FOUND"
	codeNoResponse      = "NO_RESPONSE_FROM_FUNCTION"
	codeTimeout         = "FUNCTION_INVOCATION_TIMEOUT"
	codePayloadTooLarge = "FUNCTION_PAYLOAD_TOO_LARGE"
	codeInvocation      = "FUNCTION_INVOCATION_FAILED"
	codeMethod          = "METHOD_NOT_ALLOWED"
	codeExternal        = "ROUTER_EXTERNAL_TARGET_ERROR"
	codeInternal        = "INTERNAL_SERVER_ERROR"
	// codeBadRequest is lambdalens's: a request body that is not valid
	// HTTP (broken chunk framing), which the reference names no code for.
	codeBadRequest = "BAD_REQUEST"
)

// statusClientClosed is the status logged for requests whose client went
// away before the answer (nginx's 499); nothing is sent.
const statusClientClosed = 499

// clientGone is the error of a request whose client left before the
// answer (logged 499; nothing is sent).
func clientGone(err error) *httpError {
	return &httpError{Status: statusClientClosed, Code: "CLIENT_CLOSED_REQUEST", Title: "The client went away.", Err: err}
}

// httpError is an error with the response it should produce. Handlers
// return it; serveHTTP renders it.
type httpError struct {
	Status int
	Code   string
	// Title is the one-line message shown to the client.
	Title string
	// Detail is shown below the title: a build's compiler output, the last
	// lines a crashed process wrote. May be empty.
	Detail string
	// Diagnostics are the file:line problems of a failed build.
	Diagnostics []runtimes.Diagnostic
	// Err is the cause, for logs.
	Err error
}

func (e *httpError) Error() string {
	msg := strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Title
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *httpError) Unwrap() error { return e.Err }

// titles for the statuses the server produces.
var titles = map[int]string{
	http.StatusNotFound:              "The page could not be found.",
	http.StatusBadGateway:            "An error occurred with this application.",
	http.StatusGatewayTimeout:        "The function did not respond within its maxDuration.",
	http.StatusRequestEntityTooLarge: "The request body is larger than the 4.5 MB a function accepts.",
	http.StatusMethodNotAllowed:      "This method is not allowed for a static file.",
	http.StatusInternalServerError:   "A server error has occurred.",
}

func title(status int) string {
	if t, ok := titles[status]; ok {
		return t
	}
	if t := http.StatusText(status); t != "" {
		return t + "."
	}
	return "An error occurred."
}

func newHTTPError(status int, code string, err error) *httpError {
	return &httpError{Status: status, Code: code, Title: title(status), Err: err}
}

// notFound is the answer when no output serves a path.
func notFound() *httpError { return newHTTPError(http.StatusNotFound, codeNotFound, nil) }

// statusError is the answer for a route that forced a status but named no
// output.
func statusError(status int) *httpError {
	code := codeNotFound
	if status != http.StatusNotFound {
		code = strings.ToUpper(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		if code == "" {
			code = "STATUS_" + strconv.Itoa(status)
		}
	}
	return newHTTPError(status, code, nil)
}

// buildFailure turns a failed build into the page shown until the next
// good build.
func buildFailure(fnID string, err error) *httpError {
	e := newHTTPError(http.StatusBadGateway, codeNoResponse, err)
	var be *runtimes.BuildError
	if errors.As(err, &be) {
		e.Title = "The function " + fnID + " failed to build."
		e.Detail = strings.TrimRight(be.Output, "\n")
		if e.Detail == "" {
			e.Detail = be.Error()
		}
		e.Diagnostics = be.Diagnostics
		return e
	}
	e.Title = "The function " + fnID + " failed to start."
	e.Detail = err.Error()
	return e
}

// asHTTPError converts any handler error to an *httpError.
func asHTTPError(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	return newHTTPError(http.StatusInternalServerError, codeInternal, err)
}

// errorBody is the JSON error body: Vercel's {"error":{"code","message"}}
// plus what a tool needs to act on it.
type errorBody struct {
	Error struct {
		Code        int                   `json:"code"`
		Message     string                `json:"message"`
		ErrorCode   string                `json:"errorCode"`
		ID          string                `json:"id"`
		Details     string                `json:"details,omitempty"`
		Diagnostics []runtimes.Diagnostic `json:"diagnostics,omitempty"`
	} `json:"error"`
}

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}}: {{.Code}}</title>
<style>
body{font-family:system-ui,-apple-system,sans-serif;margin:0;padding:3rem 1.5rem;color:#111;background:#fff}
main{max-width:60rem;margin:0 auto}
h1{font-size:1.4rem;font-weight:600}
.code{font-family:ui-monospace,monospace;color:#666}
pre{background:#111;color:#eee;padding:1rem;border-radius:6px;overflow:auto;font-size:.85rem;line-height:1.4}
ul{padding-left:1.2rem;font-family:ui-monospace,monospace;font-size:.85rem}
@media (prefers-color-scheme:dark){body{background:#000;color:#eee}.code{color:#999}}
</style>
</head>
<body>
<main>
<h1>{{.Status}}: {{.Title}}</h1>
<p class="code">Code: {{.Code}}<br>ID: {{.ID}}</p>
{{if .Diagnostics}}<ul>{{range .Diagnostics}}<li>{{.String}}</li>{{end}}</ul>{{end}}
{{if .Detail}}<pre>{{.Detail}}</pre>{{end}}
</main>
</body>
</html>
`))

// writeError renders e for r's Accept header (reference §3.5): JSON when it
// mentions json, HTML when it mentions html, plain text otherwise.
func writeError(w http.ResponseWriter, r *http.Request, id string, e *httpError) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Encoding")
	h.Del("Etag")
	h.Del("Last-Modified")
	h.Set("X-Content-Type-Options", "nosniff")
	accept := r.Header.Get("Accept")
	var body []byte
	switch {
	case strings.Contains(accept, "json"):
		var b errorBody
		b.Error.Code = e.Status
		b.Error.Message = e.Title
		b.Error.ErrorCode = e.Code
		b.Error.ID = id
		b.Error.Details = e.Detail
		b.Error.Diagnostics = e.Diagnostics
		data, err := json.Marshal(b)
		if err != nil {
			data = []byte(`{"error":{"code":500,"message":"encoding the error failed"}}`)
		}
		body = append(data, '\n')
		h.Set("Content-Type", "application/json; charset=utf-8")
	case strings.Contains(accept, "html"):
		var sb strings.Builder
		err := errorPage.Execute(&sb, struct {
			*httpError
			ID string
		}{e, id})
		if err != nil {
			sb.Reset()
			sb.WriteString(template.HTMLEscapeString(e.Title))
		}
		body = []byte(sb.String())
		h.Set("Content-Type", "text/html; charset=utf-8")
	default:
		var sb strings.Builder
		sb.WriteString(e.Title)
		sb.WriteString("\n\n")
		sb.WriteString(e.Code)
		sb.WriteString("\n")
		sb.WriteString(id)
		sb.WriteString("\n")
		if e.Detail != "" {
			sb.WriteString("\n")
			sb.WriteString(e.Detail)
			sb.WriteString("\n")
		}
		body = []byte(sb.String())
		h.Set("Content-Type", "text/plain; charset=utf-8")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // the client may be gone; nothing to do about it
	}
}
