package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Limits of the routing keys, from Vercel's schemas (@vercel/routing-utils).
const (
	maxRoutingEntries = 2048
	maxSourceLen      = 4096
	maxHeaderItems    = 1024
	maxHeaderValueLen = 32768
	maxConditions     = 16
)

var (
	rewriteProps  = []string{"source", "destination", "has", "missing", "statusCode", "transforms", "env", "respectOriginCacheControl"}
	redirectProps = []string{"source", "destination", "permanent", "statusCode", "has", "missing", "env"}
	headerProps   = []string{"source", "headers", "has", "missing"}
	routeProps    = []string{
		"src", "source", "dest", "destination", "headers", "methods", "continue", "check", "status", "statusCode",
		"has", "missing", "caseSensitive", "important", "user", "override", "isInternal", "locale", "middleware",
		"middlewarePath", "middlewareRawSrc", "mitigate", "transforms", "env", "respectOriginCacheControl",
	}
	phases          = []string{"filesystem", "miss", "rewrite", "hit", "error", "resource"}
	conditionTypes  = []string{"header", "cookie", "query", "host"}
	redirectsStatus = []int{301, 302, 303, 307, 308}
)

// source checks a rewrite, redirect or header "source". Its path-to-regexp
// syntax is the routing package's to check.
func (v *validator) source(p *Node, label string) (string, bool) {
	s, ok := v.str(p, label)
	if !ok || !v.maxLen(p, label, "source-too-long", s, maxSourceLen) {
		return "", false
	}
	if !strings.HasPrefix(s, "/") {
		v.errorf(p.Range, "source-leading-slash", `%s must start with "/", got %q; write %q`, label, shorten(s, 60), "/"+shorten(s, 60))
		return "", false
	}
	return s, true
}

// destination checks a "destination"/"dest". Vercel also accepts a
// service object in rewrites and routes (allowService); lambdalens has no
// services, so such an entry is skipped with a warning.
func (v *validator) destination(p *Node, label string, allowService bool) (string, bool) {
	if p.Kind == Object && allowService {
		v.warnf(p.Range, "service-destination-unsupported",
			"%s routes to a service, which lambdalens does not support; this entry is skipped", label)
		return "", false
	}
	s, ok := v.str(p, label)
	if !ok || !v.maxLen(p, label, "value-too-long", s, maxSourceLen) {
		return "", false
	}
	return s, true
}

// eachEntry checks that m is an array of at most maxRoutingEntries objects
// and calls fn for each object entry with its label ("rewrites[3]").
func (v *validator) eachEntry(m *Node, fn func(e *Node, label string)) {
	if !v.want(m, m.Key, Array) {
		return
	}
	v.maxEntries(m, m.Key, maxRoutingEntries)
	for i, e := range m.Children {
		label := indexLabel(m.Key, i)
		if v.want(e, label, Object) {
			fn(e, label)
		}
	}
}

// sharedMember reads the members rewrites, redirects and headers have in
// common (source, has, missing). It reports whether p was one of them and,
// if so, whether it was valid.
func (v *validator) sharedMember(p *Node, label string, source *string, has, missing *[]Has) (handled, fine bool) {
	switch p.Key {
	case "source":
		*source, fine = v.source(p, label)
	case "has":
		*has, fine = v.conditions(p, label)
	case "missing":
		*missing, fine = v.conditions(p, label)
	default:
		return false, true
	}
	return true, fine
}

func (v *validator) rewrites(m *Node) {
	v.eachEntry(m, func(e *Node, label string) {
		r := Rewrite{Range: e.Range}
		ok := v.require(e, label, "source", "destination")
		v.members(e, label, rewriteProps, func(p *Node, pl string) {
			if handled, fine := v.sharedMember(p, pl, &r.Source, &r.Has, &r.Missing); handled {
				ok = ok && fine
				return
			}
			var fine bool
			switch p.Key {
			case "destination":
				r.Destination, fine = v.destination(p, pl, true)
				ok = ok && fine
			case "statusCode":
				r.StatusCode, _ = v.intRange(p, pl, "status-code", 100, 999, "")
			case "respectOriginCacheControl":
				v.boolean(p, pl)
			default:
				v.unsupported(p, pl)
			}
		})
		if ok {
			v.cfg.Rewrites = append(v.cfg.Rewrites, r)
		}
	})
}

func (v *validator) redirects(m *Node) {
	v.eachEntry(m, func(e *Node, label string) {
		r := Redirect{Range: e.Range}
		ok := v.require(e, label, "source", "destination")
		v.members(e, label, redirectProps, func(p *Node, pl string) {
			if handled, fine := v.sharedMember(p, pl, &r.Source, &r.Has, &r.Missing); handled {
				ok = ok && fine
				return
			}
			var fine bool
			switch p.Key {
			case "destination":
				r.Destination, fine = v.destination(p, pl, false)
				ok = ok && fine
			case "permanent":
				if b, fine := v.boolean(p, pl); fine {
					r.Permanent = &b
				}
			case "statusCode":
				r.StatusCode = v.redirectStatus(p, pl)
			default:
				v.unsupported(p, pl)
			}
		})
		if p, s := e.Get("permanent"), e.Get("statusCode"); p != nil && s != nil {
			v.errorf(s.KeyRange, "redirect-permanent-and-status-code",
				`%s sets both "permanent" and "statusCode"; keep only one ("statusCode" wins)`, label)
		}
		if ok {
			v.cfg.Redirects = append(v.cfg.Redirects, r)
		}
	})
}

func (v *validator) redirectStatus(p *Node, label string) int {
	if p.Kind != Number {
		v.errorf(p.Range, "invalid-type", "%s must be one of 301, 302, 303, 307 or 308, got %s", label, describe(p))
		return 0
	}
	i, ok := p.Int()
	if !ok || !slices.Contains(redirectsStatus, int(i)) {
		v.errorf(p.Range, "redirect-status-code", "%s must be one of 301, 302, 303, 307 or 308, got %s", label, p.Raw)
		return 0
	}
	return int(i)
}

func (v *validator) headers(m *Node) {
	v.eachEntry(m, func(e *Node, label string) {
		r := HeaderRule{Range: e.Range}
		ok := v.require(e, label, "source", "headers")
		v.members(e, label, headerProps, func(p *Node, pl string) {
			if handled, fine := v.sharedMember(p, pl, &r.Source, &r.Has, &r.Missing); handled {
				ok = ok && fine
				return
			}
			switch p.Key {
			case "headers":
				r.Headers = v.headerList(p, pl)
				ok = ok && len(r.Headers) > 0
			}
		})
		if ok {
			v.cfg.Headers = append(v.cfg.Headers, r)
		}
	})
}

// headerList reads [{"key": "...", "value": "..."}, ...].
func (v *validator) headerList(p *Node, label string) []Header {
	if !v.want(p, label, Array) {
		return nil
	}
	if len(p.Children) == 0 {
		v.errorf(p.Range, "headers-empty", `%s is empty; add at least one {"key": "...", "value": "..."}`, label)
		return nil
	}
	if len(p.Children) > maxHeaderItems {
		v.errorf(p.KeyRange, "too-many-entries", "%s has %d entries; Vercel allows at most %d", label, len(p.Children), maxHeaderItems)
	}
	var out []Header
	for i, h := range p.Children {
		hl := indexLabel(label, i)
		if !v.want(h, hl, Object) {
			continue
		}
		var hdr Header
		ok := v.require(h, hl, "key", "value")
		v.members(h, hl, []string{"key", "value"}, func(m *Node, ml string) {
			s, fine := v.str(m, ml)
			if m.Key == "key" {
				fine = fine && v.maxLen(m, ml, "value-too-long", s, maxSourceLen)
				if fine {
					// ":name" is a parameter of the source or a has key,
					// which the key may use (Next.js: "x-slug-:slug").
					v.checkHeaderName(m.Range, ml, s, headerKeyParam.ReplaceAllString(s, "p"))
				}
				hdr.Key = s
			} else {
				fine = fine && v.maxLen(m, ml, "value-too-long", s, maxHeaderValueLen)
				if fine {
					v.checkHeaderValue(m.Range, ml, s)
				}
				hdr.Value = s
			}
			ok = ok && fine
		})
		if ok {
			out = append(out, hdr)
		}
	}
	return out
}

// conditions reads a "has" or "missing" array. all is false when a
// condition was invalid and left out: the caller then drops its entry,
// which must not match more widely than written.
func (v *validator) conditions(p *Node, label string) (out []Has, all bool) {
	if !v.want(p, label, Array) {
		return nil, false
	}
	if len(p.Children) > maxConditions {
		v.errorf(p.KeyRange, "too-many-entries", "%s has %d conditions; Vercel allows at most %d", label, len(p.Children), maxConditions)
	}
	all = true
	for i, c := range p.Children {
		cl := indexLabel(label, i)
		if !v.want(c, cl, Object) {
			all = false
			continue
		}
		var h Has
		ok := v.require(c, cl, "type")
		v.members(c, cl, []string{"type", "key", "value"}, func(m *Node, ml string) {
			switch m.Key {
			case "type":
				s, fine := v.str(m, ml)
				if fine && !slices.Contains(conditionTypes, s) {
					v.errorf(m.Range, "has-type", "%s must be %s, got %q", ml, quoteList(conditionTypes), shorten(s, 40))
					fine = false
				}
				h.Type = s
				ok = ok && fine
			case "key":
				s, fine := v.str(m, ml)
				fine = fine && v.maxLen(m, ml, "value-too-long", s, maxSourceLen)
				h.Key = s
				ok = ok && fine
			case "value":
				var fine bool
				h.Value, fine = v.conditionValue(m, ml)
				ok = ok && fine
			}
		})
		switch {
		case !ok:
		case h.Type == "host" && c.Get("key") != nil:
			v.errorf(c.Get("key").KeyRange, "has-host-key", `%s: a "host" condition has no "key"; put the host pattern in "value"`, cl)
		case h.Type == "host" && !v.require(c, cl, "value"):
		case h.Type != "host" && !v.require(c, cl, "key"):
		default:
			out = append(out, h)
			continue
		}
		all = false
	}
	return out, all
}

// conditionValue reads a condition's "value": a regular expression, or a
// condition object ({"eq": "x"}, {"pre": "/a"}, ...). The operators that a
// regular expression can express are turned into one; the others
// (neq, ninc, gt, gte, lt, lte, or several operators at once) are reported,
// since the router only matches regular expressions.
func (v *validator) conditionValue(m *Node, label string) (*string, bool) {
	switch m.Kind {
	case String:
		if !v.maxLen(m, label, "value-too-long", m.Str, maxSourceLen) {
			return nil, false
		}
		s := m.Str
		return &s, true
	case Object:
	default:
		v.errorf(m.Range, "invalid-type", "%s must be a string (a regular expression) or a condition object such as {\"eq\": \"x\"}, got %s", label, describe(m))
		return nil, false
	}
	ops := []string{"eq", "neq", "inc", "ninc", "pre", "suf", "re", "gt", "gte", "lt", "lte"}
	if len(m.Children) == 0 {
		v.errorf(m.Range, "has-condition-empty", `%s is an empty condition; add an operator such as {"eq": "x"}`, label)
		return nil, false
	}
	var re string
	ok := true
	v.members(m, label, ops, func(op *Node, ol string) {
		if len(m.Children) > 1 {
			v.errorf(op.KeyRange, "has-condition-unsupported",
				"%s: lambdalens supports one operator per condition; split them into several conditions", ol)
			ok = false
			return
		}
		switch op.Key {
		case "eq":
			if op.Kind == Number {
				re = regexp.QuoteMeta(op.Raw)
			} else if s, fine := v.str(op, ol); fine {
				re = regexp.QuoteMeta(s)
			} else {
				ok = false
			}
		case "re":
			re, ok = v.str(op, ol)
		case "pre":
			s, fine := v.str(op, ol)
			re, ok = regexp.QuoteMeta(s)+".*", fine
		case "suf":
			s, fine := v.str(op, ol)
			re, ok = ".*"+regexp.QuoteMeta(s), fine
		case "inc":
			list := v.strList(op, ol)
			for i := range list {
				list[i] = regexp.QuoteMeta(list[i])
			}
			re, ok = "(?:"+strings.Join(list, "|")+")", op.Kind == Array && len(list) == len(op.Children)
		default:
			v.errorf(op.KeyRange, "has-condition-unsupported",
				"%s: the %q operator is not supported by lambdalens; use a regular expression string as the value instead", ol, op.Key)
			ok = false
		}
	})
	if !ok {
		return nil, false
	}
	return &re, true
}

// routes checks the legacy "routes" array.
func (v *validator) routes(m *Node) {
	if !v.want(m, m.Key, Array) {
		return
	}
	for i, e := range m.Children {
		label := indexLabel(m.Key, i)
		if !v.want(e, label, Object) {
			continue
		}
		if h := e.Get("handle"); h != nil {
			if r, ok := v.handle(e, h, label); ok {
				v.cfg.Routes = append(v.cfg.Routes, r)
			}
			continue
		}
		if e.Get("src") == nil && e.Get("source") == nil {
			v.require(e, label, "src")
			continue
		}
		if r, ok := v.route(e, label); ok {
			v.cfg.Routes = append(v.cfg.Routes, r)
		}
	}
}

func (v *validator) handle(e, h *Node, label string) (LegacyRoute, bool) {
	for _, p := range e.Children {
		if p.Key != "handle" {
			v.errorf(p.KeyRange, "route-handle-extra-keys",
				`%s is a {"handle": ...} phase marker and cannot have other properties; move %q into a route of its own`, label, p.Key)
		}
	}
	hl := memberLabel(label, "handle")
	s, ok := v.str(h, hl)
	if !ok {
		return LegacyRoute{}, false
	}
	if !slices.Contains(phases, s) {
		v.errorf(h.Range, "route-handle", "%s must be %s, got %q", hl, quoteList(phases), shorten(s, 40))
		return LegacyRoute{}, false
	}
	return LegacyRoute{Handle: s, Range: e.Range}, true
}

func (v *validator) route(e *Node, label string) (LegacyRoute, bool) {
	r := LegacyRoute{Range: e.Range}
	ok := true
	v.members(e, label, routeProps, func(p *Node, pl string) {
		switch p.Key {
		case "src", "source":
			s, fine := v.str(p, pl)
			fine = fine && v.maxLen(p, pl, "source-too-long", s, maxSourceLen) && v.routeRegexp(p, pl, s)
			r.Src = s
			ok = ok && fine
		case "dest", "destination":
			s, fine := v.destination(p, pl, p.Key == "destination")
			r.Dest = s
			ok = ok && fine
		case "headers":
			r.Headers = v.routeHeaders(p, pl)
		case "methods":
			r.Methods = v.strList(p, pl)
			if len(r.Methods) > 10 {
				v.errorf(p.Range, "too-many-entries", "%s lists %d methods; Vercel allows at most 10", pl, len(r.Methods))
			}
		case "continue":
			r.Continue, _ = v.boolean(p, pl)
		case "check":
			r.Check, _ = v.boolean(p, pl)
		case "status", "statusCode":
			r.Status, _ = v.intRange(p, pl, "status-code", 100, 999, "")
		case "has":
			var all bool
			r.Has, all = v.conditions(p, pl)
			ok = ok && all
		case "missing":
			var all bool
			r.Missing, all = v.conditions(p, pl)
			ok = ok && all
		default:
			v.unsupported(p, pl)
		}
	})
	return r, ok
}

// routeHeaders reads a route's {"Header-Name": "value"} object.
func (v *validator) routeHeaders(p *Node, label string) map[string]string {
	if !v.want(p, label, Object) {
		return nil
	}
	out := make(map[string]string, len(p.Children))
	for _, h := range p.Children {
		hl := memberLabel(label, h.Key)
		if h.Key == "" || len(h.Key) > maxPatternLen {
			v.errorf(h.KeyRange, "value-too-long", "%s: header names must be 1 to %d characters long", label, maxPatternLen)
			continue
		}
		v.checkHeaderName(h.KeyRange, hl, h.Key, h.Key)
		if s, ok := v.str(h, hl); ok && v.maxLen(h, hl, "value-too-long", s, maxHeaderValueLen) {
			v.checkHeaderValue(h.Range, hl, s)
			out[h.Key] = s
		}
	}
	return out
}

// routeRegexp checks that a legacy route's src compiles with Go's regexp
// package, which is what lambdalens routes with. Vercel uses PCRE, so a
// pattern can be valid there and still unusable here; those constructs get
// their own code and message.
func (v *validator) routeRegexp(p *Node, label, src string) bool {
	if feature := pcreOnly(src); feature != "" {
		v.errorf(p.Range, "route-src-unsupported-regexp",
			"%s uses %s, which Vercel's PCRE engine accepts but Go's RE2 engine (used by lambdalens) does not; rewrite the pattern without it", label, feature)
		return false
	}
	if _, err := regexp.Compile(src); err != nil {
		v.errorf(p.Range, "route-src-regexp", "%s is not a valid regular expression: %v", label, err)
		return false
	}
	return true
}

// pcreOnly names the first construct of src that PCRE supports and RE2
// does not, or returns "".
func pcreOnly(src string) string {
	inClass := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		rest := src[i:]
		switch {
		case c == '\\' && i+1 < len(src):
			n := src[i+1]
			switch {
			case inClass:
			case n >= '1' && n <= '9':
				return fmt.Sprintf("a backreference (%s)", src[i:i+2])
			case n == 'k' || n == 'g':
				return fmt.Sprintf("a backreference (\\%c)", n)
			case n == 'Z' || n == 'G' || n == 'R' || n == 'K' || n == 'h' || n == 'X':
				return fmt.Sprintf("the escape \\%c", n)
			}
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			// A ']' right after '[' or '[^' is a literal member.
			if strings.HasPrefix(src[i+1:], "^]") {
				i += 2
			} else if strings.HasPrefix(src[i+1:], "]") {
				i++
			}
		case strings.HasPrefix(rest, "(?="):
			return "a lookahead (?=...)"
		case strings.HasPrefix(rest, "(?!"):
			return "a negative lookahead (?!...)"
		case strings.HasPrefix(rest, "(?<="):
			return "a lookbehind (?<=...)"
		case strings.HasPrefix(rest, "(?<!"):
			return "a negative lookbehind (?<!...)"
		case strings.HasPrefix(rest, "(?>"):
			return "an atomic group (?>...)"
		case strings.HasPrefix(rest, "(?|"):
			return "a branch reset group (?|...)"
		case strings.HasPrefix(rest, "(?("):
			return "a conditional group (?(...)...)"
		case strings.HasPrefix(rest, "(?R)") || strings.HasPrefix(rest, "(?0)"):
			return "recursion (?R)"
		case (c == '*' || c == '+' || c == '?' || c == '}') && i+1 < len(src) && src[i+1] == '+' && i > 0:
			return fmt.Sprintf("a possessive quantifier (%s)", src[i:i+2])
		}
	}
	return ""
}

// checkHeaderName warns about a header name that is no HTTP field name
// (responses leave such a header out). checked is name with the parameter
// references it may hold replaced by a token.
func (v *validator) checkHeaderName(r runtimes.Range, label, name, checked string) {
	if !headerName(checked) {
		v.warnf(r, "header-name-invalid", "%s: %q is not a header name (letters, digits and !#$%%&'*+-.^_`|~, no spaces): lambdalens dev leaves it out of responses", label, name)
	}
}

// checkHeaderValue warns about a header value holding a control
// character (the dev server, as net/http, sends CR and LF as spaces and
// the others as they are).
func (v *validator) checkHeaderValue(r runtimes.Range, label, value string) {
	if strings.ContainsFunc(value, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f }) {
		v.warnf(r, "header-value-control", "%s holds a line break or another control character, which a header value cannot carry: remove it (lambdalens dev sends a line break as a space)", label)
	}
}

// headerKeyParam is a ":name" reference in a headers[] key, as
// path-to-regexp names run.
var headerKeyParam = regexp.MustCompile(`:[A-Za-z0-9_]+`)

// headerName reports whether s is an HTTP field name: a token of RFC 9110
// section 5.6.2.
func headerName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}
