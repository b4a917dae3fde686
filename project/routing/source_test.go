package routing

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/project/config"
)

// vercelSrc turns the regexp text routing-utils produces (with "\/") into
// the normalized form ("/") found in config.json.
func vercelSrc(s string) string { return strings.ReplaceAll(s, `\/`, `/`) }

func TestCompileSource(t *testing.T) {
	tests := []struct {
		source  string
		want    string // routing-utils output, before normalization
		names   []string
		match   []string
		noMatch []string
	}{
		{"/(.*)", `^(?:\/(.*))$`, []string{""}, []string{"/", "/a/b"}, []string{""}},
		{"/some/old/path", `^\/some\/old\/path$`, nil, []string{"/some/old/path"}, []string{"/some/old/path/", "/nope"}},
		{"/next(\\.js)?", `^\/next(\.js)?$`, []string{""}, []string{"/next", "/next.js"}, []string{"/nextAjs", "/nextjs"}},
		{"/proxy/(.*)", `^\/proxy(?:\/(.*))$`, []string{""}, []string{"/proxy/one", "/proxy/dir/sub"}, []string{"/prox", "/proxyed/two"}},
		{"/proxy-regex/([a-zA-Z]{1,})", `^\/proxy-regex(?:\/([a-zA-Z]{1,}))$`, []string{""}, []string{"/proxy-regex/admin"}, []string{"/proxy-regex/user/1"}},
		{"/projects/:id/:action", `^\/projects(?:\/([^\/]+?))(?:\/([^\/]+?))$`, []string{"id", "action"},
			[]string{"/projects/one/edit"}, []string{"/projects/edit", "/projects/two/three/delete", "/projects"}},
		{"/old/:segment/path", `^\/old(?:\/([^\/]+?))\/path$`, []string{"segment"}, []string{"/old/one/path"}, []string{"/old/path", "/old"}},
		{"/catchall/:hello*", `^\/catchall(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?$`, []string{"hello"},
			[]string{"/catchall", "/catchall/first", "/catchall/first/second"}, []string{"/random-catch", "/catchallx"}},
		{"/another-catch/:hello+", `^\/another-catch(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))$`, []string{"hello"},
			[]string{"/another-catch/first", "/another-catch/first/second"}, []string{"/another-catch"}},
		{"/catchall/:hello*/", `^\/catchall(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?\/$`, []string{"hello"}, []string{"/catchall/first/"}, []string{"/catchall/first"}},
		{"/optional/:id?", `^\/optional(?:\/([^\/]+?))?$`, []string{"id"}, []string{"/optional", "/optional/1"}, []string{"/optionalnope"}},
		{"/feature-{:slug}", `^\/feature-([^\/]+?)$`, []string{"slug"}, []string{"/feature-first"}, []string{"/feature/first", "/feature"}},
		{"/(.*)-:id(\\d+).html", `^(?:\/(.*))-(\d+)\.html$`, []string{"", "id"}, []string{"/hello/post-123.html", "/post-123.html"}, []string{"/hello/post.html"}},
		{"(.*)+/(.*)\\.(eot|otf|ttf|ttc|woff|font\\.css)", `^(.*)+(?:\/(.*))\.(eot|otf|ttf|ttc|woff|font\.css)$`, []string{"", "", ""},
			[]string{"hello/world/file.eot", "dir/arial.font.css"}, []string{"hello/file.jpg", "dir/arial.font-css"}},
		{"404.html", `^404\.html$`, nil, []string{"404.html"}, []string{"403.html"}},
		{"/like/params/:path", `^\/like\/params(?:\/([^\/]+?))$`, []string{"path"}, []string{"/like/params/first"}, []string{"/like/params", "/like/params/"}},
		{"/:path", `^(?:\/([^\/]+?))$`, []string{"path"}, []string{"/first"}, []string{"/", "/a/b"}},
		{"/api/:path(\\d+)", `^\/api(?:\/(\d+))$`, []string{"path"}, []string{"/api/42"}, []string{"/api/x"}},
		{"/a{/b}?", `^\/a(?:\/b)?$`, nil, []string{"/a", "/a/b"}, []string{"/ab"}},
		{"/files/:name.:ext", `^\/files(?:\/([^\/]+?))(?:\.([^\/]+?))$`, []string{"name", "ext"}, []string{"/files/a.txt"}, []string{"/files/a"}},
		{"/a\\:b", `^\/a\:b$`, nil, []string{"/a:b"}, []string{"/a"}},
		{"/api/:org/:repo*", `^\/api(?:\/([^\/]+?))(?:\/((?:[^\/]+?)(?:\/(?:[^\/]+?))*))?$`, []string{"org", "repo"}, []string{"/api/o", "/api/o/r/x"}, []string{"/api"}},
		{"/café/:x", `^\/café(?:\/([^\/]+?))$`, []string{"x"}, []string{"/café/1"}, nil},
		{"/trailing\\", `^\/trailing$`, nil, []string{"/trailing"}, nil},
		{"/v:version(\\d+)/x", `^\/v(\d+)\/x$`, []string{"version"}, []string{"/v2/x"}, []string{"/vx/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			got, names, err := CompileSource(tc.source)
			if err != nil {
				t.Fatalf("CompileSource(%q) = %v", tc.source, err)
			}
			if want := vercelSrc(tc.want); got != want {
				t.Errorf("regex = %s, want %s", got, want)
			}
			if !slices.Equal(names, tc.names) {
				t.Errorf("names = %q, want %q", names, tc.names)
			}
			re := regexp.MustCompile(got)
			for _, m := range tc.match {
				if !re.MatchString(m) {
					t.Errorf("%s does not match %q", got, m)
				}
			}
			for _, m := range tc.noMatch {
				if re.MatchString(m) {
					t.Errorf("%s matches %q", got, m)
				}
			}
		})
	}
}

func TestCompileSourceErrors(t *testing.T) {
	tests := []struct {
		source string
		offset int
		reason string // substring
	}{
		{"/a/:", 3, "missing parameter name"},
		{"/a/(?:x)", 4, `cannot start with "?"`},
		{"/a/(b(c))", 5, "capturing groups are not allowed"},
		{"/a/(b", 3, "unbalanced"},
		{"/a/()", 3, "empty pattern"},
		{"/a/{b", 5, `expected "}"`},
		{"/a*", 2, "must follow a parameter"},
		{"/a/}", 3, "unexpected"},
		{"/feedback/((?!general).*)", -1, "lookahead"},
		{"/x/:id((?<=a)b)", -1, "lookahead"},
		{"/x/:id([a-)", -1, "invalid regular expression"},
	}
	for _, tc := range tests {
		t.Run(tc.source, func(t *testing.T) {
			_, _, err := CompileSource(tc.source)
			se, ok := errors.AsType[*SourceError](err)
			if !ok {
				t.Fatalf("CompileSource(%q) error = %v, want *SourceError", tc.source, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Reason, tc.reason) {
				t.Errorf("error = %v (offset %d), want offset %d and %q", se, se.Offset, tc.offset, tc.reason)
			}
			if !strings.Contains(se.Error(), tc.source) {
				t.Errorf("message %q does not name the source", se.Error())
			}
		})
	}
}

func strp(s string) *string { return &s }

func TestCompileDestination(t *testing.T) {
	hostAB := []config.Has{{Type: "host", Value: strp(`(?<a>.*)\.(?<b>.*)`)}}
	many := []config.Has{
		{Type: "header", Key: "x-rewrite"},
		{Type: "cookie", Key: "loggedIn", Value: strp("1")},
		{Type: "host", Value: strp("vercel.com")},
		{Type: "host", Value: strp(`(?<a>.*)\.(?<b>.*)`)},
		{Type: "header", Key: "host", Value: strp(`(?<c>.*)\.(?<d>.*)`)},
		{Type: "query", Key: "username"},
		{Type: "header", Key: "x-pathname", Value: strp(`(?<pathname>.*)`)},
		{Type: "header", Key: "X-Pathname", Value: strp(`(?<another>hello|world)`)},
	}
	tests := []struct {
		source, dest string
		has          []config.Has
		redirect     bool
		want         string
	}{
		// Redirects (routing-utils' convertRedirects).
		{"/(.*)", "https://:subdomain.example.com/some-path/end?a=b", []config.Has{{Type: "host", Value: strp("(?<subdomain>.*)-test.vercel.app")}}, true,
			"https://$subdomain.example.com/some-path/end?a=b"},
		{"/some/old/path", "/some/new/path", nil, true, "/some/new/path"},
		{"/next(\\.js)?", "https://nextjs.org", nil, true, "https://nextjs.org"},
		{"/proxy-port/([a-zA-Z]{1,})", "https://firebase.com:8080/$1", nil, true, "https://firebase.com:8080/$1"},
		{"/projects/:id/:action", "/projects.html", nil, true, "/projects.html"},
		{"/old/:segment/path", "/new/path/:segment", nil, true, "/new/path/$1"},
		{"/catchall/:hello*", "/catchall/:hello*/", nil, true, "/catchall/$1/"},
		{"/another-catch/:hello+", "/another-catch/:hello+/", nil, true, "/another-catch/$1/"},
		{"/catchme/:id*", "/api/user", nil, true, "/api/user"},
		{"/hello/:world*", "/something#:world*", nil, true, "/something#$1"},
		{"/external/:id", "https://example.com/?utm_source=google.com#/guides/:id/page?dynamic=code", nil, true,
			"https://example.com/?utm_source=google.com#/guides/$1/page?dynamic=code"},
		{"/optional/:id?", "/api/optional/:id?", nil, true, "/api/optional/$1"},
		{"/feature-{:slug}", "/blog-{:slug}", nil, true, "/blog-$1"},
		{"/hello/:world", "/somewhere?else={:world}", nil, true, "/somewhere?else=$1"},
		{"/hello/:first", "/another/:a/:b", hostAB, true, "/another/$a/$b"},
		{"/hello/:first", "/another/:first/:username/:pathname/:another/:host/:a/:b/:c/:d", many, true,
			"/another/$1/$username/$pathname/$another/$host/$a/$b/$c/$d"},
		// Rewrites (convertRewrites).
		{"/some/old/path", "/some/new/path", nil, false, "/some/new/path"},
		{"/proxy/(.*)", "https://www.firebase.com", nil, false, "https://www.firebase.com/"},
		{"/proxy/(.*)", "https://www.firebase.com/", nil, false, "https://www.firebase.com/"},
		{"/proxy-regex/([a-zA-Z]{1,})", "https://firebase.com/$1", nil, false, "https://firebase.com/$1"},
		{"/projects/:id/edit", "/projects.html", nil, false, "/projects.html?id=$1"},
		{"/users/:id", "/api/user?identifier=:id&version=v2", nil, false, "/api/user?identifier=$1&version=v2&id=$1"},
		{"/:file/:id", "/:file/get?identifier=:id", nil, false, "/$1/get?identifier=$2"},
		{"/qs-and-hash/:id/:hash", "/api/get?identifier=:id#:hash", nil, false, "/api/get?identifier=$1#$2"},
		{"/fullurl", "https://user:pass@sub.example.com:8080/path/goes/here?v=1&id=2#hash", nil, false,
			"https://user:pass@sub.example.com:8080/path/goes/here?v=1&id=2#hash"},
		{"/dont-override-qs/:name/:age", "/final?name=bob&age=", nil, false, "/final?name=bob&age="},
		{"/catchall/:hello*/", "/catchall/:hello*", nil, false, "/catchall/$1"},
		{"/catchme/:id*", "/api/user", nil, false, "/api/user?id=$1"},
		{"/:path", "/test?path=:path", nil, false, "/test?path=$1"},
		{"/:path/:two", "/test?path=:path", nil, false, "/test?path=$1&two=$2"},
		{"/(.*)-:id(\\d+).html", "/blog/:id", nil, false, "/blog/$2"},
		{"/feature-{:slug}", "/blog-{:slug}", nil, false, "/blog-$1"},
		{"/hello/:world", "/somewhere?else={:world}", nil, false, "/somewhere?else=$1&world=$1"},
		{"/hello/:first", "/another/:a/:b", hostAB, false, "/another/$a/$b"},
		{"/hello/:first", "/another/:first/:username/:pathname/:another/:host/:a/:b/:c/:d", many, false,
			"/another/$1/$username/$pathname/$another/$host/$a/$b/$c/$d"},
		{"/array-query-string/:id/:name", "https://example.com/?tag=1&tag=2", nil, false, "https://example.com/?tag=1&tag=2&id=$1&name=$2"},
		{"/tag/:t", "/list?tag=a&x=1&tag=b", nil, false, "/list?tag=a&tag=b&x=1&t=$1"},
		{"/u/:id", "/api/users/:id", nil, false, "/api/users/$1"},
		{"/s", "/search?q=a b&r=/x", nil, false, "/search?q=a%20b&r=%2Fx"},
		{"/h", "/api/x", []config.Has{{Type: "query", Key: "page"}}, false, "/api/x?page=$page"},
		{"/p/:a", "/x(y)/:a", nil, false, "/x(y)/$1"},
		{"/p/:a", "/x/:a/:idx", []config.Has{{Type: "query", Key: "idx"}}, false, "/x/$1/$idx"},
	}
	for _, tc := range tests {
		t.Run(tc.source+" -> "+tc.dest, func(t *testing.T) {
			_, names, err := CompileSource(tc.source)
			if err != nil {
				t.Fatal(err)
			}
			got, err := CompileDestination(tc.dest, names, tc.has, tc.redirect)
			if err != nil {
				t.Fatalf("CompileDestination = %v", err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCompileDestinationUnknownSegment(t *testing.T) {
	_, names, _ := CompileSource("/a/:id")
	for _, dest := range []string{"/b/:other", "https://:sub.example.com/", "/b?x=:nope"} {
		if _, err := CompileDestination(dest, names, nil, false); err == nil || !strings.Contains(err.Error(), ":") {
			t.Errorf("CompileDestination(%q) = %v, want an error naming the segment", dest, err)
		}
	}
	if _, err := CompileDestination("/b/:sub", names, []config.Has{{Type: "host", Value: strp(`(?<sub>[^.]+)\.x\.com`)}}, false); err != nil {
		t.Errorf("has named group not accepted: %v", err)
	}
}

func TestCompileHeaderValue(t *testing.T) {
	_, names, _ := CompileSource("/like/params/:path")
	tests := map[string]string{
		":path":           "$1",
		"some:path":       "some$1",
		"some:value*":     "some:value*",
		":value?":         ":value?",
		"something https": "something https",
		":hello(world)":   ":hello(world)",
		"hello{1,}":       "hello{1,}",
		"default-src 'self'; script-src userscripts.example.com/:path": "default-src 'self'; script-src userscripts.example.com/$1",
		":path*": "$1",
		":pathx": ":pathx",
	}
	for in, want := range tests {
		if got := compileHeaderValue(in, names, nil); got != want {
			t.Errorf("compileHeaderValue(%q) = %q, want %q", in, got, want)
		}
	}
	if got := compileHeaderValue("https://:shop;", nil, hasSegments([]config.Has{{Type: "query", Key: "shop"}})); got != "https://$shop;" {
		t.Errorf("has segment in header = %q", got)
	}
	if got := compileHeaderValue("a:b", nil, nil); got != "a:b" {
		t.Errorf("no params: %q", got)
	}
}

func TestNormalizeSrc(t *testing.T) {
	tests := map[string]string{
		"/api/(.*)":       "^/api/(.*)$",
		"^/x$":            "^/x$",
		`^\/a\/b`:         "^/a/b$",
		`^/a\\/b$`:        `^/a\\/b$`,
		"/(?<slug>[^/]+)": "^/(?<slug>[^/]+)$",
	}
	for in, want := range tests {
		got, err := NormalizeSrc(in)
		if err != nil || got != want {
			t.Errorf("NormalizeSrc(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := NormalizeSrc("^/(?!api).*$"); err == nil {
		t.Error("lookahead accepted")
	}
}
