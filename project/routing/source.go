package routing

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// SourceError is a vercel.json "source" (or legacy "src") that cannot be
// compiled.
type SourceError struct {
	Source string
	// Offset is the byte offset in Source where the problem is; -1 when
	// it is not tied to one place.
	Offset int
	// Reason says what is wrong ("missing parameter name after \":\"").
	Reason string
}

func (e *SourceError) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("compiling source %q: %s at offset %d", e.Source, e.Reason, e.Offset)
	}
	return fmt.Sprintf("compiling source %q: %s", e.Source, e.Reason)
}

// ptKey is a parameter of a path-to-regexp pattern.
type ptKey struct {
	name     string // "" for unnamed groups such as "(.*)"
	prefix   string
	suffix   string
	pattern  string // empty for a "{...}" group without parameter
	modifier string // "", "?", "*" or "+"
}

// ptToken is literal text (key == nil) or a parameter.
type ptToken struct {
	text string
	key  *ptKey
}

type lexKind int

const (
	lexOpen lexKind = iota
	lexClose
	lexPattern
	lexName
	lexChar
	lexEscaped
	lexModifier
	lexEnd
)

var lexNames = [...]string{"\"{\"", "\"}\"", "a pattern", "a parameter", "a character", "an escaped character", "a modifier", "the end"}

type lexToken struct {
	kind lexKind
	pos  int
	val  string
}

func isNameByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '_'
}

// ptLex tokenizes a path-to-regexp 6.1 pattern.
func ptLex(s string) ([]lexToken, *SourceError) {
	var toks []lexToken
	fail := func(at int, format string, args ...any) ([]lexToken, *SourceError) {
		return nil, &SourceError{Source: s, Offset: at, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '*', '+', '?':
			toks = append(toks, lexToken{lexModifier, i, s[i : i+1]})
			i++
		case '\\':
			if i+1 >= len(s) {
				// path-to-regexp drops a trailing backslash.
				toks = append(toks, lexToken{lexEscaped, i, ""})
				i++
				continue
			}
			_, n := utf8.DecodeRuneInString(s[i+1:])
			toks = append(toks, lexToken{lexEscaped, i, s[i+1 : i+1+n]})
			i += 1 + n
		case '{':
			toks = append(toks, lexToken{lexOpen, i, "{"})
			i++
		case '}':
			toks = append(toks, lexToken{lexClose, i, "}"})
			i++
		case ':':
			j := i + 1
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
			if j == i+1 {
				return fail(i, `missing parameter name after ":"`)
			}
			toks = append(toks, lexToken{lexName, i, s[i+1 : j]})
			i = j
		case '(':
			j := i + 1
			if j < len(s) && s[j] == '?' {
				return fail(j, `a custom pattern cannot start with "?"; a group like (?:...) must be inside a parameter's pattern, as in :name((?:a|b))`)
			}
			depth := 1
			var pat strings.Builder
			for j < len(s) {
				if s[j] == '\\' {
					end := min(j+2, len(s))
					pat.WriteString(s[j:end])
					j = end
					continue
				}
				if s[j] == ')' {
					depth--
					if depth == 0 {
						j++
						break
					}
				} else if s[j] == '(' {
					depth++
					if j+1 >= len(s) || s[j+1] != '?' {
						return fail(j, "capturing groups are not allowed inside a pattern; use a non-capturing group (?:...)")
					}
				}
				pat.WriteByte(s[j])
				j++
			}
			if depth != 0 {
				return fail(i, `unbalanced "(": the pattern has no closing ")"`)
			}
			if pat.Len() == 0 {
				return fail(i, `empty pattern "()"`)
			}
			toks = append(toks, lexToken{lexPattern, i, pat.String()})
			i = j
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			toks = append(toks, lexToken{lexChar, i, s[i : i+n]})
			i += n
		}
	}
	return append(toks, lexToken{lexEnd, len(s), ""}), nil
}

// ptParse parses a pattern the way path-to-regexp 6.1 does, with "./" as
// prefixes and defaultPattern for parameters without a pattern.
func ptParse(s, defaultPattern string) ([]ptToken, *SourceError) {
	toks, err := ptLex(s)
	if err != nil {
		return nil, err
	}
	var out []ptToken
	i := 0
	var text strings.Builder
	try := func(k lexKind) (string, bool) {
		if i < len(toks) && toks[i].kind == k {
			i++
			return toks[i-1].val, true
		}
		return "", false
	}
	flush := func() {
		if text.Len() > 0 {
			out = append(out, ptToken{text: text.String()})
			text.Reset()
		}
	}
	consumeText := func() string {
		var b strings.Builder
		for {
			if v, ok := try(lexChar); ok {
				b.WriteString(v)
			} else if v, ok := try(lexEscaped); ok {
				b.WriteString(v)
			} else {
				return b.String()
			}
		}
	}
	for i < len(toks) {
		char, hasChar := try(lexChar)
		name, hasName := try(lexName)
		pattern, hasPattern := try(lexPattern)
		if hasName || hasPattern {
			prefix := char
			if prefix != "/" && prefix != "." {
				text.WriteString(prefix)
				prefix = ""
			}
			flush()
			if !hasPattern {
				pattern = defaultPattern
			}
			mod, _ := try(lexModifier)
			out = append(out, ptToken{key: &ptKey{name: name, prefix: prefix, pattern: pattern, modifier: mod}})
			continue
		}
		if hasChar {
			text.WriteString(char)
			continue
		}
		if v, ok := try(lexEscaped); ok {
			text.WriteString(v)
			continue
		}
		flush()
		if _, ok := try(lexOpen); ok {
			prefix := consumeText()
			name, _ := try(lexName)
			pattern, _ := try(lexPattern)
			suffix := consumeText()
			if _, ok := try(lexClose); !ok {
				t := toks[i]
				return nil, &SourceError{Source: s, Offset: t.pos, Reason: fmt.Sprintf(`expected "}" to close the group, found %s`, lexNames[t.kind])}
			}
			if name != "" && pattern == "" {
				pattern = defaultPattern
			}
			mod, _ := try(lexModifier)
			out = append(out, ptToken{key: &ptKey{name: name, prefix: prefix, suffix: suffix, pattern: pattern, modifier: mod}})
			continue
		}
		if _, ok := try(lexEnd); !ok {
			t := toks[i]
			reason := fmt.Sprintf("unexpected %s", lexNames[t.kind])
			if t.kind == lexModifier {
				reason = fmt.Sprintf("%q must follow a parameter such as :name or (pattern)", t.val)
			}
			return nil, &SourceError{Source: s, Offset: t.pos, Reason: reason}
		}
	}
	return out, nil
}

// escapeRegexp escapes like path-to-regexp's escapeString.
func escapeRegexp(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`.+*?=^!:${}()[]|/\`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// sourceDefaultPattern is the pattern of a bare ":name" in a source
// (delimiter "/").
const sourceDefaultPattern = `[^\/]+?`

// CompileSource compiles a vercel.json "source" pattern to the anchored
// regular expression Vercel puts in "src", and returns the parameter names
// in capture group order ("" for unnamed groups such as "(.*)"). Supported
// syntax: ":name", the modifiers "?", "*" and "+", custom patterns
// ":name(\\d+)" and unnamed "(.*)", "{...}" groups and "\\" escapes. A
// pattern that RE2 cannot run (lookaround, backreferences) is an error.
// Errors are *SourceError.
func CompileSource(source string) (regex string, names []string, err error) {
	toks, serr := ptParse(source, sourceDefaultPattern)
	if serr != nil {
		return "", nil, serr
	}
	var b strings.Builder
	b.WriteString("^")
	for _, t := range toks {
		if t.key == nil {
			b.WriteString(escapeRegexp(t.text))
			continue
		}
		k := t.key
		prefix, suffix := escapeRegexp(k.prefix), escapeRegexp(k.suffix)
		switch {
		case k.pattern == "":
			b.WriteString("(?:" + prefix + suffix + ")" + k.modifier)
			continue
		case prefix == "" && suffix == "":
			b.WriteString("(" + k.pattern + ")" + k.modifier)
		case k.modifier == "+" || k.modifier == "*":
			mod := ""
			if k.modifier == "*" {
				mod = "?"
			}
			fmt.Fprintf(&b, "(?:%s((?:%s)(?:%s%s(?:%s))*)%s)%s", prefix, k.pattern, suffix, prefix, k.pattern, suffix, mod)
		default:
			fmt.Fprintf(&b, "(?:%s(%s)%s)%s", prefix, k.pattern, suffix, k.modifier)
		}
		names = append(names, k.name)
	}
	b.WriteString("$")
	regex = stripEscapedSlashes(b.String())
	if err := checkRE2(regex); err != nil {
		return "", nil, &SourceError{Source: source, Offset: -1, Reason: err.Error()}
	}
	return regex, names, nil
}

// stripEscapedSlashes turns "\/" into "/" as Vercel's normalizeRoutes does,
// leaving an escaped backslash followed by "/" alone.
func stripEscapedSlashes(s string) string {
	if !strings.Contains(s, `\/`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			if s[i+1] != '/' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[i+1])
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// lookaround finds JavaScript regexp features RE2 lacks, for a clearer
// message than RE2's "invalid or unsupported Perl syntax".
var lookaround = regexp.MustCompile(`\(\?<?[=!]|\\[1-9]`)

// checkRE2 reports whether re compiles with Go's regexp package.
func checkRE2(re string) error {
	if _, err := regexp.Compile(re); err != nil {
		if m := lookaround.FindString(re); m != "" {
			return fmt.Errorf("%q (lookahead, lookbehind or backreference) is not supported: lambdalens evaluates routes with Go's RE2 engine", m)
		}
		if serr, ok := errors.AsType[*syntax.Error](err); ok {
			return fmt.Errorf("invalid regular expression: %s: %s", serr.Code, serr.Expr)
		}
		return fmt.Errorf("invalid regular expression: %w", err)
	}
	return nil
}

// NormalizeSrc applies Vercel's normalizeRoutes to a legacy "src": it adds
// the missing "^" and "$" and turns "\/" into "/". It then checks that RE2
// compiles it; errors are *SourceError.
func NormalizeSrc(src string) (string, error) {
	out := src
	if !strings.HasPrefix(out, "^") {
		out = "^" + out
	}
	if !strings.HasSuffix(out, "$") {
		out += "$"
	}
	out = stripEscapedSlashes(out)
	if err := checkRE2(out); err != nil {
		return "", &SourceError{Source: src, Offset: -1, Reason: err.Error()}
	}
	return out, nil
}
