package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdalens/lambdalens/runtimes"
)

// validator walks the JSON tree, fills a Config and collects diagnostics.
type validator struct {
	file  string
	cfg   *Config
	diags []runtimes.Diagnostic
	// partial is true when the JSON was cut short by a syntax error: the
	// last objects may then lack members that are really in the file, so
	// "missing property" and cross-key checks stay quiet.
	partial bool
	// suggestions counts "did you mean" searches, capped by
	// maxSuggestions so that a file of many unknown keys stays cheap.
	suggestions int
}

const maxSuggestions = 100

// didYouMean is the package didYouMean within the validator's budget.
func (v *validator) didYouMean(name string, candidates []string) string {
	if v.suggestions >= maxSuggestions {
		return ""
	}
	v.suggestions++
	return didYouMean(name, candidates)
}

func (v *validator) add(sev runtimes.Severity, r runtimes.Range, code, msg string, related ...runtimes.Related) {
	v.diags = append(v.diags, runtimes.Diagnostic{
		File: v.file, Range: r, Severity: sev, Code: code, Message: msg, Related: related,
	})
}

func (v *validator) errorf(r runtimes.Range, code, format string, args ...any) {
	v.add(runtimes.SeverityError, r, code, fmt.Sprintf(format, args...))
}

func (v *validator) warnf(r runtimes.Range, code, format string, args ...any) {
	v.add(runtimes.SeverityWarning, r, code, fmt.Sprintf(format, args...))
}

// want reports an invalid-type error unless n is one of kinds.
func (v *validator) want(n *Node, label string, kinds ...Kind) bool {
	if slices.Contains(kinds, n.Kind) {
		return true
	}
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = article(k)
	}
	v.errorf(n.Range, "invalid-type", "%s must be %s, got %s", label, strings.Join(names, " or "), describe(n))
	return false
}

func (v *validator) str(n *Node, label string) (string, bool) {
	if !v.want(n, label, String) {
		return "", false
	}
	return n.Str, true
}

func (v *validator) boolean(n *Node, label string) (bool, bool) {
	if !v.want(n, label, Bool) {
		return false, false
	}
	return n.Bool, true
}

// maxLen reports code when s is longer than limit bytes.
func (v *validator) maxLen(n *Node, label, code, s string, limit int) bool {
	if len(s) <= limit {
		return true
	}
	v.errorf(n.Range, code, "%s is %d characters long; the limit is %d", label, len(s), limit)
	return false
}

// intRange reads an integer in [lo, hi]. unit ("MB", "seconds") is shown in
// messages when not empty.
func (v *validator) intRange(n *Node, label, code string, lo, hi int, unit string) (int, bool) {
	what := fmt.Sprintf("an integer between %d and %d", lo, hi)
	if unit != "" {
		what += " (" + unit + ")"
	}
	if n.Kind != Number {
		v.errorf(n.Range, "invalid-type", "%s must be %s, got %s", label, what, describe(n))
		return 0, false
	}
	i, ok := n.Int()
	if !ok || i < int64(lo) || i > int64(hi) {
		v.errorf(n.Range, code, "%s must be %s, got %s", label, what, n.Raw)
		return 0, false
	}
	return int(i), true
}

// strList reads an array of strings, reporting each element of another type.
func (v *validator) strList(n *Node, label string) []string {
	if !v.want(n, label, Array) {
		return nil
	}
	out := make([]string, 0, len(n.Children))
	for i, c := range n.Children {
		if s, ok := v.str(c, indexLabel(label, i)); ok {
			out = append(out, s)
		}
	}
	return out
}

// members calls visit for every member of obj whose name is in known and
// reports the others as unknown properties (errors: Vercel's schemas reject
// additional properties).
func (v *validator) members(obj *Node, label string, known []string, visit func(m *Node, label string)) {
	for _, m := range obj.Children {
		if !slices.Contains(known, m.Key) {
			hint := v.didYouMean(m.Key, known)
			if hint == "" {
				hint = "; the allowed properties are " + strings.Join(known, ", ")
			}
			v.errorf(m.KeyRange, "unknown-property", "%s has no property %q%s", label, m.Key, hint)
			continue
		}
		visit(m, memberLabel(label, m.Key))
	}
}

// require reports each missing member of obj (at its opening brace). It
// returns false when one is missing, even while the report is muted by a
// syntax error.
func (v *validator) require(obj *Node, label string, names ...string) bool {
	ok := true
	for _, name := range names {
		if obj.Get(name) != nil {
			continue
		}
		ok = false
		if !v.partial {
			start := obj.Range.Start
			end := start
			end.Column++
			end.Offset++
			v.errorf(runtimes.Range{Start: start, End: end}, "missing-property", "%s is missing the required property %q", label, name)
		}
	}
	return ok
}

// maxEntries reports an array with more than limit elements, at its key.
func (v *validator) maxEntries(m *Node, label string, limit int) {
	if len(m.Children) > limit {
		v.errorf(m.KeyRange, "too-many-entries", "%s has %d entries; Vercel allows at most %d", label, len(m.Children), limit)
	}
}

// unsupported warns about a property Vercel accepts but lambdalens does not
// act on.
func (v *validator) unsupported(m *Node, label string) {
	v.warnf(m.KeyRange, "unsupported-property", "%s is accepted by Vercel but lambdalens ignores it; dev and build output may differ from a Vercel deployment", label)
}

func article(k Kind) string {
	switch k {
	case Object, Array:
		return "an " + k.String()
	case Null:
		return "null"
	}
	return "a " + k.String()
}

// describe names a value for a message: `the string "abc"`, `the number 3`.
func describe(n *Node) string {
	switch n.Kind {
	case String:
		return "the string " + strconv.Quote(shorten(n.Str, 40))
	case Number:
		return "the number " + shorten(n.Raw, 40)
	case Bool:
		return strconv.FormatBool(n.Bool)
	case Null:
		return "null"
	}
	return article(n.Kind)
}

// shorten cuts s to about limit bytes on a rune boundary.
func shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// memberLabel names the member key of the value named parent, JavaScript
// style: functions["api/*.go"].memory.
func memberLabel(parent, key string) string {
	if isIdentifier(key) {
		if parent == "" {
			return key
		}
		return parent + "." + key
	}
	return parent + "[" + strconv.Quote(key) + "]"
}

func indexLabel(parent string, i int) string { return parent + "[" + strconv.Itoa(i) + "]" }

func isIdentifier(s string) bool {
	if s == "" || isDigit(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdent(s[i]) {
			return false
		}
	}
	return true
}

// didYouMean returns `; did you mean "x"?` naming the candidates closest to
// name, or "" when none is close.
func didYouMean(name string, candidates []string) string {
	type scored struct {
		s string
		d int
	}
	limit := max(1, min(3, len(name)/3))
	var near []scored
	for _, c := range candidates {
		d := editDistance(strings.ToLower(name), strings.ToLower(c))
		if d <= limit {
			near = append(near, scored{c, d})
		}
	}
	if len(near) == 0 {
		return ""
	}
	slices.SortStableFunc(near, func(a, b scored) int { return a.d - b.d })
	var names []string
	for i := 0; i < len(near) && i < 3; i++ {
		names = append(names, strconv.Quote(near[i].s))
	}
	if len(names) == 1 {
		return "; did you mean " + names[0] + "?"
	}
	return "; did you mean " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + "?"
}

// editDistance is the Levenshtein distance between a and b, in bytes. Keys
// longer than 64 bytes are never close to a known name, which bounds the
// work on hostile input.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
