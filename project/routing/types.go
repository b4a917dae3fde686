package routing

import (
	"net/http"
	"net/url"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Phase names a routing phase marker ({"handle": "filesystem"} and so on).
type Phase string

const (
	PhaseNone       Phase = ""
	PhaseFilesystem Phase = "filesystem"
	PhaseMiss       Phase = "miss"
	PhaseRewrite    Phase = "rewrite"
	PhaseHit        Phase = "hit"
	PhaseError      Phase = "error"
	PhaseResource   Phase = "resource"
)

// Route is one Build Output API v3 route, the element of config.json
// "routes". Dev evaluates exactly the table the build writes.
type Route struct {
	Src      string            `json:"src,omitempty"`
	Dest     string            `json:"dest,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Status   int               `json:"status,omitempty"`
	Methods  []string          `json:"methods,omitempty"`
	Continue bool              `json:"continue,omitempty"`
	Check    bool              `json:"check,omitempty"`
	Handle   Phase             `json:"handle,omitempty"`
	Has      []config.Has      `json:"has,omitempty"`
	Missing  []config.Has      `json:"missing,omitempty"`
	// Transforms are written to config.json for the platform. Dev does not
	// apply them: it forwards the original path to every function, which
	// is what the one transform lambdalens writes achieves on Vercel.
	Transforms []Transform `json:"transforms,omitempty"`
	// Origin is where the route came from (a vercel.json entry or a
	// function file), for diagnostics; not serialized.
	Origin *Origin `json:"-"`
}

// Transform is a Build Output API route transform. lambdalens writes one:
// {"type":"request.path","op":"set","args":"/$1"} on the catch-all route of
// a Python framework app, as Vercel's Python builder does, so that the app
// sees the requested path rather than its function's.
type Transform struct {
	Type string `json:"type"`
	Op   string `json:"op"`
	Args string `json:"args,omitempty"`
}

// Origin locates the source of a generated route.
type Origin struct {
	File  string
	Range runtimes.Range
	// Kind says what produced the route (a vercel.json section, a function
	// file, or a built-in rule); see the Origin* constants. Added for the
	// route explainer and hovers; empty on hand-built routes.
	Kind OriginKind
}

// OriginKind names what produced a Route.
type OriginKind string

const (
	OriginRedirect      OriginKind = "redirect"      // vercel.json "redirects" entry
	OriginHeader        OriginKind = "header"        // vercel.json "headers" entry
	OriginRewrite       OriginKind = "rewrite"       // vercel.json "rewrites" entry
	OriginLegacyRoute   OriginKind = "route"         // vercel.json "routes" entry
	OriginCleanURLs     OriginKind = "cleanUrls"     // vercel.json "cleanUrls"
	OriginTrailingSlash OriginKind = "trailingSlash" // vercel.json "trailingSlash"
	OriginFunction      OriginKind = "function"      // a function file's own route
	OriginBuiltin       OriginKind = "builtin"       // zero-config rules and phase markers
)

// Param is one dynamic segment of a function's file path.
type Param struct {
	// Name is the query key the value is passed under ("id", "slug").
	Name string `json:"name"`
	// CatchAll is true for [...name] (one or more segments) and
	// [[...name]] (zero or more).
	CatchAll bool `json:"catchAll,omitempty"`
	// Optional is true for [[...name]].
	Optional bool `json:"optional,omitempty"`
}

// FileRoute is the route a function file gets (reference §2.2).
type FileRoute struct {
	// ID is the output path: the file path without extension, brackets
	// kept ("api/users/[id]"); with legacy "builds", the file path itself
	// ("api/index.go"). It names functions/<ID>.func.
	ID string `json:"id"`
	// Pattern is the URL path with placeholders ("/api/users/[id]").
	Pattern string `json:"pattern"`
	// Src is the anchored regular expression matching request paths.
	Src string `json:"src"`
	// Dest is the rewrite destination with the params as query
	// ("/api/users/[id]?id=$1"); equal to "/"+ID for static routes.
	Dest   string  `json:"dest"`
	Params []Param `json:"params,omitempty"`
}

// Dynamic reports whether the route has parameters.
func (r FileRoute) Dynamic() bool { return len(r.Params) > 0 }

// Request is what the Router needs of an HTTP request.
type Request struct {
	Method   string
	Path     string // RoutePath of the request URL, starting with "/"
	RawQuery string
	Host     string
	Header   http.Header // cookies are read from the Cookie header
}

// Filesystem answers whether an output exists: a function ID
// ("api/users/[id]", "index") or a static file path relative to the static
// root ("index.html", "img/logo.png"). Paths have no leading slash.
type Filesystem interface {
	Exists(path string) bool
}

// FunctionSet is implemented by a Filesystem that tells functions from
// static files. Only a function is then found under its path with a
// trailing slash (/api/hello/, not /about.html/), as in vercel dev;
// without it, any output is.
type FunctionSet interface {
	IsFunction(path string) bool
}

// Result is the outcome of routing one request.
type Result struct {
	// Output is the function ID or static file path that serves the
	// request; empty when nothing matched (then Status is 404 unless a
	// route forced another status).
	Output string
	// Status is a status forced by a route (redirects, "status" routes,
	// 404 routes); 0 when the output decides.
	Status int
	// Location is set for redirects.
	Location string
	// Headers are response headers added by routes.
	Headers http.Header
	// Query is the query to forward: the original query with the route's
	// query (params) merged in.
	Query url.Values
	// Path is the path to forward upstream: the original request path
	// (Vercel forwards the original pathname, not the rewritten one).
	Path string
	// External is set when a rewrite's destination is an absolute
	// http(s) URL: the request is to be proxied there. It holds the full
	// URL, query included (Query is merged into it). Output and Status
	// are then empty.
	External string
}
