package routing

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
)

// indexes maps parameter names to their "$1"/"$name" references, in
// insertion order (JavaScript object order, which Vercel's output follows).
type indexes struct {
	names []string
	refs  map[string]string
}

func (ix *indexes) set(name, ref string) {
	if ix.refs == nil {
		ix.refs = make(map[string]string)
	}
	if _, ok := ix.refs[name]; !ok {
		ix.names = append(ix.names, name)
	}
	ix.refs[name] = ref
}

// newIndexes maps source parameters to "$<group>" and has captures to
// "$<name>"; has captures win, as in routing-utils.
func newIndexes(names, hasSegs []string) *indexes {
	ix := &indexes{}
	for i, n := range names {
		if n != "" {
			ix.set(n, "$"+strconv.Itoa(i+1))
		}
	}
	for _, n := range hasSegs {
		ix.set(n, "$"+n)
	}
	return ix
}

var namedGroup = regexp.MustCompile(`\(\?<([a-zA-Z][a-zA-Z0-9]*)>`)

// hasSegments lists the names a has list makes available to the
// destination: keys of conditions without value, named groups of values,
// and "host" for host conditions with a value (collectHasSegments).
func hasSegments(has []config.Has) []string {
	var out []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, h := range has {
		if h.Value == nil {
			if h.Key != "" {
				add(h.Key)
			}
			continue
		}
		for _, m := range namedGroup.FindAllStringSubmatch(*h.Value, -1) {
			add(m[1])
		}
		if h.Type == "host" {
			add("host")
		}
	}
	return out
}

// urlParts is a destination split the way Node's url.parse does.
type urlParts struct {
	scheme    string // "https:" (with colon) or ""
	userinfo  string // "user:pass@" or ""
	hostname  string
	port      string // ":8080" or ""
	path      string
	query     string // without "?"
	hasQuery  bool
	fragment  string // without "#"
	hasFrag   bool
	authority bool // "//" present
}

var schemeRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

func splitURL(s string) urlParts {
	var u urlParts
	if m := schemeRe.FindString(s); m != "" && strings.HasPrefix(s[len(m):], "//") {
		u.scheme, u.authority = m, true
		s = s[len(m)+2:]
		end := strings.IndexAny(s, "/?#")
		if end < 0 {
			end = len(s)
		}
		host := s[:end]
		s = s[end:]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			u.userinfo, host = host[:at+1], host[at+1:]
		}
		if c := strings.LastIndexByte(host, ':'); c >= 0 && c+1 < len(host) && isDigits(host[c+1:]) {
			u.port, host = host[c:], host[:c]
		}
		u.hostname = host
	}
	if i := strings.IndexByte(s, '#'); i >= 0 {
		u.fragment, u.hasFrag, s = s[i+1:], true, s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		u.query, u.hasQuery, s = s[i+1:], true, s[:i]
	}
	u.path = s
	return u
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// nodeFastPath reports whether Node's url.parse takes its fast path for s
// (a plain path with an optional query), which skips autoEscape.
func nodeFastPath(s string) bool {
	if strings.ContainsAny(s, "#@ \t\n\r\f\v") || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "///") {
		return false
	}
	return true
}

// autoEscape percent-encodes the characters Node's url.parse escapes in
// paths and fragments.
func autoEscape(s string) string {
	if !strings.ContainsAny(s, "\t\n\r \"'<>\\^`{|}") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("\t\n\r \"'<>\\^`{|}", s[i]) >= 0 {
			fmt.Fprintf(&b, "%%%02X", s[i])
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// qsPair is one key=value of a query string.
type qsPair struct{ key, value string }

// parseQS splits a query like Node's querystring.parse: "+" is a space,
// malformed escapes are kept, a key without "=" has an empty value.
func parseQS(q string) []qsPair {
	var out []qsPair
	for part := range strings.SplitSeq(q, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		out = append(out, qsPair{qsUnescape(k), qsUnescape(v)})
	}
	return out
}

func qsUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return strings.ReplaceAll(s, "+", " ")
}

// qsEscape is Node's querystring.escape, with "$" kept as Vercel does.
func qsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()$", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// paramNames returns the named parameters of a path-to-regexp pattern, or
// false when it does not parse.
func paramNames(s string) ([]string, bool) {
	toks, err := ptParse(s, "x")
	if err != nil {
		return nil, false
	}
	var out []string
	for _, t := range toks {
		if t.key != nil && t.key.pattern != "" && t.key.name != "" {
			out = append(out, t.key.name)
		}
	}
	return out, true
}

// compileDirect fills the parameters of s like path-to-regexp's compile
// without validation; false when s does not parse or a required
// parameter is unknown.
func compileDirect(s string, ix *indexes) (string, bool) {
	toks, err := ptParse(s, "x")
	if err != nil {
		return "", false
	}
	var b strings.Builder
	for _, t := range toks {
		if t.key == nil {
			b.WriteString(t.text)
			continue
		}
		ref, ok := ix.refs[t.key.name]
		if t.key.name == "" || !ok {
			if t.key.modifier == "?" || t.key.modifier == "*" {
				continue
			}
			return "", false
		}
		b.WriteString(t.key.prefix + ref + t.key.suffix)
	}
	return b.String(), true
}

// compileSafely replaces the ":name" references whose name is known and
// keeps everything else literally (routing-utils' safelyCompile).
func compileSafely(s string, ix *indexes, direct bool) string {
	if s == "" {
		return s
	}
	if direct {
		if out, ok := compileDirect(s, ix); ok {
			return out
		}
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case c == ':':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			ref, ok := ix.refs[s[i+1:j]]
			if j == i+1 || !ok {
				b.WriteByte(c)
				continue
			}
			b.WriteString(ref)
			if j < len(s) && strings.IndexByte("*?+", s[j]) >= 0 {
				j++
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// CompileDestination turns a vercel.json destination into the "dest" (or
// redirect Location) Vercel emits: ":name" references to source
// parameters become "$<group>", references to has captures "$<name>", and
// rewrites that use no parameter in their path, host or fragment get every
// parameter appended to the query. names are CompileSource's parameter
// names. An error names a ":segment" that is neither in the source nor in
// has, as Vercel rejects it.
func CompileDestination(destination string, names []string, has []config.Has, redirect bool) (string, error) {
	hasSegs := hasSegments(has)
	if err := checkDestinationSegments(destination, names, hasSegs); err != nil {
		return "", err
	}
	named := 0
	for _, n := range names {
		if n != "" {
			named++
		}
	}
	if redirect && len(hasSegs) == 0 && (named == 0 || !strings.Contains(destination, ":")) {
		return destination, nil
	}
	ix := newIndexes(names, hasSegs)
	u := splitURL(destination)
	if u.authority && u.path == "" {
		u.path = "/"
	}
	pathname, frag := u.path, u.fragment
	if !nodeFastPath(destination) {
		pathname, frag = autoEscape(pathname), autoEscape(frag)
	}

	destParams := map[string]bool{}
	for _, part := range []string{pathname, frag, u.hostname} {
		ps, ok := paramNames(part)
		if !ok {
			break
		}
		for _, p := range ps {
			destParams[p] = true
		}
	}
	pathname = compileSafely(pathname, ix, true)
	frag = compileSafely(frag, ix, true)
	hostname := compileSafely(u.hostname, ix, true)

	query := parseQS(u.query)
	inQuery := map[string]bool{}
	for i, p := range query {
		inQuery[p.key] = true
		query[i].value = compileSafely(p.value, ix, true)
	}
	if !redirect && !anyIn(ix.names, destParams) {
		for _, n := range ix.names {
			if !inQuery[n] {
				query = append(query, qsPair{n, ix.refs[n]})
			}
		}
	}

	var b strings.Builder
	if u.authority {
		b.WriteString(u.scheme + "//" + u.userinfo + hostname + u.port)
		if pathname != "" && !strings.HasPrefix(pathname, "/") {
			b.WriteByte('/')
		}
	}
	b.WriteString(strings.NewReplacer("?", "%3F", "#", "%23").Replace(pathname))
	for i, p := range groupQS(query) {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(qsEscape(p.key) + "=" + qsEscape(p.value))
	}
	if frag != "" {
		b.WriteString("#" + strings.ReplaceAll(frag, "#", "%23"))
	}
	return b.String(), nil
}

// groupQS puts repeated keys together, in order of first appearance, as a
// JavaScript object of arrays does.
func groupQS(q []qsPair) []qsPair {
	if len(q) < 2 {
		return q
	}
	order := []string{}
	byKey := map[string][]string{}
	for _, p := range q {
		if _, ok := byKey[p.key]; !ok {
			order = append(order, p.key)
		}
		byKey[p.key] = append(byKey[p.key], p.value)
	}
	out := make([]qsPair, 0, len(q))
	for _, k := range order {
		for _, v := range byKey[k] {
			out = append(out, qsPair{k, v})
		}
	}
	return out
}

func anyIn(names []string, set map[string]bool) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

// checkDestinationSegments is routing-utils' checkPatternSyntax for the
// destination: every ":name" of its host, path and query values must come
// from the source or from has.
func checkDestinationSegments(destination string, names, hasSegs []string) error {
	known := map[string]bool{}
	for _, n := range append(append([]string(nil), names...), hasSegs...) {
		known[n] = true
	}
	u := splitURL(destination)
	parts := []string{u.hostname, u.path}
	seen := map[string]bool{}
	for _, p := range parseQS(u.query) {
		if !seen[p.key] {
			seen[p.key] = true
			parts = append(parts, p.value)
		}
	}
	var used []string
	for _, part := range parts {
		ps, ok := paramNames(part)
		if !ok {
			break // like Vercel, check what was collected before
		}
		used = append(used, ps...)
	}
	for _, p := range used {
		if !known[p] {
			return fmt.Errorf("the destination uses the segment \":%s\", which is neither a parameter of the source nor a has key or named group", p)
		}
	}
	return nil
}

// compileHeaderValue fills ":name" references in a header key or value
// (routing-utils' convertHeaders).
func compileHeaderValue(s string, names, hasSegs []string) string {
	named := 0
	for _, n := range names {
		if n != "" {
			named++
		}
	}
	if (named == 0 && len(hasSegs) == 0) || !strings.Contains(s, ":") {
		return s
	}
	return compileSafely(s, newIndexes(names, hasSegs), false)
}
