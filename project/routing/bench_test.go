package routing

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
)

// benchProject has 500 dynamic functions ([item], [id], [org]/[repo] and
// [...slug] ones, 125 each), one static function and 100 rewrites.
func benchProject() project {
	p := project{cfg: &config.Config{Path: "vercel.json"}, static: []string{"index.html", "404.html"}, notFound: "404.html",
		files: []string{"api/hello.go"}}
	for i := range 500 {
		switch i % 4 {
		case 0:
			p.files = append(p.files, fmt.Sprintf("api/s%d/items/[item].go", i))
		case 1:
			p.files = append(p.files, fmt.Sprintf("api/s%d/[id].go", i))
		case 2:
			p.files = append(p.files, fmt.Sprintf("api/s%d/[org]/[repo].py", i))
		case 3:
			p.files = append(p.files, fmt.Sprintf("api/s%d/docs/[...slug].go", i))
		}
	}
	for i := range 100 {
		p.cfg.Rewrites = append(p.cfg.Rewrites, config.Rewrite{
			Source: fmt.Sprintf("/r%d/:id", i), Destination: fmt.Sprintf("/api/s%d/:id", 4*i+1)})
	}
	return p
}

func BenchmarkRoute(b *testing.B) {
	r, fs, routes := benchProject().build(b)
	if len(routes) < 600 { // 500 function rewrites + 100 user rewrites + built-ins
		b.Fatalf("only %d routes", len(routes))
	}
	cases := []struct {
		name, path, want string
	}{
		{"static-function", "/api/hello", "api/hello"},
		{"dynamic-first", "/api/s0/items/x", "api/s0/items/[item]"},
		{"dynamic-last", "/api/s497/x", "api/s497/[id]"},
		{"nested-dynamic", "/api/s498/acme/repo", "api/s498/[org]/[repo]"},
		{"catch-all", "/api/s499/docs/a/b/c", "api/s499/docs/[...slug]"},
		{"rewrite-last", "/r99/7", "api/s397/[id]"},
		{"api-404", "/api/none/x/y/z", ""},
		{"page-404", "/nothing/here", "404.html"},
	}
	for _, c := range cases {
		req := Request{Method: "GET", Path: c.path, RawQuery: "a=1", Host: "localhost:3000", Header: http.Header{}}
		if got := r.Route(req, fs); got.Output != c.want {
			b.Fatalf("%s: Output = %q, want %q", c.path, got.Output, c.want)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Route(req, fs)
			}
		})
	}
}

func BenchmarkTable(b *testing.B) {
	p := benchProject()
	in, _ := p.input(b)
	b.ReportAllocs()
	for b.Loop() {
		routes, _ := Table(in)
		if _, err := NewRouter(routes, FSOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
