package config

import (
	"bytes"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/lambdalens/lambdalens/runtimes"
)

const (
	// maxDepth bounds nesting so that hostile input ends in a diagnostic
	// rather than a stack overflow. Real vercel.json files nest about 5
	// levels deep.
	maxDepth = 1000
	// maxSyntaxDiagnostics caps recoverable syntax diagnostics (comments,
	// trailing commas) so that a huge broken file cannot flood an editor.
	// Parsing goes on past the cap; only the reporting stops.
	maxSyntaxDiagnostics = 100
)

var bom = []byte{0xEF, 0xBB, 0xBF}

// ParseJSON parses src as one JSON value and returns its positioned tree.
// A leading UTF-8 byte order mark is skipped (positions still count its
// bytes). Syntax errors become diagnostics in file: the parser recovers
// from comments, trailing commas, missing commas between members and
// unquoted keys, and stops at any other error, returning the tree read so
// far (nil when not even the first value started). It never panics.
func ParseJSON(file string, src []byte) (*Node, []runtimes.Diagnostic) {
	p := parseJSON(file, src)
	return p.root, p.diags
}

func parseJSON(file string, src []byte) *parser {
	p := &parser{src: src, file: file, lines: newLineIndex(src)}
	p.root = p.document()
	return p
}

func (p *parser) document() *Node {
	src := p.src
	if bytes.HasPrefix(src, bom) {
		p.off = len(bom)
	}
	p.skipSpace()
	if p.stop {
		return nil
	}
	if p.off >= len(src) {
		p.fail(p.off, p.off, "json-syntax", "the file is empty; it must hold a JSON object such as {}")
		return nil
	}
	root := p.value(0)
	if !p.stop {
		p.skipSpace()
		if !p.stop && p.off < len(src) {
			desc, end := p.describe(p.off)
			p.fail(p.off, end, "json-syntax", "unexpected "+desc+" after the end of the JSON value; the file must hold exactly one value")
		}
	}
	return root
}

type parser struct {
	src     []byte
	off     int
	lines   lineIndex
	file    string
	diags   []runtimes.Diagnostic
	nsyntax int
	root    *Node
	// stop is set by the first unrecoverable error; every loop then ends.
	stop bool
}

func (p *parser) report(start, end int, sev runtimes.Severity, code, msg string, related ...runtimes.Related) {
	if p.nsyntax >= maxSyntaxDiagnostics {
		return
	}
	p.nsyntax++
	p.diags = append(p.diags, runtimes.Diagnostic{
		File: p.file, Range: p.lines.rng(start, end), Severity: sev, Code: code, Message: msg, Related: related,
	})
}

// fail reports an unrecoverable error and stops the parse.
func (p *parser) fail(start, end int, code, msg string, related ...runtimes.Related) {
	p.nsyntax = min(p.nsyntax, maxSyntaxDiagnostics-1) // the fatal error is always reported
	p.report(start, end, runtimes.SeverityError, code, msg, related...)
	p.stop = true
}

// describe names the token at off for a message and returns its end.
func (p *parser) describe(off int) (string, int) {
	if off >= len(p.src) {
		return "end of file", len(p.src)
	}
	c := p.src[off]
	if c < utf8.RuneSelf {
		if c < 0x20 || c == 0x7f {
			return fmt.Sprintf("control character U+%04X", c), off + 1
		}
		if c == '"' {
			return "string", off + 1
		}
		return fmt.Sprintf("character %q", rune(c)), off + 1
	}
	r, size := utf8.DecodeRune(p.src[off:])
	if r == utf8.RuneError && size <= 1 {
		return fmt.Sprintf("byte 0x%02X (invalid UTF-8)", c), off + 1
	}
	return fmt.Sprintf("character %q", r), off + size
}

func (p *parser) rel(off int, msg string) runtimes.Related {
	return runtimes.Related{File: p.file, Range: p.lines.rng(off, off+1), Message: msg}
}

// skipSpace skips JSON whitespace. Comments are reported (JSON.parse, which
// Vercel uses, rejects them) and skipped.
func (p *parser) skipSpace() {
	for p.off < len(p.src) {
		switch p.src[p.off] {
		case ' ', '\t', '\n', '\r':
			p.off++
			continue
		case '/':
		default:
			return
		}
		start := p.off
		if start+1 >= len(p.src) || (p.src[start+1] != '/' && p.src[start+1] != '*') {
			return
		}
		if p.src[start+1] == '/' {
			end := len(p.src)
			if i := bytes.IndexByte(p.src[start:], '\n'); i >= 0 {
				end = start + i
			}
			p.report(start, end, runtimes.SeverityError, "json-comment",
				"comments are not allowed in JSON (Vercel reads vercel.json with JSON.parse); remove this comment")
			p.off = end
			continue
		}
		i := bytes.Index(p.src[start+2:], []byte("*/"))
		if i < 0 {
			p.fail(start, len(p.src), "json-syntax", "unterminated /* comment; comments are not allowed in JSON anyway, remove it")
			p.off = len(p.src)
			return
		}
		end := start + 2 + i + 2
		p.report(start, end, runtimes.SeverityError, "json-comment",
			"comments are not allowed in JSON (Vercel reads vercel.json with JSON.parse); remove this comment")
		p.off = end
	}
}

func (p *parser) node(kind Kind, start int) *Node {
	return &Node{Kind: kind, Range: p.lines.rng(start, p.off)}
}

// value parses the value at p.off. It returns nil (after a fatal
// diagnostic) when no value starts there.
func (p *parser) value(depth int) *Node {
	if depth >= maxDepth {
		_, end := p.describe(p.off)
		p.fail(p.off, end, "json-too-deep", fmt.Sprintf("values are nested more than %d levels deep; flatten this structure", maxDepth))
		return nil
	}
	if p.off >= len(p.src) {
		p.fail(p.off, p.off, "json-syntax", "unexpected end of file; expected a value")
		return nil
	}
	switch c := p.src[p.off]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		start := p.off
		s, ok := p.str()
		if !ok {
			return nil
		}
		n := p.node(String, start)
		n.Str = s
		return n
	case c == '-' || isDigit(c):
		return p.number()
	case isIdent(c):
		return p.literal()
	case c == '\'':
		p.fail(p.off, p.off+1, "json-syntax", "strings must be in double quotes (\"...\"), not single quotes")
		return nil
	default:
		desc, end := p.describe(p.off)
		p.fail(p.off, end, "json-syntax", "unexpected "+desc+"; expected a value")
		return nil
	}
}

func (p *parser) object(depth int) *Node {
	start := p.off
	n := &Node{Kind: Object}
	p.off++ // '{'
	defer func() { n.Range = p.lines.rng(start, p.off) }()
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == '}' {
		p.off++
		return n
	}
	for !p.stop {
		p.skipSpace()
		if p.stop {
			return n
		}
		keyStart := p.off
		var key string
		switch {
		case p.off >= len(p.src):
			p.fail(p.off, p.off, "json-syntax", "unexpected end of file; expected a member name in double quotes or '}'",
				p.rel(start, "the object starts here"))
			return n
		case p.src[p.off] == '"':
			s, ok := p.str()
			if !ok {
				return n
			}
			key = s
		case isIdent(p.src[p.off]):
			end := p.off
			for end < len(p.src) && isIdent(p.src[end]) {
				end++
			}
			key = string(p.src[p.off:end])
			p.report(p.off, end, runtimes.SeverityError, "json-syntax",
				fmt.Sprintf("member names must be in double quotes: write %q", key))
			p.off = end
		default:
			desc, end := p.describe(p.off)
			p.fail(p.off, end, "json-syntax", "unexpected "+desc+"; expected a member name in double quotes")
			return n
		}
		keyRange := p.lines.rng(keyStart, p.off)
		p.skipSpace()
		if p.stop {
			return n
		}
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			desc, end := p.describe(p.off)
			p.fail(p.off, end, "json-syntax", fmt.Sprintf("expected ':' after member name %q, found %s", key, desc))
			return n
		}
		p.off++
		p.skipSpace()
		if p.stop {
			return n
		}
		v := p.value(depth + 1)
		if v == nil {
			return n
		}
		v.Key, v.KeyRange = key, keyRange
		n.Children = append(n.Children, v)
		if p.stop || p.separator('}', "object member", start, func(c byte) bool { return c == '"' }) != sepNext {
			return n
		}
	}
	return n
}

func (p *parser) array(depth int) *Node {
	start := p.off
	n := &Node{Kind: Array}
	p.off++ // '['
	defer func() { n.Range = p.lines.rng(start, p.off) }()
	p.skipSpace()
	if p.off < len(p.src) && p.src[p.off] == ']' {
		p.off++
		return n
	}
	for !p.stop {
		p.skipSpace()
		if p.stop {
			return n
		}
		if p.off >= len(p.src) {
			p.fail(p.off, p.off, "json-syntax", "unexpected end of file; expected a value or ']'", p.rel(start, "the array starts here"))
			return n
		}
		v := p.value(depth + 1)
		if v == nil {
			return n
		}
		n.Children = append(n.Children, v)
		if p.stop || p.separator(']', "array element", start, startsValue) != sepNext {
			return n
		}
	}
	return n
}

// sep is what separator found after a container element.
type sep int

const (
	sepNext   sep = iota // another element follows
	sepClosed            // the container was closed
	sepStop              // a fatal error was reported
)

// separator consumes what follows an element of a container closed by
// closer: a ',' (reporting and dropping a trailing one) or closer itself.
// When the next token starts another element (resumes reports true), it
// reports the missing comma and carries on as if it were there.
func (p *parser) separator(closer byte, what string, open int, resumes func(byte) bool) sep {
	p.skipSpace()
	if p.stop {
		return sepStop
	}
	if p.off < len(p.src) {
		switch c := p.src[p.off]; {
		case c == ',':
			comma := p.off
			p.off++
			p.skipSpace()
			if p.stop {
				return sepStop
			}
			if p.off < len(p.src) && p.src[p.off] == closer {
				p.report(comma, comma+1, runtimes.SeverityError, "json-trailing-comma",
					"trailing commas are not allowed in JSON; remove this ','")
				p.off++
				return sepClosed
			}
			return sepNext
		case c == closer:
			p.off++
			return sepClosed
		case resumes(c):
			_, end := p.describe(p.off)
			p.report(p.off, end, runtimes.SeverityError, "json-syntax",
				fmt.Sprintf("expected ',' or '%c' after %s", closer, what))
			return sepNext
		}
	}
	desc, end := p.describe(p.off)
	msg := fmt.Sprintf("expected ',' or '%c' after %s, found %s", closer, what, desc)
	container := "the object starts here"
	if closer == ']' {
		container = "the array starts here"
	}
	p.fail(p.off, end, "json-syntax", msg, p.rel(open, container))
	return sepStop
}

// str reads the string whose opening quote is at p.off and returns its
// decoded text. ok is false after a fatal error (unterminated string).
func (p *parser) str() (s string, ok bool) {
	src := p.src
	start := p.off
	i := start + 1
	for i < len(src) {
		c := src[i]
		if c == '"' {
			p.off = i + 1
			return string(src[start+1 : i]), true
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		i++
	}
	b := append([]byte(nil), src[start+1:i]...)
	badUTF8 := false
	for {
		if i >= len(src) {
			p.fail(start, len(src), "json-syntax", "unterminated string; add the closing '\"'")
			p.off = len(src)
			return string(b), false
		}
		switch c := src[i]; {
		case c == '"':
			p.off = i + 1
			return string(b), true
		case c == '\\':
			b, i = p.escape(b, i)
		case c == '\n' || c == '\r':
			p.fail(start, i, "json-syntax", "unterminated string: add the closing '\"' (a line break inside a string must be written \\n)")
			p.off = i
			return string(b), false
		case c < 0x20:
			p.report(i, i+1, runtimes.SeverityError, "json-syntax",
				fmt.Sprintf("control character U+%04X must be escaped inside a string (\\u%04x)", c, c))
			b = append(b, c)
			i++
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError && size == 1 {
				if !badUTF8 {
					p.report(i, i+1, runtimes.SeverityWarning, "json-invalid-utf8",
						"invalid UTF-8 in string; it is read as U+FFFD, save the file as UTF-8")
				}
				badUTF8 = true
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, src[i:i+size]...)
			}
			i += size
		default:
			b = append(b, c)
			i++
		}
	}
}

// escape decodes the escape sequence whose backslash is at src[i], appends
// it to b and returns the offset after it. A bad escape is reported and kept
// as written.
func (p *parser) escape(b []byte, i int) ([]byte, int) {
	src := p.src
	if i+1 >= len(src) {
		return b, i + 1 // the caller reports the unterminated string
	}
	switch e := src[i+1]; e {
	case '"', '\\', '/':
		return append(b, e), i + 2
	case 'b':
		return append(b, '\b'), i + 2
	case 'f':
		return append(b, '\f'), i + 2
	case 'n':
		return append(b, '\n'), i + 2
	case 'r':
		return append(b, '\r'), i + 2
	case 't':
		return append(b, '\t'), i + 2
	case 'u':
		r, ok := hex4(src, i+2)
		if !ok {
			p.report(i, min(i+6, len(src)), runtimes.SeverityError, "json-syntax", "\\u must be followed by four hex digits")
			return append(b, '\\', 'u'), i + 2
		}
		next := i + 6
		if utf16IsHigh(r) {
			if next+1 < len(src) && src[next] == '\\' && src[next+1] == 'u' {
				if lo, ok := hex4(src, next+2); ok && utf16IsLow(lo) {
					return utf8.AppendRune(b, (r-0xD800)<<10+(lo-0xDC00)+0x10000), next + 6
				}
			}
			r = utf8.RuneError
		} else if utf16IsLow(r) {
			r = utf8.RuneError
		}
		return utf8.AppendRune(b, r), next
	default:
		end := i + 2
		if e >= utf8.RuneSelf {
			_, size := utf8.DecodeRune(src[i+1:])
			end = i + 1 + size
		}
		p.report(i, end, runtimes.SeverityError, "json-syntax",
			fmt.Sprintf("invalid escape %q in string; JSON allows \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX", src[i:end]))
		return append(b, src[i+1:end]...), end
	}
}

func hex4(src []byte, i int) (rune, bool) {
	if i+4 > len(src) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(src[i:i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	return rune(v), true
}

func utf16IsHigh(r rune) bool { return r >= 0xD800 && r < 0xDC00 }
func utf16IsLow(r rune) bool  { return r >= 0xDC00 && r < 0xE000 }

func (p *parser) number() *Node {
	src := p.src
	start := p.off
	i := start
	if src[i] == '-' {
		i++
	}
	digits := func(what string) bool {
		if i >= len(src) || !isDigit(src[i]) {
			desc, end := p.describe(i)
			p.fail(start, end, "json-syntax", fmt.Sprintf("invalid number: expected a digit %s, found %s", what, desc))
			return false
		}
		for i < len(src) && isDigit(src[i]) {
			i++
		}
		return true
	}
	if i < len(src) && src[i] == '0' {
		i++
		if i < len(src) && isDigit(src[i]) {
			p.fail(start, i+1, "json-syntax", "invalid number: JSON numbers cannot have leading zeros")
			return nil
		}
	} else if !digits("after '-'") {
		return nil
	}
	if i < len(src) && src[i] == '.' {
		i++
		if !digits("after the decimal point") {
			return nil
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if !digits("in the exponent") {
			return nil
		}
	}
	p.off = i
	n := p.node(Number, start)
	n.Raw = string(src[start:i])
	// A range error leaves ±Inf (or 0 for underflow), which is what we want:
	// the validators then report the value as out of range.
	n.Num, _ = strconv.ParseFloat(n.Raw, 64)
	return n
}

func (p *parser) literal() *Node {
	start := p.off
	end := start
	for end < len(p.src) && isIdent(p.src[end]) {
		end++
	}
	word := string(p.src[start:end])
	var n *Node
	switch word {
	case "true", "false":
		p.off = end
		n = p.node(Bool, start)
		n.Bool = word == "true"
		return n
	case "null":
		p.off = end
		return p.node(Null, start)
	case "NaN", "Infinity", "undefined":
		p.fail(start, end, "json-syntax", word+" is not valid JSON; use a number, a string or null")
		return nil
	}
	shown := word
	if len(shown) > 24 {
		shown = shown[:24] + "..."
	}
	p.fail(start, end, "json-syntax", fmt.Sprintf("unexpected word %q; expected a value (strings must be in double quotes; the literals are true, false and null)", shown))
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$'
}

func startsValue(c byte) bool {
	return c == '{' || c == '[' || c == '"' || c == '-' || isDigit(c) || c == 't' || c == 'f' || c == 'n'
}
