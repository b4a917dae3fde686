package routing

import (
	"net/url"
	"strings"
)

// Routes match paths in "route form": decoded, except that a "/" or "%"
// decoded from inside a segment stays escaped ("%2F", "%25"). So
// /api/users/a%2Fb is one segment, as vercel dev (which matches the raw
// pathname) routes it to api/users/[id].go with id "a/b", while
// /caf%C3%A9 still matches a source written "/café". Captured values are
// in route form too: a rewritten path keeps them as they are, and query
// values, header values and redirect URLs convert them (queryValue,
// urlPathValue).

// RoutePath is the path of u in route form.
func RoutePath(u *url.URL) string {
	return routeForm(u.EscapedPath())
}

// routeForm converts an escaped path (or path template) to route form.
func routeForm(escaped string) string {
	if !strings.Contains(escaped, "%") {
		return escaped // nothing is escaped: raw and decoded are the same
	}
	segs := strings.Split(escaped, "/")
	for i, s := range segs {
		if !strings.Contains(s, "%") {
			continue
		}
		dec, err := url.PathUnescape(s)
		if err != nil {
			continue // not valid escaping: match it as written
		}
		segs[i] = segmentEscaper.Replace(dec)
	}
	return strings.Join(segs, "/")
}

var (
	segmentEscaper   = strings.NewReplacer("%", "%25", "/", "%2F")
	segmentUnescaper = strings.NewReplacer("%25", "%", "%2F", "/")
)

// queryValue decodes a value in route form: the text for a query or a
// header ("a%2Fb" is "a/b").
func queryValue(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return segmentUnescaper.Replace(s)
}

// urlPathValue escapes a value in route form for a URL path: its slashes
// stay separators, its encoded slashes stay encoded.
func urlPathValue(s string) string {
	parts := strings.Split(s, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(queryValue(p))
	}
	return strings.Join(parts, "/")
}
