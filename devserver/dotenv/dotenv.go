// Package dotenv parses .env files the way the dev server reads them.
//
// The accepted syntax is the common subset of the npm "dotenv" package that
// the Vercel CLI uses and python-dotenv:
//
//	# a comment line
//	KEY=value                  # unquoted: surrounding blanks trimmed; " #" starts a comment
//	export KEY=value           # a leading "export " is ignored
//	KEY = value                # blanks around "=" are allowed
//	KEY="a\nb \"c\""           # double quotes: \n \r \t \" \\ are expanded
//	KEY='raw \n'               # single quotes: taken literally
//	KEY=`raw`                  # backquotes: taken literally
//	KEY="first line
//	second line"               # quoted values may span lines
//	KEY=                       # empty value
//
// A quote that is never closed reads as the rest of its line, the quote
// included, as with the npm package, and the lines after it are read as
// usual.
//
// There is no variable expansion ("${OTHER}" stays as written), as with the
// npm package. An inline comment needs a blank before the "#" so that
// values such as URL fragments ("https://x/#top") survive; the npm package
// cuts at any "#", python-dotenv does what we do.
//
// Parse never fails: it returns every variable it could read and a Problem
// for each line it could not. Whether a name is acceptable as an
// environment variable is a separate question (ValidName), because callers
// want to warn about bad names with their line numbers.
package dotenv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"regexp"
	"strings"
)

// Var is one assignment in a .env file.
type Var struct {
	Key   string
	Value string
	// Line is the 1-based line the assignment starts on.
	Line int
}

// Problem is a line Parse could not read.
type Problem struct {
	// Line is 1-based.
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

// validName is the rule the Vercel CLI applies to environment variable
// names (reference §3.2).
var validName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidName reports whether name is usable as an environment variable name:
// a letter or underscore, then letters, digits or underscores.
func ValidName(name string) bool { return validName.MatchString(name) }

// Parse reads the assignments of a .env file, in file order. Later
// assignments of the same key are kept too; Map resolves them (last wins).
func Parse(data []byte) ([]Var, []Problem) {
	p := parser{src: string(data), line: 1}
	// A UTF-8 byte order mark is not part of the first key.
	p.src = strings.TrimPrefix(p.src, "\ufeff")
	// Windows line endings, also inside quoted values, read as "\n".
	p.src = strings.ReplaceAll(p.src, "\r\n", "\n")
	for p.pos < len(p.src) {
		p.parseLine()
	}
	return p.vars, p.problems
}

// Map turns vars into a map; for repeated keys the last one wins.
func Map(vars []Var) map[string]string {
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.Key] = v.Value
	}
	return m
}

// ReadFile parses the file at path. A missing file is an error that
// satisfies errors.Is(err, fs.ErrNotExist); use Load to treat it as empty.
func ReadFile(path string) ([]Var, []Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	vars, problems := Parse(data)
	return vars, problems, nil
}

// Load is ReadFile with a missing file treated as an empty one.
func Load(path string) ([]Var, []Problem, error) {
	vars, problems, err := ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	return vars, problems, err
}

type parser struct {
	src      string
	pos      int
	line     int
	vars     []Var
	problems []Problem
}

// restOfLine returns the text up to the end of the current line and moves
// past the newline.
func (p *parser) restOfLine() string {
	end := strings.IndexByte(p.src[p.pos:], '\n')
	var s string
	if end < 0 {
		s = p.src[p.pos:]
		p.pos = len(p.src)
	} else {
		s = p.src[p.pos : p.pos+end]
		p.pos += end + 1
		p.line++
	}
	return strings.TrimSuffix(s, "\r")
}

func (p *parser) problem(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func (p *parser) skipBlanks() {
	for p.pos < len(p.src) && isBlank(p.src[p.pos]) {
		p.pos++
	}
}

// keyChar reports the characters a key may be written with. Dots and
// dashes are read (npm dotenv accepts them) so that ValidName can reject
// them with a helpful warning instead of a parse error.
func keyChar(c byte) bool {
	return c == '_' || c == '.' || c == '-' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func (p *parser) parseLine() {
	start := p.line
	p.skipBlanks()
	if p.pos >= len(p.src) {
		return
	}
	switch p.src[p.pos] {
	case '\n', '\r', '#':
		p.restOfLine()
		return
	}
	if strings.HasPrefix(p.src[p.pos:], "export") {
		after := p.pos + len("export")
		if after < len(p.src) && isBlank(p.src[after]) {
			p.pos = after
			p.skipBlanks()
		}
	}
	keyStart := p.pos
	for p.pos < len(p.src) && keyChar(p.src[p.pos]) {
		p.pos++
	}
	key := p.src[keyStart:p.pos]
	p.skipBlanks()
	if key == "" || p.pos >= len(p.src) || p.src[p.pos] != '=' {
		rest := p.restOfLine()
		if key == "" {
			p.problem(start, "expected KEY=value, found %q", strings.TrimSpace(rest))
		} else {
			p.problem(start, "expected \"=\" after %q", key)
		}
		return
	}
	p.pos++ // '='
	p.skipBlanks()
	value := p.parseValue(start, key)
	p.vars = append(p.vars, Var{Key: key, Value: value, Line: start})
}

// parseValue reads the value of key that starts at p.pos and consumes the
// rest of its (last) line.
func (p *parser) parseValue(start int, key string) string {
	if p.pos >= len(p.src) {
		return ""
	}
	q := p.src[p.pos]
	if q != '"' && q != '\'' && q != '`' {
		return unquoted(p.restOfLine())
	}
	quotePos, quoteLine := p.pos, p.line
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			if tail := strings.TrimSpace(p.restOfLine()); tail != "" && tail[0] != '#' {
				p.problem(start, "unexpected %q after the closing quote", tail)
			}
			return b.String()
		case c == '\\' && q == '"' && p.pos+1 < len(p.src):
			p.pos += 2
			switch e := p.src[p.pos-1]; e {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\':
				b.WriteByte(e)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			continue
		case c == '\n':
			p.line++
		}
		b.WriteByte(c)
		p.pos++
	}
	// No closing quote up to the end of the file. npm dotenv (the Vercel
	// CLI's) then reads the line as an unquoted value, opening quote
	// included, and goes on with the next line; so do we, rather than
	// lose every variable after this one.
	p.pos, p.line = quotePos, quoteLine
	value := unquoted(p.restOfLine())
	p.problem(start, "unterminated %c-quoted value: %s is read up to the end of its line, opening quote included, as the Vercel CLI reads it; add the closing %c", q, key, q)
	return value
}

// unquoted trims an unquoted value and cuts an inline comment (a "#" at
// the start or after a blank).
func unquoted(raw string) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && (i == 0 || isBlank(raw[i-1])) {
			raw = raw[:i]
			break
		}
	}
	return strings.TrimSpace(raw)
}
