package routing

import (
	"net/url"
	"strings"
)

// RoutePath is the path of u as routes match it: decoded, except that a
// "/" or "%" decoded from inside a segment stays escaped ("%2F", "%25").
// So /api/users/a%2Fb is one segment, as vercel dev (which matches the
// raw pathname) routes it to api/users/[id].go with id "a/b", while
// /caf%C3%A9 still matches a source written "/café". Captured values are
// unescaped again (group), so parameters carry the decoded text.
func RoutePath(u *url.URL) string {
	raw := u.EscapedPath()
	if !strings.Contains(raw, "%") {
		return raw // nothing is escaped: raw and decoded are the same
	}
	segs := strings.Split(raw, "/")
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

// unescapeSegment undoes RoutePath's escaping in a piece of a route path.
func unescapeSegment(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return segmentUnescaper.Replace(s)
}
