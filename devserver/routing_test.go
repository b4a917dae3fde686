package devserver

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// routeCase is one request through a real dev server and what must come
// back. Function answers are the fake runtime's echo of what the function
// process received.
type routeCase struct {
	name      string
	method    string // default GET
	path      string // request URI as sent
	reqHeader map[string]string
	body      string

	status int
	// fn is the entrypoint that must answer ("" means: not a function,
	// unless invoked is set).
	fn string
	// invoked: a function answers without an echo to check (fn empty).
	invoked bool
	// fnPath and fnQuery are the path and raw query the function must see
	// (fnPath defaults to the request path without its query).
	fnPath  string
	fnQuery string
	// fnHeader are headers the function must have received.
	fnHeader map[string]string
	// bodyHas must be a substring of the response body.
	bodyHas string
	// header are response headers (value "" means: must be absent).
	header map[string]string
	// ctype is the prefix of the response's Content-Type.
	ctype string
}

// idPattern matches request ids; a function invocation's has dev1:: twice.
var idPattern = regexp.MustCompile(`^dev1::(dev1::)?[a-z0-9]{5}-\d{13}-[0-9a-f]{12}$`)

func runRouteCases(t *testing.T, h *harness, cases []routeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			resp, data := h.do(method, tc.path, tc.reqHeader, body)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s = %d, want %d; body %q", method, tc.path, resp.StatusCode, tc.status, data)
			}
			if id := resp.Header.Get("X-Vercel-Id"); !idPattern.MatchString(id) || strings.HasPrefix(id, "dev1::dev1::") != (tc.fn != "" || tc.invoked) {
				t.Errorf("x-vercel-id = %q, want dev1::<pod>-<ms>-<hex>, with dev1:: twice for a function", id)
			}
			if got := resp.Header.Get("Server"); got != "lambdalens" {
				t.Errorf("server = %q, want lambdalens", got)
			}
			if got := resp.Header.Get("X-Vercel-Cache"); got != "MISS" {
				t.Errorf("x-vercel-cache = %q, want MISS", got)
			}
			for k, want := range tc.header {
				got, present := resp.Header.Get(k), len(resp.Header.Values(k)) > 0
				if want == "" && present || want != "" && got != want {
					t.Errorf("response header %s = %q (present %v), want %q", k, got, present, want)
				}
			}
			if tc.ctype != "" && !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.ctype) {
				t.Errorf("content-type = %q, want %s...", resp.Header.Get("Content-Type"), tc.ctype)
			}
			if tc.bodyHas != "" && !strings.Contains(string(data), tc.bodyHas) {
				t.Errorf("body %q does not contain %q", data, tc.bodyHas)
			}
			var e echo
			isEcho := json.Unmarshal(data, &e) == nil && e.File != ""
			if tc.fn == "" {
				if isEcho {
					t.Errorf("answered by function %s, want no function", e.File)
				}
				return
			}
			if !isEcho {
				t.Fatalf("body %q is not a function echo, want %s", data, tc.fn)
			}
			if e.File != tc.fn {
				t.Errorf("answered by %s, want %s", e.File, tc.fn)
			}
			wantPath := tc.fnPath
			if wantPath == "" {
				wantPath, _, _ = strings.Cut(tc.path, "?")
			}
			if e.Path != wantPath {
				t.Errorf("function saw path %q, want %q", e.Path, wantPath)
			}
			if e.Query != tc.fnQuery {
				t.Errorf("function saw query %q, want %q", e.Query, tc.fnQuery)
			}
			if e.Method != method {
				t.Errorf("function saw method %q, want %q", e.Method, method)
			}
			for k, want := range tc.fnHeader {
				if got := e.Headers[strings.ToLower(k)]; got != want {
					t.Errorf("function saw header %s = %q, want %q", k, got, want)
				}
			}
			if e.Headers["x-vercel-id"] != resp.Header.Get("X-Vercel-Id") {
				t.Errorf("function saw x-vercel-id %q, response has %q", e.Headers["x-vercel-id"], resp.Header.Get("X-Vercel-Id"))
			}
			if e.Headers["connection"] == "close" {
				t.Errorf("upstream request has connection: close; connections must be reused")
			}
		})
	}
}

func TestRoutingZeroConfig(t *testing.T) {
	// An external rewrite target, standing in for another site.
	ext := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "external saw %s?%s host=%s", r.URL.Path, r.URL.RawQuery, r.Host)
	}))
	defer ext.Close()

	files := map[string]string{
		"api/hello.go":                 goHandler("1"),
		"api/index.go":                 goHandler("1"),
		"api/users/[id].go":            goHandler("1"),
		"api/users/me.go":              goHandler("1"),
		"api/posts/[slug]/comments.go": goHandler("1"),
		"api/[org]/[repo].py":          pyHandler("1"),
		"api/docs/[...path].go":        goHandler("1"),
		"api/opt/[[...rest]].go":       goHandler("1"),
		"api/_lib/helper.go":           "package lib\n",
		"api/hello_test.go":            "package handler\n",
		"api/py.py":                    pyHandler("1"),
		// Beside api/hello.go: vercel dev 64.0.2 serves /api/hello and
		// /api/hello/ from hello.go, /api/hello/index from this one.
		"api/hello/index.py":                pyHandler("1"),
		"public/index.html":                 "<h1>home</h1>",
		"public/about.html":                 "<h1>about</h1>",
		"public/style.css":                  "body{}",
		"public/img/logo.png":               "\x89PNG\r\n\x1a\nfake",
		"public/404.html":                   "<h1>custom not found</h1>",
		"public/docs/index.html":            "<h1>docs</h1>",
		"public/data.json":                  `{"ok":true}`,
		"public/robots.txt":                 "User-agent: *",
		"public/two words.txt":              "spaced",
		"public/100%.txt":                   "percent",
		"public/font.otf":                   "OTTO",
		"public/site.webmanifest":           "{}",
		"public/notes.xyz":                  "plain text, not sniffed",
		"public/apple-app-site-association": `{"applinks":{}}`,
		"vercel.json": `{
  "redirects": [
    {"source": "/old", "destination": "/about.html", "permanent": true},
    {"source": "/temp", "destination": "/about.html", "permanent": false},
    {"source": "/blog/:slug", "destination": "/news/:slug", "statusCode": 301},
    {"source": "/go-ext", "destination": "https://example.com/landing"},
    {"source": "/only-with-query", "has": [{"type": "query", "key": "go"}], "destination": "/about.html", "permanent": false}
  ],
  "rewrites": [
    {"source": "/r/hello", "destination": "/api/hello"},
    {"source": "/u/:id", "destination": "/api/users/:id"},
    {"source": "/item/:id", "destination": "/api/hello?item=:id"},
    {"source": "/page", "destination": "/about.html"},
    {"source": "/flag", "has": [{"type": "header", "key": "x-flag", "value": "yes"}], "destination": "/api/hello"},
    {"source": "/cookie", "has": [{"type": "cookie", "key": "session"}], "destination": "/api/hello"},
    {"source": "/proxy/:path*", "destination": "` + ext.URL + `/ext/:path*"}
  ],
  "headers": [
    {"source": "/(.*)", "headers": [{"key": "x-global", "value": "yes"}]},
    {"source": "/style.css", "headers": [{"key": "x-static", "value": "css"}]},
    {"source": "/apple-app-site-association", "headers": [{"key": "Content-Type", "value": "application/json"}]},
    {"source": "/api/hello", "headers": [{"key": "cache-control", "value": "s-maxage=60"}]}
  ]
}`,
	}
	h := startHarness(t, files)
	// Static validators for the conditional-request cases.
	resp, _ := h.get("/about.html")
	etag := resp.Header.Get("Etag")
	if etag == "" {
		t.Fatal("static response has no ETag")
	}

	cases := []routeCase{
		// static files from public/
		{name: "root index", path: "/", status: 200, bodyHas: "home", ctype: "text/html", header: map[string]string{"Cache-Control": "public, max-age=0, must-revalidate"}},
		{name: "index.html", path: "/index.html", status: 200, bodyHas: "home"},
		{name: "html file", path: "/about.html", status: 200, bodyHas: "about", ctype: "text/html"},
		{name: "html file with query", path: "/about.html?x=1", status: 200, bodyHas: "about"},
		{name: "no clean urls", path: "/about", status: 404, bodyHas: "custom not found", ctype: "text/html"},
		{name: "css", path: "/style.css", status: 200, ctype: "text/css", header: map[string]string{"X-Static": "css", "X-Global": "yes"}},
		{name: "png", path: "/img/logo.png", status: 200, ctype: "image/png"},
		{name: "json", path: "/data.json", status: 200, ctype: "application/json", bodyHas: `"ok"`},
		{name: "text", path: "/robots.txt", status: 200, ctype: "text/plain"},
		{name: "json has a charset", path: "/data.json", status: 200, header: map[string]string{"Content-Type": "application/json; charset=utf-8"}},
		{name: "font type from our table", path: "/font.otf", status: 200, header: map[string]string{"Content-Type": "font/otf"}},
		{name: "web manifest", path: "/site.webmanifest", status: 200, header: map[string]string{"Content-Type": "application/manifest+json; charset=utf-8"}},
		{name: "unknown extension", path: "/notes.xyz", status: 200, header: map[string]string{"Content-Type": "application/octet-stream"}},
		{name: "route sets the type", path: "/apple-app-site-association", status: 200, header: map[string]string{"Content-Type": "application/json"}},
		{name: "directory index", path: "/docs", status: 200, bodyHas: "docs"},
		{name: "directory index slash", path: "/docs/", status: 200, bodyHas: "docs"},
		{name: "a file is not found under a trailing slash", path: "/about.html/", status: 404, bodyHas: "custom not found"},
		{name: "missing page uses 404.html", path: "/nope", status: 404, bodyHas: "custom not found"},
		{name: "missing nested page", path: "/a/b/c.html", status: 404, bodyHas: "custom not found"},
		{name: "head", method: "HEAD", path: "/about.html", status: 200, header: map[string]string{"Content-Length": "14"}},
		{name: "if-none-match", path: "/about.html", reqHeader: map[string]string{"If-None-Match": etag}, status: 304},
		{name: "if-none-match stale", path: "/about.html", reqHeader: map[string]string{"If-None-Match": `"other"`}, status: 200, bodyHas: "about"},
		{name: "range", path: "/about.html", reqHeader: map[string]string{"Range": "bytes=0-3"}, status: 206, bodyHas: "<h1>"},
		{name: "post to static", method: "POST", path: "/about.html", status: 405, header: map[string]string{"Allow": "GET, HEAD", "x-global": "yes"}},

		// zero-config functions
		{name: "function", path: "/api/hello", status: 200, fn: "api/hello.go"},
		{name: "function query kept byte for byte", path: "/api/hello?b=2&a=1&a=0", status: 200, fn: "api/hello.go", fnQuery: "b=2&a=1&a=0"},
		{name: "function with extension", path: "/api/hello.go", status: 200, fn: "api/hello.go"},
		{name: "function trailing slash", path: "/api/hello/", status: 200, fn: "api/hello.go"},
		{name: "index beside a file of its folder's name", path: "/api/hello/index", status: 200, fn: "api/hello/index.py"},
		{name: "index with extension beside a file", path: "/api/hello/index.py", status: 200, fn: "api/hello/index.py"},
		{name: "api index", path: "/api", status: 200, fn: "api/index.go"},
		{name: "api index slash", path: "/api/", status: 200, fn: "api/index.go"},
		{name: "api index by name", path: "/api/index", status: 200, fn: "api/index.go"},
		{name: "dynamic segment", path: "/api/users/42", status: 200, fn: "api/users/[id].go", fnQuery: "id=42"},
		{name: "dynamic segment keeps query", path: "/api/users/42?sort=asc", status: 200, fn: "api/users/[id].go", fnQuery: "sort=asc&id=42"},
		{name: "route param wins over query", path: "/api/users/42?id=7", status: 200, fn: "api/users/[id].go", fnQuery: "id=42"},
		{name: "escaped segment", path: "/api/users/a%20b", status: 200, fn: "api/users/[id].go", fnPath: "/api/users/a b", fnQuery: "id=a+b"},
		{name: "encoded slash stays in its segment", path: "/api/users/a%2Fb", status: 200, fn: "api/users/[id].go", fnPath: "/api/users/a/b", fnQuery: "id=a%2Fb"},
		{name: "encoded percent", path: "/api/users/100%25", status: 200, fn: "api/users/[id].go", fnPath: "/api/users/100%", fnQuery: "id=100%25"},
		{name: "encoded slash is not a file path", path: "/docs%2Findex.html", status: 404, bodyHas: "custom not found"},
		{name: "static file with a space", path: "/two%20words.txt", status: 200, bodyHas: "spaced"},
		{name: "static file with a percent", path: "/100%25.txt", status: 200, bodyHas: "percent"},
		{name: "static beats dynamic", path: "/api/users/me", status: 200, fn: "api/users/me.go"},
		{name: "dynamic too deep", path: "/api/users/42/extra", status: 404, ctype: "text/plain", bodyHas: "NOT_FOUND"},
		{name: "dynamic directory", path: "/api/posts/hi/comments", status: 200, fn: "api/posts/[slug]/comments.go", fnQuery: "slug=hi"},
		{name: "two params python", path: "/api/acme/widgets", status: 200, fn: "api/[org]/[repo].py", fnQuery: "org=acme&repo=widgets"},
		{name: "catch-all", path: "/api/docs/a/b/c", status: 200, fn: "api/docs/[...path].go", fnQuery: "path=a%2Fb%2Fc"},
		{name: "catch-all one segment", path: "/api/docs/a", status: 200, fn: "api/docs/[...path].go", fnQuery: "path=a"},
		{name: "catch-all needs a segment", path: "/api/docs", status: 404},
		{name: "optional catch-all empty", path: "/api/opt", status: 200, fn: "api/opt/[[...rest]].go"},
		{name: "optional catch-all", path: "/api/opt/x/y", status: 200, fn: "api/opt/[[...rest]].go", fnQuery: "rest=x%2Fy"},
		{name: "underscore dir is not a function", path: "/api/_lib/helper", status: 200, fn: "api/[org]/[repo].py", fnQuery: "org=_lib&repo=helper"},
		{name: "underscore file is not a function", path: "/api/_lib", status: 404},
		{name: "test file is not a function", path: "/api/hello_test", status: 404},
		{name: "python function", path: "/api/py", status: 200, fn: "api/py.py"},
		{name: "case sensitive", path: "/API/hello", status: 404, bodyHas: "custom not found"},
		{name: "api miss is plain 404", path: "/api/nope", status: 404, ctype: "text/plain", bodyHas: "NOT_FOUND"},
		{name: "api miss json", path: "/api/nope", reqHeader: map[string]string{"Accept": "application/json"}, status: 404, ctype: "application/json", bodyHas: `"code":404`},
		{name: "api miss html", path: "/api/nope", reqHeader: map[string]string{"Accept": "text/html"}, status: 404, ctype: "text/html", bodyHas: "The page could not be found."},
		{name: "put with body", method: "PUT", path: "/api/hello", body: "12345", status: 200, fn: "api/hello.go"},
		// The dev server answers 100-continue itself; on Vercel the body
		// travels in the invocation, and a Python server that never sends
		// 100 would hold the upload for the transport's 1 s wait.
		{name: "expect 100-continue stays here", method: "POST", path: "/api/hello", body: "12345",
			reqHeader: map[string]string{"Expect": "100-continue"}, status: 200, fn: "api/hello.go", fnHeader: map[string]string{"Expect": ""}},
		{name: "delete", method: "DELETE", path: "/api/users/9", status: 200, fn: "api/users/[id].go", fnQuery: "id=9"},

		// response and upstream headers
		{name: "route header on function", path: "/api/hello", status: 200, fn: "api/hello.go", header: map[string]string{"Cache-Control": "s-maxage=60", "X-Global": "yes"}},
		{name: "forwarded headers", path: "/api/hello", reqHeader: map[string]string{"Host": "example.test"}, status: 200, fn: "api/hello.go",
			fnHeader: map[string]string{"X-Forwarded-Host": "example.test", "X-Vercel-Deployment-Url": "example.test", "X-Real-Ip": "127.0.0.1",
				"X-Vercel-Forwarded-For": "127.0.0.1", "X-Forwarded-For": "127.0.0.1", "X-Forwarded-Proto": "http", "X-Forwarded-Port": "80"}},
		// Behind a tunnel: what it forwarded is kept and added to, as
		// vercel dev's http-proxy does.
		{name: "forwarded headers after a proxy", path: "/api/hello",
			reqHeader: map[string]string{"Host": "example.test:8443", "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Host": "app.example",
				"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"},
			status: 200, fn: "api/hello.go",
			fnHeader: map[string]string{"X-Forwarded-For": "203.0.113.9, 127.0.0.1", "X-Forwarded-Host": "app.example",
				"X-Forwarded-Proto": "https,http", "X-Forwarded-Port": "443,8443", "X-Real-Ip": "127.0.0.1"}},

		// redirects
		{name: "permanent redirect", path: "/old", status: 308, header: map[string]string{"Location": "/about.html"}},
		{name: "temporary redirect", path: "/temp", status: 307, header: map[string]string{"Location": "/about.html"}},
		{name: "redirect with param", path: "/blog/hello", status: 301, header: map[string]string{"Location": "/news/hello"}},
		{name: "redirect keeps an encoded slash", path: "/blog/a%2Fb", status: 301, header: map[string]string{"Location": "/news/a%2Fb"}},
		{name: "redirect escapes a space", path: "/blog/a%20b", status: 301, header: map[string]string{"Location": "/news/a%20b"}},
		{name: "external redirect", path: "/go-ext", status: 308, header: map[string]string{"Location": "https://example.com/landing"}},
		{name: "redirect with has", path: "/only-with-query?go=1", status: 307, header: map[string]string{"Location": "/about.html?go=1"}},
		{name: "redirect has unmet", path: "/only-with-query", status: 404},
		{name: "double slash redirect", path: "//api//hello?x=1", status: 301, header: map[string]string{"Location": "/api/hello?x=1"}},
		{name: "double slash post is collapsed", method: "POST", path: "//api//hello", status: 200, fn: "api/hello.go", fnPath: "/api/hello"},

		// rewrites
		{name: "rewrite to function keeps original path", path: "/r/hello", status: 200, fn: "api/hello.go"},
		{name: "rewrite to dynamic function", path: "/u/7", status: 200, fn: "api/users/[id].go", fnQuery: "id=7"},
		{name: "rewrite keeps an encoded slash in its segment", path: "/u/a%2Fb", status: 200, fn: "api/users/[id].go", fnPath: "/u/a/b", fnQuery: "id=a%2Fb"},
		{name: "rewrite with an encoded slash into the query", path: "/item/a%2Fb", status: 200, fn: "api/hello.go", fnPath: "/item/a/b", fnQuery: "id=a%2Fb&item=a%2Fb"},
		// routing-utils appends the source parameters to the query when the
		// destination's path uses none of them.
		{name: "rewrite with query", path: "/item/9", status: 200, fn: "api/hello.go", fnQuery: "id=9&item=9"},
		{name: "rewrite to static", path: "/page", status: 200, bodyHas: "about"},
		{name: "rewrite has header", path: "/flag", reqHeader: map[string]string{"X-Flag": "yes"}, status: 200, fn: "api/hello.go"},
		{name: "rewrite has header unmet", path: "/flag", reqHeader: map[string]string{"X-Flag": "no"}, status: 404},
		{name: "rewrite has cookie", path: "/cookie", reqHeader: map[string]string{"Cookie": "a=1; session=abc"}, status: 200, fn: "api/hello.go", fnQuery: "session=abc"},
		{name: "external rewrite", path: "/proxy/a/b?q=1", status: 200, bodyHas: "external saw /ext/a/b?q=1"},
	}
	runRouteCases(t, h, cases)

	t.Run("function headers win over defaults", func(t *testing.T) {
		h.t = t
		resp, _ := h.do("GET", "/api/hello", map[string]string{"X-Fake": "cache"}, nil)
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("cache-control = %q, want the function's no-store", got)
		}
		if got := resp.Header.Values("Server"); len(got) != 1 || got[0] != "lambdalens" {
			t.Errorf("server = %q, want only lambdalens", got)
		}
	})
}

func TestRoutingCleanURLs(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/hello.go":           goHandler("1"),
		"public/index.html":      "<h1>home</h1>",
		"public/about.html":      "<h1>about</h1>",
		"public/docs/index.html": "<h1>docs</h1>",
		"vercel.json":            `{"cleanUrls": true, "trailingSlash": false}`,
	})
	runRouteCases(t, h, []routeCase{
		{name: "clean url", path: "/about", status: 200, bodyHas: "about"},
		{name: "html redirects", path: "/about.html", status: 308, header: map[string]string{"Location": "/about"}},
		{name: "trailing slash redirects", path: "/about/", status: 308, header: map[string]string{"Location": "/about"}},
		{name: "index.html redirects to root", path: "/index.html", status: 308, header: map[string]string{"Location": "/"}},
		{name: "root", path: "/", status: 200, bodyHas: "home"},
		{name: "directory", path: "/docs", status: 200, bodyHas: "docs"},
		{name: "function", path: "/api/hello", status: 200, fn: "api/hello.go"},
		{name: "function extension redirects", path: "/api/hello.go", status: 308, header: map[string]string{"Location": "/api/hello"}},
		{name: "function trailing slash redirects", path: "/api/hello/", status: 308, header: map[string]string{"Location": "/api/hello"}},
	})
}

func TestRoutingTrailingSlash(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/hello.go":           goHandler("1"),
		"public/about.html":      "<h1>about</h1>",
		"public/docs/index.html": "<h1>docs</h1>",
		"public/CNAME":           "example.test",
		"vercel.json":            `{"trailingSlash": true}`,
	})
	runRouteCases(t, h, []routeCase{
		{name: "file with extension is not redirected", path: "/about.html", status: 200, bodyHas: "about"},
		{name: "directory gets a slash", path: "/docs", status: 308, header: map[string]string{"Location": "/docs/"}},
		{name: "directory with slash", path: "/docs/", status: 200, bodyHas: "docs"},
		{name: "file with slash loses it", path: "/about.html/", status: 308, header: map[string]string{"Location": "/about.html"}},
		{name: "function gets a slash", path: "/api/hello", status: 308, header: map[string]string{"Location": "/api/hello/"}},
		{name: "function with slash", path: "/api/hello/", status: 200, fn: "api/hello.go"},
		{name: "well-known is left alone", path: "/.well-known/x", status: 404},
		{name: "extensionless file gets a slash", path: "/CNAME", status: 308, header: map[string]string{"Location": "/CNAME/"}},
		{name: "extensionless file with slash", path: "/CNAME/", status: 200, bodyHas: "example.test"},
	})
}

func TestRoutingLegacyRoutes(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/hello.go":         goHandler("1"),
		"api/echo2.go":         goHandler("1"),
		"public/hdrs/file.txt": "plain",
		"public/index.html":    "<h1>home</h1>",
		"vercel.json": `{"routes": [
  {"src": "/legacy/(.*)", "dest": "/api/hello?x=$1"},
  {"src": "/teapot", "status": 418},
  {"src": "/hdrs/(.*)", "headers": {"x-legacy": "1"}, "continue": true},
  {"src": "/moved", "status": 302, "headers": {"Location": "/api/hello"}},
  {"src": "/only-post", "methods": ["POST"], "dest": "/api/hello"},
  {"src": "/ping", "dest": "/api/hello", "status": 204},
  {"src": "/same", "dest": "/api/hello", "status": 304},
  {"handle": "filesystem"},
  {"src": "/after-fs/(.*)", "dest": "/api/echo2?p=$1"}
]}`,
	})
	runRouteCases(t, h, []routeCase{
		{name: "dest with capture", path: "/legacy/abc", status: 200, fn: "api/hello.go", fnQuery: "x=abc"},
		{name: "dest keeps request query", path: "/legacy/abc?y=2", status: 200, fn: "api/hello.go", fnQuery: "y=2&x=abc"},
		{name: "status route", path: "/teapot", status: 418},
		{name: "continue headers", path: "/hdrs/file.txt", status: 200, bodyHas: "plain", header: map[string]string{"X-Legacy": "1"}},
		{name: "redirect route", path: "/moved", status: 302, header: map[string]string{"Location": "/api/hello"}},
		{name: "method match", method: "POST", path: "/only-post", status: 200, fn: "api/hello.go"},
		{name: "method mismatch", path: "/only-post", status: 404},
		// The function's body is dropped: 204 and 304 have none.
		{name: "status without a body over a function's response", path: "/ping", status: 204, invoked: true},
		{name: "304 over a function's response", path: "/same", status: 304},
		{name: "after filesystem", path: "/after-fs/zz", status: 200, fn: "api/echo2.go", fnQuery: "p=zz"},
		{name: "filesystem function", path: "/api/hello", status: 200, fn: "api/hello.go"},
		{name: "filesystem static", path: "/", status: 200, bodyHas: "home"},
	})
}

func TestRoutingStandaloneServer(t *testing.T) {
	h := startHarness(t, map[string]string{
		"go.mod":          "module example.test/app\n\ngo 1.26\n",
		"main.go":         "package main\n\nimport \"net/http\"\n\n// version: 1\nfunc main() { http.ListenAndServe(\":\"+\"8080\", nil) }\n",
		"api/x.go":        goHandler("1"),
		"public/logo.txt": "logo",
	})
	runRouteCases(t, h, []routeCase{
		{name: "root goes to the server", path: "/", status: 200, fn: "main.go"},
		{name: "any path goes to the server", path: "/anything/deep?q=1", status: 200, fn: "main.go", fnQuery: "q=1"},
		{name: "post goes to the server", method: "POST", path: "/form", body: "a=1", status: 200, fn: "main.go"},
		{name: "api function first", path: "/api/x", status: 200, fn: "api/x.go"},
		{name: "static first", path: "/logo.txt", status: 200, bodyHas: "logo"},
	})
}

// TestRoutingRootStatic: a project of api functions without public/
// serves every other file, as Vercel's static builder
// "!{api/**,package.json}" does (reference §2.3).
func TestRoutingRootStatic(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/hello.go":    goHandler("1"),
		"api/data.json":   `{"secret": true}`,
		"index.html":      "<h1>home</h1>",
		"css/site.css":    "body{}",
		"404.html":        "<h1>lost</h1>",
		"go.mod":          "module example.test\n",
		"README.md":       "# readme",
		"package.json":    "{}",
		".env.local":      "TOKEN=1",
		"node_modules/x":  "x",
		"lib/helper.go":   "package lib\n",
		".vercelignore":   "private/\n",
		"private/key.txt": "key",
	})
	runRouteCases(t, h, []routeCase{
		{name: "index at the root", path: "/", status: 200, bodyHas: "home", ctype: "text/html"},
		{name: "a nested file", path: "/css/site.css", status: 200, ctype: "text/css"},
		{name: "a source file, as Vercel deploys it", path: "/lib/helper.go", status: 200, bodyHas: "package lib"},
		{name: "go.mod too", path: "/go.mod", status: 200},
		{name: "the function", path: "/api/hello", status: 200, fn: "api/hello.go"},
		{name: "api files are not static", path: "/api/data.json", status: 404},
		{name: "a miss gets 404.html", path: "/nope", status: 404, bodyHas: "lost"},
		{name: "README.md is not", path: "/README.md", status: 404},
		{name: "package.json is not", path: "/package.json", status: 404},
		{name: "ignored by default", path: "/.env.local", status: 404},
		{name: "node_modules", path: "/node_modules/x", status: 404},
		{name: "ignored by .vercelignore", path: "/private/key.txt", status: 404},
	})
}

// The first file beside api/ makes the project root the static folder at
// once, without waiting for another reload.
func TestRootStaticAppears(t *testing.T) {
	h := startHarness(t, map[string]string{"api/hello.go": goHandler("1")})
	if resp, _ := h.get("/"); resp.StatusCode != 404 {
		t.Fatalf("GET / before index.html = %d, want 404", resp.StatusCode)
	}
	h.write("index.html", "<h1>home</h1>")
	eventually(t, reloadTimeout, "index.html served", func() (bool, string) {
		resp, body := h.get("/")
		return resp.StatusCode == 200 && string(body) == "<h1>home</h1>", fmt.Sprint(resp.StatusCode)
	})
}

// A project whose root can never be the static folder (here a Go server)
// does not reload for files created beside it (an upload, a SQLite
// journal, a log).
func TestFilesBesideAServerDoNotReload(t *testing.T) {
	h := startHarness(t, map[string]string{
		"go.mod":  "module example.test/app\n\ngo 1.26\n",
		"main.go": "package main\n\nimport \"net/http\"\n\n// version: 1\nfunc main() { http.ListenAndServe(\":\"+\"8080\", nil) }\n",
	})
	loaded := func(ev Event) bool { return ev.Type == EventProjectLoaded }
	before := h.events.count(loaded)
	batches := h.srv.reloads.processed.Load()
	h.write("upload.tmp", "data")
	eventually(t, reloadTimeout, "the new file to be processed", func() (bool, string) {
		return h.srv.reloads.processed.Load() > batches, ""
	})
	if n := h.events.count(loaded) - before; n != 0 {
		t.Errorf("a file created beside a Go server reloaded the project %d times, want 0", n)
	}
}

// With legacy "builds", a function is its file, extension included, and
// Vercel adds none of its zero-config routes: a route names the file.
func TestRoutingLegacyBuilds(t *testing.T) {
	h := startHarness(t, map[string]string{
		"api/index.go": goHandler("1"),
		"api/other.go": goHandler("1"),
		"index.py":     pyHandler("1"),
		// Static files are those of @vercel/static builds alone, at
		// their own paths; public/ is not served by itself.
		"public/page.html":  "<p>public</p>",
		"assets/logo.txt":   "logo",
		"assets/x/deep.txt": "deep",
		"vercel.json": `{"builds": [{"src": "api/*.go", "use": "@vercel/go"}, {"src": "index.py", "use": "@vercel/python"},
			{"src": "assets/**", "use": "@vercel/static"}],
			"routes": [{"src": "/hello", "dest": "/api/other.go"}, {"handle": "filesystem"}]}`,
	})
	runRouteCases(t, h, []routeCase{
		{name: "a route to the file", path: "/hello", status: 200, fn: "api/other.go", fnPath: "/hello"},
		{name: "the file's own path", path: "/api/other.go", status: 200, fn: "api/other.go"},
		{name: "no extensionless alias", path: "/api/other", status: 404},
		// vercel dev serves <path>/index.* at <path> (reference §3.3).
		{name: "an index function at its folder", path: "/api", status: 200, fn: "api/index.go"},
		{name: "with a slash", path: "/api/", status: 200, fn: "api/index.go"},
		{name: "the root index", path: "/", status: 200, fn: "index.py"},
		{name: "a static build's file at its path", path: "/assets/logo.txt", status: 200, bodyHas: "logo", ctype: "text/plain"},
		{name: "deeper", path: "/assets/x/deep.txt", status: 200, bodyHas: "deep"},
		{name: "public/ is not served by itself", path: "/page.html", status: 404},
		{name: "nor under its own name", path: "/public/page.html", status: 404},
		{name: "nor sources", path: "/vercel.json", status: 404},
	})
}
