package routing

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// piece is literal text, a "$N" group reference or a "$name" reference.
type piece struct {
	lit   string
	group int    // > 0 for "$N"
	ref   string // for "$name": the longest run of [A-Za-z0-9_-] after "$"
}

type tmpl []piece

// maxGroup bounds "$N" so that absurd numbers cannot overflow; groups past
// the regexp's count expand to "".
const maxGroup = 1 << 16

func isWordByte(c byte) bool { return isNameByte(c) }

// parseTmpl splits s at "$1" and "$name" references.
func parseTmpl(s string) tmpl {
	var t tmpl
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t = append(t, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			lit.WriteByte(c)
			continue
		}
		n := s[i+1]
		switch {
		case n >= '0' && n <= '9':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			g, err := strconv.Atoi(s[i+1 : j])
			if err != nil || g > maxGroup {
				g = maxGroup
			}
			flush()
			if g == 0 {
				t = append(t, piece{lit: "$0"})
			} else {
				t = append(t, piece{group: g})
			}
			i = j - 1
		case n == '_' || n >= 'a' && n <= 'z' || n >= 'A' && n <= 'Z':
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '-') {
				j++
			}
			flush()
			t = append(t, piece{ref: s[i+1 : j]})
			i = j - 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return t
}

// literal reports whether t has no references, and its text.
func (t tmpl) literal() (string, bool) {
	switch len(t) {
	case 0:
		return "", true
	case 1:
		return t[0].lit, t[0].group == 0 && t[0].ref == ""
	}
	return "", false
}

// matchCtx is what references expand from: the source match and the has
// captures.
type matchCtx struct {
	re   *regexp.Regexp
	path string
	idx  []int
	caps map[string]string
}

func (m *matchCtx) group(n int) string {
	if 2*n+1 >= len(m.idx) || m.idx[2*n] < 0 {
		return ""
	}
	return m.path[m.idx[2*n]:m.idx[2*n+1]]
}

// named resolves a name from has captures (exact, then ignoring case, as
// header keys are lower-cased) and then from named groups of the source.
func (m *matchCtx) named(name string) (string, bool) {
	if v, ok := m.caps[name]; ok {
		return v, true
	}
	for k, v := range m.caps {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	if i := m.re.SubexpIndex(name); i > 0 {
		return m.group(i), true
	}
	return "", false
}

// resolveRef expands a "$name" run: the longest known name ending at a
// hyphen or at the end of the run, else the word part of the run (unknown
// names expand to ""); the rest of the run stays literal.
func (m *matchCtx) resolveRef(run string) (val, rest string) {
	word := len(run)
	if i := strings.IndexByte(run, '-'); i >= 0 {
		word = i
	}
	for end := len(run); end > word; {
		if v, ok := m.named(run[:end]); ok {
			return v, run[end:]
		}
		end = strings.LastIndexByte(run[:end], '-')
	}
	v, _ := m.named(run[:word])
	return v, run[word:]
}

// expand writes t with references filled; esc transforms the captured
// values (not the literal text).
func (t tmpl) expand(m *matchCtx, esc func(string) string) string {
	if s, ok := t.literal(); ok {
		return s
	}
	var b strings.Builder
	for _, p := range t {
		switch {
		case p.group > 0:
			b.WriteString(esc(m.group(p.group)))
		case p.ref != "":
			v, rest := m.resolveRef(p.ref)
			b.WriteString(esc(v))
			b.WriteString(rest)
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func rawValue(s string) string { return s }

// qtmpl is one key=value of a destination's query.
type qtmpl struct{ key, value tmpl }

// destTmpl is a compiled "dest" or "Location".
type destTmpl struct {
	// url is true for absolute destinations (scheme://...) and for
	// Locations: the base keeps its encoding and captures are escaped.
	url   bool
	base  tmpl
	query []qtmpl
	// fragment is "#..." of a URL destination, parameters included
	// (vercel dev resolves them in the whole Location).
	fragment tmpl
}

var absURL = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

func isExternal(dest string) bool { return absURL.MatchString(dest) }

// parseDest compiles a destination. asURL keeps it as an encoded URL
// (external rewrites and redirect Locations); otherwise the path is put
// in route form, as the router matches paths in route form.
func parseDest(s string, asURL bool) destTmpl {
	d := destTmpl{url: asURL}
	if asURL {
		if i := strings.IndexByte(s, '#'); i >= 0 {
			d.fragment, s = parseTmpl(s[i:]), s[:i]
		}
	} else if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	base, q, hasQ := strings.Cut(s, "?")
	if !asURL {
		base = routeForm(base)
	}
	d.base = parseTmpl(base)
	if hasQ {
		for _, p := range parseQS(q) {
			d.query = append(d.query, qtmpl{key: parseTmpl(p.key), value: parseTmpl(p.value)})
		}
	}
	return d
}

// expandQuery evaluates the query pairs, keeping their order.
func (d *destTmpl) expandQuery(m *matchCtx) []qsPair {
	if len(d.query) == 0 {
		return nil
	}
	out := make([]qsPair, len(d.query))
	for i, q := range d.query {
		out[i] = qsPair{q.key.expand(m, queryValue), q.value.expand(m, queryValue)}
	}
	return out
}

// encodeQuery writes pairs as a query string (without "?").
func encodeQuery(pairs []qsPair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.value))
	}
	return b.String()
}
