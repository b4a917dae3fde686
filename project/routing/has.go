package routing

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
)

// condition is a compiled has/missing entry.
type condition struct {
	typ string // "header", "cookie", "query" or "host"
	key string // lower-cased for headers
	// re is the anchored value pattern; nil means "present, any value".
	re *regexp.Regexp
}

// compileCondition validates and compiles one has/missing entry.
func compileCondition(h config.Has) (condition, error) {
	c := condition{typ: h.Type, key: h.Key}
	switch h.Type {
	case "header":
		c.key = strings.ToLower(h.Key)
		fallthrough
	case "cookie", "query":
		if h.Key == "" {
			return c, fmt.Errorf("a %q condition needs a \"key\"", h.Type)
		}
	case "host":
		if h.Value == nil {
			return c, fmt.Errorf("a \"host\" condition needs a \"value\"")
		}
	default:
		return c, fmt.Errorf("unknown condition type %q (want header, cookie, query or host)", h.Type)
	}
	if h.Value != nil {
		re, err := regexp.Compile("^(?:" + *h.Value + ")$")
		if err != nil {
			if m := lookaround.FindString(*h.Value); m != "" {
				return c, fmt.Errorf("the value %q uses %q (lookaround or backreference), which Go's RE2 engine does not support", *h.Value, m)
			}
			return c, fmt.Errorf("the value %q is not a valid regular expression: %w", *h.Value, err)
		}
		c.re = re
	}
	return c, nil
}

func compileConditions(hs []config.Has) ([]condition, error) {
	if len(hs) == 0 {
		return nil, nil
	}
	out := make([]condition, len(hs))
	for i, h := range hs {
		c, err := compileCondition(h)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// reqView gives lazy access to the parts of a request conditions look at.
type reqView struct {
	req     *Request
	cookies map[string]string
	host    *string
}

func (v *reqView) lookup(c *condition, query url.Values) (string, bool) {
	switch c.typ {
	case "header":
		vals := v.req.Header.Values(c.key)
		if len(vals) == 0 {
			if c.key == "host" && v.req.Host != "" {
				// net/http moves Host out of the header map.
				return v.req.Host, true
			}
			return "", false
		}
		return strings.Join(vals, ", "), true
	case "cookie":
		if v.cookies == nil {
			v.cookies = parseCookies(v.req.Header.Values("Cookie"))
		}
		val, ok := v.cookies[c.key]
		return val, ok
	case "query":
		vals, ok := query[c.key]
		if !ok {
			return "", false
		}
		if len(vals) == 0 {
			return "", true
		}
		return vals[0], true
	case "host":
		if v.host == nil {
			h := v.req.Host
			if h == "" {
				h = v.req.Header.Get("Host")
			}
			if name, _, err := net.SplitHostPort(h); err == nil {
				h = name
			}
			v.host = &h
		}
		return *v.host, *v.host != ""
	}
	return "", false
}

// parseCookies reads Cookie header lines tolerantly: the first cookie of a
// name wins, quotes are removed, values are percent-decoded when valid.
func parseCookies(lines []string) map[string]string {
	out := map[string]string{}
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			name, val, ok := strings.Cut(part, "=")
			name = strings.TrimSpace(name)
			if !ok || name == "" {
				continue
			}
			if _, dup := out[name]; dup {
				continue
			}
			val = strings.TrimSpace(val)
			if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if dec, err := url.PathUnescape(val); err == nil {
				val = dec
			}
			out[name] = val
		}
	}
	return out
}

// matchConditions evaluates has (all must match) and missing (none may
// match). On success it returns the captures has makes available: values
// of conditions without a value pattern (by key), named groups, and
// "host". The map is nil when there is nothing to capture. Captured text
// is stored in route form, like a path's captures (its "%" escaped; a "/"
// stays a separator when it lands in a path), so that using it decodes
// it exactly once.
func matchConditions(has, missing []condition, v *reqView, query url.Values) (map[string]string, bool) {
	var caps map[string]string
	put := func(k, val string) {
		if caps == nil {
			caps = make(map[string]string, 2)
		}
		caps[k] = strings.ReplaceAll(val, "%", "%25")
	}
	for i := range has {
		c := &has[i]
		actual, ok := v.lookup(c, query)
		if !ok {
			return nil, false
		}
		if c.re == nil {
			put(c.key, actual)
			continue
		}
		m := c.re.FindStringSubmatch(actual)
		if m == nil {
			return nil, false
		}
		for gi, name := range c.re.SubexpNames() {
			if name != "" && gi < len(m) {
				put(name, m[gi])
			}
		}
		if c.typ == "host" {
			put("host", actual)
		}
	}
	for i := range missing {
		c := &missing[i]
		actual, ok := v.lookup(c, query)
		if !ok {
			continue
		}
		if c.re == nil || c.re.MatchString(actual) {
			return nil, false
		}
	}
	return caps, true
}
