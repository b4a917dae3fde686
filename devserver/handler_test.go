package devserver

import (
	"net/url"
	"testing"
	"time"
)

func TestForwardQuery(t *testing.T) {
	tests := []struct {
		raw    string
		merged url.Values
		want   string
	}{
		{"", nil, ""},
		{"", url.Values{}, ""},
		{"a=1&b=2", url.Values{"a": {"1"}, "b": {"2"}}, "a=1&b=2"},
		// The request's own encoding and order survive when nothing changed.
		{"b=x+y&a=%41", url.Values{"a": {"A"}, "b": {"x y"}}, "b=x+y&a=%41"},
		{"flag", url.Values{"flag": {""}}, "flag"},
		// Route parameters are appended; overridden ones are replaced.
		{"", url.Values{"id": {"42"}}, "id=42"},
		{"sort=asc", url.Values{"sort": {"asc"}, "id": {"42"}}, "sort=asc&id=42"},
		{"id=7&x=1", url.Values{"id": {"42"}, "x": {"1"}}, "x=1&id=42"},
		{"", url.Values{"path": {"a/b c"}}, "path=a%2Fb+c"},
		{"", url.Values{"b": {"2"}, "a": {"1", "3"}}, "a=1&a=3&b=2"},
	}
	for _, tt := range tests {
		if got := forwardQuery(tt.raw, tt.merged); got != tt.want {
			t.Errorf("forwardQuery(%q, %v) = %q, want %q", tt.raw, tt.merged, got, tt.want)
		}
	}
}

func TestCollapseSlashes(t *testing.T) {
	for in, want := range map[string]string{"/": "/", "//": "/", "/a//b///c/": "/a/b/c/", "/a/b": "/a/b"} {
		if got := collapseSlashes(in); got != want {
			t.Errorf("collapseSlashes(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestIDs(t *testing.T) {
	g := newRequestIDs()
	now := time.UnixMilli(1700000000123)
	a, b := g.next(now), g.next(now)
	for _, id := range []string{a, b} {
		if !idPattern.MatchString(id) {
			t.Errorf("id %q does not match %s", id, idPattern)
		}
	}
	if a == b {
		t.Errorf("two ids are equal: %q", a)
	}
	if a[:12] != b[:12] || a[11:25] != "-1700000000123" {
		t.Errorf("ids %q and %q: want the same pod and the time in ms", a, b)
	}
}
