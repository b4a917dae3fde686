package routing

import (
	"net/url"
	"strings"
	"testing"
)

func TestRoutePath(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"/api/users/42", "/api/users/42"},
		{"/api/users/a%2Fb", "/api/users/a%2Fb"},
		{"/api/users/a%2fb", "/api/users/a%2Fb"},
		{"/api/users/a%20b", "/api/users/a b"},
		{"/caf%C3%A9", "/café"},
		{"/100%25", "/100%25"},
		{"/a%252Fb", "/a%252Fb"}, // the text "%2F", not a slash
		{"/h%65llo", "/hello"},
	} {
		u := &url.URL{Path: "/", RawPath: tc.uri}
		if p, err := url.PathUnescape(tc.uri); err == nil {
			u.Path = p
		}
		if got := RoutePath(u); got != tc.want {
			t.Errorf("RoutePath(%s) = %q, want %q", tc.uri, got, tc.want)
		}
	}
}

// FuzzRoutePath: RoutePath keeps the segments of the escaped path, and
// queryValue turns each back into its decoded text.
func FuzzRoutePath(f *testing.F) {
	for _, s := range []string{"/api/users/a%2Fb", "/caf%C3%A9", "/100%25", "/a%252F", "//x", "/%2F%2F", "/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := url.Parse(raw)
		if err != nil || u.Opaque != "" || u.Host != "" || u.Scheme != "" || u.RawQuery != "" || u.Fragment != "" {
			return
		}
		got := RoutePath(u)
		esc := strings.Split(u.EscapedPath(), "/")
		segs := strings.Split(got, "/")
		if len(segs) != len(esc) {
			t.Fatalf("RoutePath(%q) = %q: %d segments, the escaped path %q has %d", raw, got, len(segs), u.EscapedPath(), len(esc))
		}
		for i, s := range esc {
			dec, err := url.PathUnescape(s)
			if err != nil {
				continue
			}
			if back := queryValue(segs[i]); back != dec {
				t.Fatalf("RoutePath(%q) segment %d = %q, unescaped %q, want %q", raw, i, segs[i], back, dec)
			}
		}
	})
}
