package routing

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
)

// fileSet is a Filesystem of function IDs and static files.
type fileSet map[string]bool

func (f fileSet) Exists(p string) bool { return f[p] }

// project is a test project: function files, catch-all function IDs,
// static files and vercel.json.
type project struct {
	cfg      *config.Config
	files    []string
	catchAll []string
	static   []string
	notFound string
}

func (p project) build(t testing.TB) (*Router, fileSet, []Route) {
	t.Helper()
	in, fs := p.input(t)
	routes, diags := Table(in)
	if len(diags) > 0 {
		t.Fatalf("Table diagnostics: %v", diags)
	}
	r, err := NewRouter(routes, p.fsOptions())
	if err != nil {
		t.Fatalf("NewRouter: %v", err)
	}
	return r, fs, routes
}

func (p project) fsOptions() FSOptions {
	if p.cfg == nil {
		return FSOptions{}
	}
	return FSOptions{CleanURLs: p.cfg.CleanURLs, TrailingSlash: p.cfg.TrailingSlash != nil && *p.cfg.TrailingSlash}
}

func (p project) input(t testing.TB) (Input, fileSet) {
	t.Helper()
	in, fs, err := p.inputErr()
	if err != nil {
		t.Fatal(err)
	}
	return in, fs
}

func (p project) inputErr() (Input, fileSet, error) {
	fs := fileSet{}
	in := Input{Config: p.cfg, NotFoundPage: p.notFound}
	clean := p.cfg != nil && p.cfg.CleanURLs
	for _, f := range p.files {
		r, err := ForFile(f, clean)
		if err != nil {
			return in, nil, err
		}
		in.Functions = append(in.Functions, FunctionInfo{ID: r.ID, File: f, Route: r})
		fs[r.ID] = true
	}
	for _, id := range p.catchAll {
		in.Functions = append(in.Functions, FunctionInfo{ID: id, File: id + ".go", CatchAll: true,
			Route: FileRoute{ID: id, Pattern: "/(.*)", Src: "^/(.*)$", Dest: "/" + id}})
		fs[id] = true
	}
	for _, s := range p.static {
		fs[s] = true
	}
	return in, fs, nil
}

// rc is one request and what routing it must give.
type rc struct {
	method  string // GET when empty
	url     string // path with optional query
	host    string
	headers map[string]string
	// want
	output   string
	status   int
	location string
	external string
	query    map[string]string // exact when non-nil (single values)
	respHdr  map[string]string // subset
}

func (c rc) request() Request {
	path, raw, _ := strings.Cut(c.url, "?")
	h := http.Header{}
	for k, v := range c.headers {
		h.Set(k, v)
	}
	m := c.method
	if m == "" {
		m = http.MethodGet
	}
	host := c.host
	if host == "" {
		host = "localhost:3000"
	}
	return Request{Method: m, Path: path, RawQuery: raw, Host: host, Header: h}
}

func (c rc) check(t *testing.T, got Result) {
	t.Helper()
	if got.Output != c.output || got.Status != c.status || got.Location != c.location || got.External != c.external {
		t.Errorf("got {output %q status %d location %q external %q}, want {output %q status %d location %q external %q}",
			got.Output, got.Status, got.Location, got.External, c.output, c.status, c.location, c.external)
	}
	if wantPath, _, _ := strings.Cut(c.url, "?"); got.Path != "/"+strings.TrimPrefix(wantPath, "/") {
		t.Errorf("Path = %q, want the original %q", got.Path, wantPath)
	}
	if c.query != nil {
		flat := map[string]string{}
		for k, vs := range got.Query {
			flat[k] = strings.Join(vs, ",")
		}
		if !maps.Equal(flat, c.query) {
			t.Errorf("Query = %v, want %v", flat, c.query)
		}
	}
	for k, v := range c.respHdr {
		if g := got.Headers.Get(k); g != v {
			t.Errorf("header %s = %q, want %q (all: %v)", k, g, v, got.Headers)
		}
	}
}

func runCases(t *testing.T, p project, cases []rc) {
	t.Helper()
	r, fs, _ := p.build(t)
	for _, c := range cases {
		name := c.method + " " + c.url
		if c.host != "" {
			name += " host=" + c.host
		}
		for k, v := range c.headers {
			name += " " + k + "=" + v
		}
		t.Run(name, func(t *testing.T) { c.check(t, r.Route(c.request(), fs)) })
	}
}

func bp(b bool) *bool { return &b }

var zeroConfigProject = project{
	files: []string{"api/hello.go", "api/index.py", "api/users/[id].go", "api/users/me.go", "api/[org]/[repo].py",
		"api/posts/[...slug].go", "api/docs/[[...slug]].py"},
	static:   []string{"index.html", "about.html", "img/logo.png", "blog/index.html", "404.html"},
	notFound: "404.html",
}

func TestRouteZeroConfig(t *testing.T) {
	none := map[string]string{}
	runCases(t, zeroConfigProject, []rc{
		{url: "/api/hello", output: "api/hello", query: none},
		{url: "/api/hello/", output: "api/hello"},
		{url: "/api/hello.go", output: "api/hello"},
		{url: "/api/hello.py", output: "api/hello"},
		{url: "/api/hello?a=1&a=2", output: "api/hello", query: map[string]string{"a": "1,2"}},
		{url: "/api", output: "api/index"},
		{url: "/api/", output: "api/index"},
		{url: "/api/index", output: "api/index"},
		{url: "/api/index.py", output: "api/index"},
		{url: "/api/users/42", output: "api/users/[id]", query: map[string]string{"id": "42"}},
		{url: "/api/users/42?x=1", output: "api/users/[id]", query: map[string]string{"id": "42", "x": "1"}},
		{url: "/api/users/42?id=7", output: "api/users/[id]", query: map[string]string{"id": "42"}},
		{url: "/api/users/a b", output: "api/users/[id]", query: map[string]string{"id": "a b"}},
		{url: "/api/users/me", output: "api/users/me", query: none},
		{url: "/api/users", status: 404},
		{url: "/api/users/42/", status: 404},
		{url: "/api/vercel/next.js", output: "api/[org]/[repo]", query: map[string]string{"org": "vercel", "repo": "next.js"}},
		{url: "/api/posts/a/b/c", output: "api/posts/[...slug]", query: map[string]string{"slug": "a/b/c"}},
		{url: "/api/posts/a", output: "api/posts/[...slug]", query: map[string]string{"slug": "a"}},
		{url: "/api/posts", status: 404},
		{url: "/api/docs", output: "api/docs/[[...slug]]", query: none},
		{url: "/api/docs/x/y", output: "api/docs/[[...slug]]", query: map[string]string{"slug": "x/y"}},
		{url: "/api/nope", status: 404},
		{url: "/api/nope.go", status: 404},
		{url: "/", output: "index.html"},
		{url: "/about", output: "404.html", status: 404},
		{url: "/about.html", output: "about.html"},
		{url: "/img/logo.png", output: "img/logo.png"},
		{url: "/blog", output: "blog/index.html"},
		{url: "/blog/", output: "blog/index.html"},
		{url: "/missing/deep", output: "404.html", status: 404},
		// Vercel's error route is ^(?!/api).*$: nothing under /api…
		// gets the custom page, not even /apix.
		{url: "/apix", status: 404},
		{url: "/api-docs", status: 404},
		{url: "/ap", output: "404.html", status: 404},
		{url: "api/hello", output: "api/hello"},
	})
}

func TestRouteCleanURLs(t *testing.T) {
	runCases(t, project{
		cfg:      &config.Config{Path: "vercel.json", CleanURLs: true},
		files:    []string{"api/hello.go", "api/index.go", "api/[id].go"},
		static:   []string{"index.html", "about.html", "docs/index.html", "404.html"},
		notFound: "404.html",
	}, []rc{
		{url: "/about", output: "about.html"},
		{url: "/about.html", status: 308, location: "/about"},
		{url: "/about.html?x=1", status: 308, location: "/about?x=1"},
		{url: "/index", status: 308, location: "/"},
		{url: "/index.html", status: 308, location: "/"},
		{url: "/docs/index.html", status: 308, location: "/docs"},
		{url: "/docs", output: "docs/index.html"},
		{url: "/api/hello.go", status: 308, location: "/api/hello"},
		{url: "/api/index.go", status: 308, location: "/api"},
		{url: "/api/hello", output: "api/hello"},
		{url: "/api", output: "api/index"},
		{url: "/api/7", output: "api/[id]", query: map[string]string{"id": "7"}},
		// No Python function: ".py" is not a function extension here.
		{url: "/api/hello.py", output: "api/[id]", query: map[string]string{"id": "hello.py"}},
		{url: "/nope", output: "404.html", status: 404},
	})
}

// TestRouteExtensions: /api/<name>.<ext> reaches a function only for the
// extensions of the project's function files, as in Vercel's
// detectApiExtensions.
func TestRouteExtensions(t *testing.T) {
	runCases(t, project{files: []string{"api/hello.go"}}, []rc{
		{url: "/api/hello.go", output: "api/hello"},
		{url: "/api/hello.py", status: 404},
	})
	runCases(t, project{files: []string{"api/hello.go", "api/other.py"}}, []rc{
		{url: "/api/hello.go", output: "api/hello"},
		{url: "/api/hello.py", output: "api/hello"},
		{url: "/api/other.go", output: "api/other"},
	})
}

// TestRouteCleanURLsSlash: with cleanUrls, "/about/" is about.html only
// when trailingSlash is true (vercel dev 64.0.2 answered 404 without it).
func TestRouteCleanURLsSlash(t *testing.T) {
	static := []string{"about.html", "404.html"}
	runCases(t, project{cfg: &config.Config{Path: "vercel.json", CleanURLs: true}, static: static, notFound: "404.html"}, []rc{
		{url: "/about", output: "about.html"},
		{url: "/about/", output: "404.html", status: 404},
	})
	runCases(t, project{cfg: &config.Config{Path: "vercel.json", CleanURLs: true, TrailingSlash: bp(true)}, static: static, notFound: "404.html"}, []rc{
		{url: "/about", status: 308, location: "/about/"},
		{url: "/about/", output: "about.html"},
	})
}

// TestRouteHasCapturesDecodedOnce: values captured by has conditions are
// already decoded text; a "%" in them reaches the destination as is.
func TestRouteHasCapturesDecodedOnce(t *testing.T) {
	cfg := &config.Config{Path: "vercel.json",
		Headers: []config.HeaderRule{{Source: "/h", Has: []config.Has{{Type: "header", Key: "x-tok", Value: strp("(?<tok>.*)")}},
			Headers: []config.Header{{Key: "x-out", Value: ":tok"}}}},
		Rewrites:  []config.Rewrite{{Source: "/s", Has: []config.Has{{Type: "query", Key: "q", Value: strp("(?<term>.*)")}}, Destination: "/api/hello?term=:term"}},
		Redirects: []config.Redirect{{Source: "/r", Has: []config.Has{{Type: "query", Key: "q", Value: strp("(?<term>.*)")}}, Destination: "/search/:term", Permanent: bp(false)}},
	}
	runCases(t, project{cfg: cfg, files: []string{"api/hello.go"}, static: []string{"h"}}, []rc{
		{url: "/h", headers: map[string]string{"x-tok": "https%3A%2F%2Fexample.com%2Fa%25b"}, output: "h",
			respHdr: map[string]string{"X-Out": "https%3A%2F%2Fexample.com%2Fa%25b"}},
		{url: "/s?q=100%2525", output: "api/hello", query: map[string]string{"q": "100%25", "term": "100%25"}},
		{url: "/r?q=a%252Fb", status: 307, location: "/search/a%252Fb?q=a%252Fb"},
	})
}

func TestRouteTrailingSlash(t *testing.T) {
	static := []string{"index.html", "about/index.html", "style.css", ".well-known/x", "404.html"}
	runCases(t, project{cfg: &config.Config{Path: "vercel.json", TrailingSlash: bp(true)}, files: []string{"api/hello.go"}, static: static}, []rc{
		{url: "/about", status: 308, location: "/about/"},
		{url: "/about/", output: "about/index.html"},
		{url: "/style.css", output: "style.css"},
		{url: "/style.css/", status: 308, location: "/style.css"},
		{url: "/.well-known/x", output: ".well-known/x"},
		{url: "/api/hello", status: 308, location: "/api/hello/"},
		{url: "/api/hello/", output: "api/hello"},
		{url: "/", output: "index.html"},
	})
	runCases(t, project{cfg: &config.Config{Path: "vercel.json", TrailingSlash: bp(false)}, files: []string{"api/hello.go"}, static: static}, []rc{
		{url: "/about/", status: 308, location: "/about"},
		{url: "/about", output: "about/index.html"},
		{url: "/", output: "index.html"},
		{url: "/api/hello/", status: 308, location: "/api/hello"},
		{url: "/api/hello/?q=1", status: 308, location: "/api/hello?q=1"},
	})
}

func configProject() project {
	cfg := &config.Config{
		Path: "vercel.json",
		Redirects: []config.Redirect{
			{Source: "/old", Destination: "/new"},
			{Source: "/temp/:id", Destination: "/t/:id", Permanent: bp(false)},
			{Source: "/moved/:slug*", Destination: "https://example.com/:slug*", StatusCode: 301},
			{Source: "/blog/:slug", Destination: "/posts/:slug?l=:lang", Has: []config.Has{{Type: "query", Key: "lang", Value: strp("(?<lang>en|fr)")}}},
			{Source: "/docs/:page", Destination: "/manual#section-:page"},
		},
		Headers: []config.HeaderRule{
			{Source: "/(.*)", Headers: []config.Header{{Key: "X-Frame-Options", Value: "DENY"}, {Key: "X-Which", Value: "all"}}},
			{Source: "/api/(.*)", Headers: []config.Header{{Key: "Cache-Control", Value: "no-store"}, {Key: "X-Which", Value: "api"}}},
			{Source: "/static/:file", Headers: []config.Header{{Key: "X-File", Value: ":file"}}},
			{Source: "/(.*)", Headers: []config.Header{{Key: "X-Debug", Value: "on"}}, Has: []config.Has{{Type: "header", Key: "X-Debug"}}},
		},
		Rewrites: []config.Rewrite{
			{Source: "/u/:id", Destination: "/api/users/:id"},
			{Source: "/proxy/:path*", Destination: "https://upstream.example.com/:path*"},
			{Source: "/search", Destination: "/api/search"},
			{Source: "/p/:id", Destination: "/api/users/[id]?id=:id"},
			{Source: "/app/(.*)", Destination: "/index.html"},
			{Source: "/ua", Destination: "/api/mobile", Has: []config.Has{{Type: "header", Key: "User-Agent", Value: strp(".*Mobile.*")}}},
			{Source: "/ua", Destination: "/api/desktop"},
			{Source: "/h", Destination: "/api/hello?sub=:sub", Has: []config.Has{{Type: "host", Value: strp(`(?<sub>[^.]+)\.example\.com`)}}},
			{Source: "/m", Destination: "/api/hello", Has: []config.Has{{Type: "query", Key: "debug"}}},
			{Source: "/cookie-check", Destination: "/api/hello", Has: []config.Has{{Type: "cookie", Key: "session"}},
				Missing: []config.Has{{Type: "cookie", Key: "banned"}}},
			{Source: "/gone", Destination: "/nonexistent"},
			{Source: "/x-token", Destination: "/api/hello", Has: []config.Has{{Type: "header", Key: "x-token"}}},
			{Source: "/retired", Destination: "/api/hello", StatusCode: 410},
		},
	}
	return project{cfg: cfg,
		files:  []string{"api/hello.go", "api/users/[id].go", "api/search.go", "api/mobile.go", "api/desktop.go"},
		static: []string{"index.html", "static/app.js"}}
}

func TestRouteConfig(t *testing.T) {
	runCases(t, configProject(), []rc{
		{url: "/old", status: 308, location: "/new"},
		{url: "/old?keep=1", status: 308, location: "/new?keep=1"},
		{url: "/temp/5", status: 307, location: "/t/5"},
		{url: "/moved/a/b", status: 301, location: "https://example.com/a/b"},
		{url: "/docs/intro?v=2", status: 308, location: "/manual?v=2#section-intro"},
		{url: "/docs/a b", status: 308, location: "/manual#section-a%20b"},
		{url: "/moved/a b", status: 301, location: "https://example.com/a%20b"},
		{url: "/blog/x?lang=fr", status: 308, location: "/posts/x?l=fr&lang=fr"},
		{url: "/blog/x?lang=de", status: 404},
		{url: "/api/hello", output: "api/hello",
			respHdr: map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "X-Which": "api", "X-Debug": ""}},
		{url: "/api/hello", headers: map[string]string{"X-Debug": "1"}, output: "api/hello", respHdr: map[string]string{"X-Debug": "on"}},
		{url: "/static/app.js", output: "static/app.js", respHdr: map[string]string{"X-File": "app.js", "X-Which": "all"}},
		{url: "/u/42", output: "api/users/[id]", query: map[string]string{"id": "42"}, respHdr: map[string]string{"X-Frame-Options": "DENY"}},
		{url: "/proxy/a/b?q=1", external: "https://upstream.example.com/a/b?q=1"},
		{url: "/proxy", external: "https://upstream.example.com/"},
		{url: "/search?q=go", output: "api/search", query: map[string]string{"q": "go"}},
		{url: "/p/7", output: "api/users/[id]", query: map[string]string{"id": "7"}},
		{url: "/app/dashboard", output: "index.html"},
		{url: "/ua", headers: map[string]string{"User-Agent": "Foo Mobile Safari"}, output: "api/mobile"},
		{url: "/ua", headers: map[string]string{"User-Agent": "Desktop"}, output: "api/desktop"},
		{url: "/h", host: "foo.example.com:3000", output: "api/hello", query: map[string]string{"sub": "foo", "host": "foo.example.com"}},
		{url: "/h", host: "other.com", status: 404},
		{url: "/m?debug=1", output: "api/hello", query: map[string]string{"debug": "1"}},
		{url: "/m", status: 404},
		{url: "/cookie-check", headers: map[string]string{"Cookie": "session=abc"}, output: "api/hello", query: map[string]string{"session": "abc"}},
		{url: "/cookie-check", headers: map[string]string{"Cookie": "session=abc; banned=1"}, status: 404},
		{url: "/gone", status: 404},
		{url: "/x-token", headers: map[string]string{"X-Token": "t1"}, output: "api/hello", query: map[string]string{"x-token": "t1"}},
		{url: "/retired", output: "api/hello", status: 410},
		{url: "/", output: "index.html", respHdr: map[string]string{"X-Which": "all"}},
	})
}

func legacyProject() project {
	return project{
		cfg: &config.Config{Path: "vercel.json",
			Routes: []config.LegacyRoute{
				{Src: "/legacy/(?<name>[^/]+)", Dest: "/api/hello?n=$name"},
				{Src: "/hdr/.*", Headers: map[string]string{"X-Legacy": "1"}, Continue: true},
				{Src: "/post-only", Methods: []string{"POST"}, Dest: "/api/hello"},
				{Src: "/teapot", Status: 418},
				{Src: "/moved", Status: 301, Headers: map[string]string{"Location": "/new"}},
				{Src: "/forbidden/.*", Status: 403, Continue: true},
				{Handle: "filesystem"},
				{Src: "/fallback/(.*)", Dest: "/api/users/$1", Check: true},
				{Src: "/hdr/x", Dest: "/api/hello"},
				{Handle: "hit"},
				{Src: "/api/(.*)", Headers: map[string]string{"X-Hit": "yes"}, Continue: true},
			},
			Redirects: []config.Redirect{{Source: "/r", Destination: "/s"}},
		},
		files:  []string{"api/hello.go", "api/users/[id].go"},
		static: []string{"forbidden/page.html"},
	}
}

func TestRouteLegacy(t *testing.T) {
	runCases(t, legacyProject(), []rc{
		{url: "/legacy/bob", output: "api/hello", query: map[string]string{"n": "bob"}, respHdr: map[string]string{"X-Hit": "yes"}},
		{url: "/hdr/x", output: "api/hello", respHdr: map[string]string{"X-Legacy": "1"}},
		{method: "POST", url: "/post-only", output: "api/hello"},
		{url: "/post-only", status: 404},
		{url: "/teapot", status: 418},
		{url: "/moved", status: 301, location: "/new"},
		{url: "/fallback/9", output: "api/users/[id]", query: map[string]string{"id": "9"}},
		{url: "/forbidden/page.html", output: "forbidden/page.html", status: 403},
		{url: "/forbidden/none", status: 403},
		{url: "/r", status: 404},
		{url: "/api/hello", output: "api/hello", respHdr: map[string]string{"X-Hit": "yes"}},
	})
}

func TestRouteCatchAllApp(t *testing.T) {
	runCases(t, project{files: []string{"api/hello.go", "api/[id].go"}, catchAll: []string{"index"},
		static: []string{"favicon.ico", "404.html"}, notFound: "404.html"}, []rc{
		{url: "/", output: "index"},
		{url: "/anything/deep?x=1", output: "index", query: map[string]string{"x": "1"}},
		{url: "/api/hello", output: "api/hello"},
		{url: "/api/hello.go", output: "api/hello"},
		{url: "/api/unknown/x", output: "index"},
		{url: "/api/5", output: "api/[id]", query: map[string]string{"id": "5"}},
		{url: "/favicon.ico", output: "favicon.ico"},
	})
	runCases(t, project{catchAll: []string{"fastapi"}, static: []string{"404.html"}, notFound: "404.html"}, []rc{
		{url: "/docs", output: "fastapi"},
		{url: "/missing", output: "fastapi"},
		{url: "/", output: "fastapi"},
	})
}

// TestTablePythonAppTransform: the catch-all route of a Python framework
// app carries Vercel's request.path transform; a Go server's does not.
func TestTablePythonAppTransform(t *testing.T) {
	routes, _ := Table(Input{Functions: []FunctionInfo{
		{ID: "fastapi", File: "main.py", CatchAll: true, KeepPath: true},
		{ID: "index", File: "main.go", CatchAll: true},
	}})
	found := map[string][]Transform{}
	for _, r := range routes {
		if r.Src == "^/(.*)$" {
			found[r.Dest] = r.Transforms
		}
	}
	want := []Transform{{Type: "request.path", Op: "set", Args: "/$1"}}
	if !slices.Equal(found["/fastapi"], want) {
		t.Errorf("transforms of the Python app's route = %v, want %v", found["/fastapi"], want)
	}
	if tr, ok := found["/index"]; !ok || tr != nil {
		t.Errorf("transforms of the Go server's route = %v (route found: %v), want none", tr, ok)
	}
}

func TestRouteStaticOnly(t *testing.T) {
	runCases(t, project{static: []string{"index.html", "404.html"}, notFound: "404.html"}, []rc{
		{url: "/api/x", status: 404},
		{url: "/api", status: 404},
		{url: "/x", output: "404.html", status: 404},
		{url: "/", output: "index.html"},
	})
}

func TestNewRouterErrors(t *testing.T) {
	tests := []struct {
		routes []Route
		want   string
	}{
		{[]Route{{Src: "^/ok$"}, {Src: "^/(?!x)$"}}, "route 1"},
		{[]Route{{Handle: "nope"}}, "unknown handle"},
		{[]Route{{Handle: PhaseMiss}, {Handle: PhaseMiss}}, "twice"},
		{[]Route{{Dest: "/x"}}, "neither src nor handle"},
		{[]Route{{Src: "^/x$", Has: []config.Has{{Type: "header", Key: "a", Value: strp("[")}}}}, "has"},
	}
	for _, tc := range tests {
		if _, err := NewRouter(tc.routes, FSOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewRouter(%+v) = %v, want error containing %q", tc.routes, err, tc.want)
		}
	}
}

func TestRouteQueryDoesNotLeak(t *testing.T) {
	r, fs, _ := zeroConfigProject.build(t)
	req := Request{Method: "GET", Path: "/api/users/1", RawQuery: "a=1"}
	first := r.Route(req, fs)
	second := r.Route(Request{Method: "GET", Path: "/api/hello", RawQuery: "a=1"}, fs)
	if first.Query.Get("id") != "1" || second.Query.Get("id") != "" {
		t.Errorf("query state leaked between requests: %v / %v", first.Query, second.Query)
	}
	if got := (url.Values{"a": {"1"}}).Encode(); second.Query.Encode() != got {
		t.Errorf("second query = %q, want %q", second.Query.Encode(), got)
	}
}

func TestAnchoredPrefix(t *testing.T) {
	tests := map[string]string{
		"^/api/users/([^/]+)$":       "/api/users/",
		"^/r0(?:/([^/]+?))$":         "/r0/",
		"^/api(?:/|/index)?$":        "/api",
		"^/ab*$":                     "/a",
		"(?i)^/api$":                 "",
		"^(?i:/api)/x$":              "",
		"/api":                       "",
		"^/a|^/b":                    "",
		"(?m)^/x$":                   "",
		"^(?:/(.*))$":                "/",
		"^/x\\.html$":                "/x.html",
		"^/(?:[^a].*|a|a[^p].*)?$":   "/",
		`^/api/(.+)(?:\.(?:go|py))$`: "/api/",
	}
	for src, want := range tests {
		if got := anchoredPrefix(src); got != want {
			t.Errorf("anchoredPrefix(%q) = %q, want %q", src, got, want)
		}
		re := regexp.MustCompile(src)
		for _, p := range []string{"/api/users/1", "/a", "/API", "/x.html", "/r0/1"} {
			if re.MatchString(p) && !strings.HasPrefix(p, anchoredPrefix(src)) {
				t.Errorf("%q matches %q but the prefix %q would reject it", src, p, anchoredPrefix(src))
			}
		}
	}
}

func TestRouteHostHeaderCondition(t *testing.T) {
	routes := []Route{{Src: "^/h$", Dest: "/api/hello?sub=$c", Has: []config.Has{{Type: "header", Key: "host", Value: strp(`(?<c>[^.]+)\..*`)}}}}
	r, err := NewRouter(routes, FSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// net/http keeps Host out of Header; the condition must still see it.
	got := r.Route(Request{Method: "GET", Path: "/h", Host: "shop.example.com", Header: http.Header{}}, fileSet{"api/hello": true})
	if got.Output != "api/hello" || got.Query.Get("sub") != "shop" {
		t.Errorf("got %+v", got)
	}
}

func TestRouteConcurrent(t *testing.T) {
	r, fs, _ := configProject().build(t)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := strconv.Itoa(g*1000 + i)
				res := r.Route(Request{Method: "GET", Path: "/u/" + id, RawQuery: "g=" + id, Header: http.Header{}}, fs)
				if res.Query.Get("id") != id || res.Query.Get("g") != id {
					errs <- fmt.Sprintf("request %s got query %v", id, res.Query)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestReadsHeaders(t *testing.T) {
	cond := func(typ string) []config.Has { return []config.Has{{Type: typ, Key: "k"}} }
	for _, tc := range []struct {
		name   string
		routes []Route
		want   bool
	}{
		{"no conditions", []Route{{Src: "^/a$", Dest: "/b"}}, false},
		{"host and query", []Route{{Src: "^/a$", Has: []config.Has{{Type: "host", Value: new("x")}}}, {Src: "^/b$", Missing: cond("query")}}, false},
		{"header in has", []Route{{Src: "^/a$"}, {Src: "^/b$", Has: cond("header")}}, true},
		{"cookie in missing, after a handle", []Route{{Handle: PhaseFilesystem}, {Src: "^/b$", Missing: cond("cookie")}}, true},
	} {
		r, err := NewRouter(tc.routes, FSOptions{})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := r.ReadsHeaders(); got != tc.want {
			t.Errorf("%s: ReadsHeaders() = %v, want %v", tc.name, got, tc.want)
		}
	}
}
