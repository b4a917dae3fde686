package routing

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
)

func FuzzForFile(f *testing.F) {
	for _, s := range []string{"api/users/[id].go", "api/index.py", "index.go", "api/[org]/[repo].py",
		"api/[...slug].go", "api/docs/[[...slug]].py", "api/[[id]].go", "api/[a]/[a].go", "api/v1.0/x.go",
		"api/[...a]/b.go", "api//x", "api/[].go", "api/[[...x]]", "a+b/(c)/[d].go", "api/.go", "[[[...x]]]"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, file string, clean bool) {
		r, err := ForFile(file, clean)
		if err != nil {
			if _, ok := err.(*RouteError); !ok {
				t.Fatalf("error %T is not a *RouteError", err)
			}
			return
		}
		re, cerr := regexp.Compile(r.Src)
		if cerr != nil {
			t.Fatalf("Src %q does not compile: %v", r.Src, cerr)
		}
		if !strings.HasPrefix(r.Dest, "/"+r.ID) || Compare(r, r) != 0 {
			t.Fatalf("bad route %+v", r)
		}
		// A concrete path built from the pattern must match, with each
		// parameter captured in order.
		segs := idSegments(r.ID)
		var path strings.Builder
		var want []string
		for i, s := range segs {
			switch {
			case s.kind == segStatic && i == len(segs)-1 && s.text == "index":
			case s.kind == segStatic:
				path.WriteString("/" + s.text)
			default:
				v := "v" + string(rune('a'+len(want)%26))
				path.WriteString("/" + v)
				want = append(want, v)
			}
		}
		p := path.String()
		if p == "" {
			p = "/"
		}
		m := re.FindStringSubmatch(p)
		if m == nil {
			t.Fatalf("Src %q does not match %q", r.Src, p)
		}
		if len(m)-1 != len(want) {
			t.Fatalf("Src %q has %d groups, want %d", r.Src, len(m)-1, len(want))
		}
		for i, w := range want {
			if m[i+1] != w {
				t.Fatalf("group %d of %q = %q, want %q", i+1, p, m[i+1], w)
			}
		}
	})
}

func FuzzCompileSource(f *testing.F) {
	seeds := [][2]string{
		{"/(.*)", "/x/$1"}, {"/projects/:id/:action", "/p?id=:id"}, {"/catchall/:hello*", "/c/:hello*/"},
		{"/feature-{:slug}", "/blog-{:slug}"}, {"/(.*)-:id(\\d+).html", "/blog/:id"}, {"/a/:", "/"},
		{"/a/(b(c))", "/"}, {"/x/:id((?!a).*)", "/"}, {"/a{/b}?", "https://:b.example.com/"},
		{"/:a/:b", "/:a/get?x=:b#:a"}, {"\\", "\\"}, {"/{", "?=&="}, {"/:p+", "https://u:p@h:1/:p?q=:p"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, source, dest string, redirect bool) {
		src, names, err := CompileSource(source)
		if err != nil {
			if _, ok := err.(*SourceError); !ok {
				t.Fatalf("error %T is not a *SourceError", err)
			}
			return
		}
		re, cerr := regexp.Compile(src)
		if cerr != nil {
			t.Fatalf("regex %q does not compile: %v", src, cerr)
		}
		if len(names) > re.NumSubexp() {
			t.Fatalf("%d names for %d groups in %q", len(names), re.NumSubexp(), src)
		}
		has := []config.Has{{Type: "query", Key: "q"}}
		out, err := CompileDestination(dest, names, has, redirect)
		if err == nil && !redirect && strings.HasPrefix(dest, "/") && !strings.HasPrefix(out, "/") {
			t.Fatalf("destination %q became %q", dest, out)
		}
	})
}

// fuzzRouter is built once per process: the config and zero-config
// projects merged into one table.
var fuzzRouter = sync.OnceValues(func() (*Router, fileSet) {
	p := configProject()
	z := zeroConfigProject
	p.files = append(p.files[:len(p.files):len(p.files)], z.files[1:]...)
	p.static = append(p.static[:len(p.static):len(p.static)], z.static...)
	p.notFound = z.notFound
	in, fs, err := p.inputErr()
	if err != nil {
		panic(err) // the fixed test projects are valid
	}
	routes, _ := Table(in)
	r, err := NewRouter(routes, FSOptions{})
	if err != nil {
		panic(err)
	}
	return r, fs
})

func FuzzRoute(f *testing.F) {
	f.Add("/api/users/42", "a=1&id=2", "foo.example.com:3000", "session=1", "^/x/(?<n>[^/]+)$", "/api/hello?n=$n&m=$1$x-y")
	f.Add("/u/%2F", "", "", "", "/a", "https://h/$1")
	f.Add("//", ";;", "[::1]:80", "=;=", "^(.*)$", "$999999999999$")
	f.Add("/proxy/a b/c", "q=%zz", "x", "a=\"b\"", ".*", "/$0?$=$&=")
	f.Fuzz(func(t *testing.T, path, query, host, cookie, src, dest string) {
		r, fs := fuzzRouter()
		req := Request{Method: "GET", Path: path, RawQuery: query, Host: host,
			Header: http.Header{"Cookie": {cookie}, "User-Agent": {cookie}}}
		check := func(r *Router) {
			res := r.Route(req, fs)
			if res.External != "" && (res.Output != "" || res.Status != 0) {
				t.Fatalf("external and output/status: %+v", res)
			}
			if res.Location != "" && (res.Status < 300 || res.Status >= 400) {
				t.Fatalf("Location without a redirect status: %+v", res)
			}
			if res.Output == "" && res.External == "" && res.Status == 0 {
				t.Fatalf("empty result: %+v", res)
			}
			if !strings.HasPrefix(res.Path, "/") || res.Headers == nil {
				t.Fatalf("bad result: %+v", res)
			}
		}
		check(r)
		routes := []Route{
			{Src: src, Dest: dest, Headers: map[string]string{"X-A": dest}, Continue: true},
			{Src: src, Status: 302, Headers: map[string]string{"Location": dest}, Has: []config.Has{{Type: "host", Value: strp("(?<h>.*)")}}},
			{Handle: PhaseFilesystem},
			{Src: src, Dest: dest, Check: true},
			{Src: src, Dest: dest},
		}
		if custom, err := NewRouter(routes, FSOptions{CleanURLs: true}); err == nil {
			check(custom)
		}
	})
}
