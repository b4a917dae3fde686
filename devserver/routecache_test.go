package devserver

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/project/routing"
)

// A project whose routes read no header or cookie: method, host, path and
// query decide.
var cachedRoutesProject = map[string]string{
	"api/hello.go":      goHandler("1"),
	"api/users/[id].go": goHandler("1"),
	"public/about.html": "<h1>about</h1>",
	"public/index.html": "<h1>home</h1>",
	"vercel.json": `{
  "cleanUrls": true,
  "redirects": [
    {"source": "/old", "destination": "/about", "permanent": true},
    {"source": "/here", "has": [{"type": "host", "value": "a.test"}], "destination": "/about", "permanent": false},
    {"source": "/q", "has": [{"type": "query", "key": "go", "value": "(?<to>.*)"}], "destination": "/:to", "permanent": false}
  ],
  "rewrites": [
    {"source": "/u/:id", "destination": "/api/users/:id?from=rewrite"},
    {"source": "/get-only", "destination": "/api/hello"}
  ],
  "headers": [
    {"source": "/api/(.*)", "headers": [{"key": "X-Route", "value": "api"}]}
  ]
}`,
}

func TestRouteCacheMatchesTheRouter(t *testing.T) {
	h := startHarness(t, cachedRoutesProject)
	snap := h.srv.state.Load()
	if snap.routes == nil {
		t.Fatal("no route cache for routes that read no header")
	}
	reqs := []routing.Request{
		{Method: "GET", Host: "b.test", Path: "/old"},
		{Method: "GET", Host: "a.test", Path: "/here"},
		{Method: "GET", Host: "b.test", Path: "/here"},
		{Method: "GET", Host: "b.test", Path: "/q", RawQuery: "go=about"},
		{Method: "GET", Host: "b.test", Path: "/q", RawQuery: "go=elsewhere"},
		{Method: "GET", Host: "b.test", Path: "/q"},
		{Method: "GET", Host: "b.test", Path: "/u/7", RawQuery: "x=1"},
		{Method: "POST", Host: "b.test", Path: "/u/7"},
		{Method: "GET", Host: "b.test", Path: "/api/users/42", RawQuery: "id=9&id=10"},
		{Method: "GET", Host: "b.test", Path: "/about"},
		{Method: "GET", Host: "b.test", Path: "/about.html"},
		{Method: "GET", Host: "b.test", Path: "/"},
		{Method: "GET", Host: "b.test", Path: "/nowhere"},
		{Method: "GET", Path: "/here", Header: http.Header{"Host": {"a.test"}}},              // no Host: never cached
		{Method: "GET", Host: "b.test", Path: "/u/" + strings.Repeat("x", routeCacheMaxKey)}, // too long: never cached
	}
	for round := range 2 { // the second round comes from the cache
		for _, req := range reqs {
			want := snap.router.Route(req, snap)
			got := snap.routes.route(snap, req)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round %d, %s %s %s?%s:\n got %+v\nwant %+v", round, req.Method, req.Host, req.Path, req.RawQuery, got, want)
			}
		}
	}
	snap.routes.mu.RLock()
	n := len(snap.routes.m)
	snap.routes.mu.RUnlock()
	if n != len(reqs)-2 {
		t.Errorf("the cache holds %d results, want %d (one per request with a Host and a short URL)", n, len(reqs)-2)
	}

	// A response header that took a route's value and got another one
	// appended leaves the cached value alone.
	req := routing.Request{Method: "GET", Host: "b.test", Path: "/api/hello"}
	res := snap.routes.route(snap, req)
	out := http.Header{}
	decorate(out, []string{"id"}, res.Headers)
	out.Add("X-Route", "added by the response")
	if got := snap.routes.route(snap, req).Headers["X-Route"]; !reflect.DeepEqual(got, []string{"api"}) {
		t.Errorf("cached X-Route = %q after a response appended to it, want [api]", got)
	}
}

// Routes that read a header or a cookie route every request.
func TestRouteCacheNotForHeaderConditions(t *testing.T) {
	for _, has := range []string{
		`{"type": "header", "key": "x-flag"}`,
		`{"type": "cookie", "key": "session"}`,
	} {
		h := startHarness(t, map[string]string{
			"api/hello.go": goHandler("1"),
			"vercel.json":  `{"rewrites": [{"source": "/flag", "missing": [` + has + `], "destination": "/api/hello"}]}`,
		})
		if h.srv.state.Load().routes != nil {
			t.Errorf("a route cache with the condition %s", has)
		}
	}
}

// Through the server: the same path from two hosts, and with two queries,
// each gets its own answer, in either order.
func TestRouteCacheServesEachHostAndQuery(t *testing.T) {
	h := startHarness(t, cachedRoutesProject)
	for range 2 {
		for _, c := range []struct {
			path, host string
			status     int
			location   string
		}{
			{"/here", "a.test", http.StatusTemporaryRedirect, "/about"},
			{"/here", "b.test", http.StatusNotFound, ""},
			{"/q?go=about", "b.test", http.StatusTemporaryRedirect, "/about?go=about"},
			{"/q?go=elsewhere", "b.test", http.StatusTemporaryRedirect, "/elsewhere?go=elsewhere"},
			{"/q", "b.test", http.StatusNotFound, ""},
		} {
			resp, _ := h.do(http.MethodGet, c.path, map[string]string{"Host": c.host}, nil)
			if resp.StatusCode != c.status || resp.Header.Get("Location") != c.location {
				t.Errorf("GET %s (Host %s) = %d Location %q, want %d %q", c.path, c.host, resp.StatusCode, resp.Header.Get("Location"), c.status, c.location)
			}
		}
	}
	// A rewrite's query, merged into the forwarded one, is the same for a
	// cached route.
	first, second := h.getEcho("/u/7?x=1", nil), h.getEcho("/u/7?x=1", nil)
	for _, e := range []echo{first, second} {
		q, err := url.ParseQuery(e.Query)
		if err != nil || q.Get("x") != "1" || q.Get("id") != "7" || q.Get("from") != "rewrite" || e.Path != "/u/7" {
			t.Errorf("the function saw %s?%s, want /u/7 with x=1, id=7 and from=rewrite", e.Path, e.Query)
		}
	}
}

// BenchmarkRouteCache routes one function path of examples/go-api's kind
// (a dynamic segment, a rewrite and a header rule in front of it) with the
// router and from the cache.
//
//	go test -run=^$ -bench=RouteCache ./devserver/
func BenchmarkRouteCache(b *testing.B) {
	h := startHarness(b, cachedRoutesProject)
	snap := h.srv.state.Load()
	req := routing.Request{Method: "GET", Host: "127.0.0.1:3000", Path: "/api/users/42", Header: http.Header{"Accept": {"*/*"}}}
	b.Run("router", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			snap.router.Route(req, snap)
		}
	})
	b.Run("cache", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			snap.routes.route(snap, req)
		}
	})
}

// A static file that appears (or goes) makes a snapshot with the new set of
// files (Server.withStatic), and its paths route to it: results cached
// before the change must not be kept.
func TestRouteCacheForgetsStaticFilesThatChanged(t *testing.T) {
	h := startHarness(t, cachedRoutesProject)
	if resp, _ := h.get("/new"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /new before it exists = %d, want 404", resp.StatusCode)
	}
	if resp, _ := h.get("/about"); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /about = %d, want 200", resp.StatusCode)
	}
	writeFiles(t, h.dir, map[string]string{"public/new.html": "<p>new</p>"})
	eventually(t, 10*time.Second, "public/new.html in the snapshot", func() (bool, string) {
		_, ok := h.srv.state.Load().static["new.html"]
		return ok, "not yet"
	})
	if resp, body := h.get("/new"); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /new after it was created = %d %q, want 200", resp.StatusCode, body)
	}
	if err := os.Remove(filepath.Join(h.dir, "public", "about.html")); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "public/about.html gone from the snapshot", func() (bool, string) {
		_, ok := h.srv.state.Load().static["about.html"]
		return !ok, "still there"
	})
	if resp, body := h.get("/about"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /about after about.html was removed = %d %q, want 404", resp.StatusCode, body)
	}
}
