package python

// This file is a small Python tokenizer that yields logical lines. It
// knows exactly as much Python as is needed to find where each top-level
// statement starts and what its tokens are; see the package documentation
// for the rules, recovery included.

// tokKind classifies a token.
type tokKind uint8

const (
	tokName   tokKind = iota + 1 // identifier or keyword
	tokNumber                    // numeric literal
	tokString                    // string literal of any kind, prefix included
	tokOp                        // operator or delimiter, brackets included
)

// token is a span of the source.
type token struct {
	kind       tokKind
	start, end int
}

// logicalLine is one logical line: a simple statement or the header of a
// compound statement, possibly spanning several physical lines.
type logicalLine struct {
	// start is the offset of the first token.
	start int
	// topLevel is set when the first token is at column 0 (form feeds
	// aside), that is, the statement belongs to the module body.
	topLevel bool
	// toks are the line's tokens, collected only for top-level lines and
	// import statements, and at most maxLineTokens of them.
	toks []token
}

// problem is a syntax problem found by the tokenizer.
type problem struct {
	start, end int
	msg        string
}

type openBracket struct {
	ch  byte
	off int
}

const (
	// maxLineTokens bounds the tokens kept for one logical line. Everything
	// the analysis looks at is near the start of a statement; a 10,000-line
	// dict literal need not be kept token by token.
	maxLineTokens = 2048
	// maxNesting bounds f-string nesting (f"{f'{x}'}"), so that hostile
	// input cannot recurse deeply.
	maxNesting = 16
)

// fieldStatus says how the scan of an f-string replacement field ended.
type fieldStatus uint8

const (
	fieldClosed       fieldStatus = iota // at its closing '}'
	fieldStringClosed                    // the enclosing string's closing quote came first
	fieldLineEnd                         // a newline ended a single-quoted f-string
	fieldEOF                             // the input ended
	fieldRecovered                       // a nested string recovered at a new statement
)

type tokenizer struct {
	src   []byte
	lines *lineIndex
	pos   int
	line  logicalLine
	// collect is set when the current line's tokens are kept.
	collect  bool
	brackets []openBracket
	problems []problem
	// noCloser[i] is the body offset from which a search for a closing '''
	// (i=0) or """ (i=1) reached EOF, or -1. A later search from further
	// on cannot succeed either, so it is skipped: this keeps the
	// tokenizer linear on files full of unterminated strings.
	noCloser [2]int
	// recovered is set when an unterminated triple-quoted string was ended
	// at a line that starts a new statement; the logical line ends there.
	recovered bool
}

func newTokenizer(src []byte, lines *lineIndex) *tokenizer {
	t := &tokenizer{src: src, lines: lines, noCloser: [2]int{-1, -1}}
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		t.pos = 3 // byte order mark
	}
	return t
}

// next scans the next logical line into t.line. It reports false at EOF.
func (t *tokenizer) next() bool {
	src := t.src
	for t.pos < len(src) {
		i := t.pos
		indented := false
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\f') {
			indented = indented || src[i] != '\f'
			i++
		}
		switch {
		case i == len(src):
			t.pos = i
			return false
		case src[i] == '\n' || src[i] == '\r':
			t.pos = skipNewline(src, i)
			continue
		case src[i] == '#':
			t.pos = lineEnd(src, i)
			continue
		case src[i] == '\\' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
			t.pos = skipNewline(src, i+1)
			continue
		}
		t.pos = i
		t.line = logicalLine{start: i, topLevel: !indented, toks: t.line.toks[:0]}
		t.collect = false
		t.brackets = t.brackets[:0]
		t.scanLine()
		return true
	}
	return false
}

// scanLine tokenizes from t.pos to the end of the logical line.
func (t *tokenizer) scanLine() {
	src := t.src
	first := true
	for t.pos < len(src) {
		c := src[t.pos]
		start := t.pos
		switch {
		case c == ' ' || c == '\t' || c == '\f':
			t.pos++
			continue
		case c == '#':
			t.pos = lineEnd(src, t.pos)
			continue
		case c == '\n' || c == '\r':
			t.pos = skipNewline(src, t.pos)
			if len(t.brackets) == 0 || t.recoverAt(t.pos, true) {
				return
			}
			continue
		case c == '\\':
			if t.pos+1 < len(src) && (src[t.pos+1] == '\n' || src[t.pos+1] == '\r') {
				t.pos = skipNewline(src, t.pos+1)
				// After a backslash only keywords end the statement:
				// "x = \" followed by "y = 1" is a valid chained assignment.
				if t.recoverAt(t.pos, len(t.brackets) > 0) {
					return
				}
				continue
			}
			t.pos++ // a stray backslash: the interpreter will say so
			continue
		case c == '\'' || c == '"':
			t.pos = t.scanString(start, start, false, 0)
			t.emit(tokString, start, t.pos, &first)
		case isNameStart(c):
			end := scanName(src, t.pos)
			if end < len(src) && (src[end] == '\'' || src[end] == '"') && isStringPrefix(src[start:end]) {
				t.pos = t.scanString(start, end, hasFormatPrefix(src[start:end]), 0)
				t.emit(tokString, start, t.pos, &first)
			} else {
				t.pos = end
				t.emit(tokName, start, end, &first)
			}
		case isDigit(c) || c == '.' && t.pos+1 < len(src) && isDigit(src[t.pos+1]):
			t.pos = scanNumber(src, t.pos)
			t.emit(tokNumber, start, t.pos, &first)
		default:
			t.pos = scanOp(src, t.pos)
			t.emit(tokOp, start, t.pos, &first)
			t.bracket(c, start)
		}
		if t.recovered {
			t.recovered = false
			t.brackets = t.brackets[:0]
			return
		}
	}
	if len(t.brackets) > 0 {
		b := t.brackets[0]
		t.problem(b.off, b.off+1, "`"+string(b.ch)+"` is never closed")
	}
}

func (t *tokenizer) emit(k tokKind, start, end int, first *bool) {
	if *first {
		*first = false
		t.collect = t.line.topLevel
		if k == tokName {
			w := string(t.src[start:end])
			t.collect = t.collect || w == "import" || w == "from"
		}
	}
	if t.collect && len(t.line.toks) < maxLineTokens {
		t.line.toks = append(t.line.toks, token{k, start, end})
	}
}

// bracket tracks nesting for the operator c at off.
func (t *tokenizer) bracket(c byte, off int) {
	var open byte
	switch c {
	case '(', '[', '{':
		t.brackets = append(t.brackets, openBracket{c, off})
		return
	case ')':
		open = '('
	case ']':
		open = '['
	case '}':
		open = '{'
	default:
		return
	}
	n := len(t.brackets)
	switch {
	case n == 0:
		t.report(off, off+1, "unmatched `"+string(c)+"`")
	case t.brackets[n-1].ch == open:
		t.brackets = t.brackets[:n-1]
	default:
		// Close the innermost bracket, or all up to a matching one:
		// "[1, 2)" and "f(x]" are both one typo.
		inner := t.brackets[n-1]
		if t.line.topLevel && !t.full() {
			t.report(off, off+1, "`"+string(c)+"` does not match `"+string(inner.ch)+"` on line "+t.lines.lineString(inner.off))
		}
		n--
		for i := n - 1; i >= 0; i-- {
			if t.brackets[i].ch == open {
				n = i
				break
			}
		}
		t.brackets = t.brackets[:n]
	}
}

// report records a problem of the current line if it is a top-level
// statement; problems inside indented code do not affect the analysis, and
// the interpreter reports them anyway.
func (t *tokenizer) report(start, end int, msg string) {
	if t.line.topLevel {
		t.problem(start, end, msg)
	}
}

// problem records a problem wherever it is: an unclosed bracket or string
// that made the scan recover matters even in indented code.
func (t *tokenizer) problem(start, end int, msg string) {
	if !t.full() {
		t.problems = append(t.problems, problem{start, end, msg})
	}
}

// full reports whether enough problems were recorded: only the first few
// are shown, and a file of thousands of broken lines is scanned without
// building thousands of messages.
func (t *tokenizer) full() bool { return len(t.problems) >= maxSyntaxDiagnostics }

// recoverAt decides whether the physical line at off, reached while a
// statement is still open (unclosed brackets or a backslash), starts a new
// statement instead. If so it reports the unclosed bracket, and the
// caller ends the logical line.
func (t *tokenizer) recoverAt(off int, assignments bool) bool {
	if !isRecoveryLine(t.src, off, assignments) {
		return false
	}
	if len(t.brackets) > 0 && !t.full() {
		b := t.brackets[0]
		t.problem(b.off, b.off+1, "`"+string(b.ch)+"` is never closed (line "+t.lines.lineString(off)+" starts a new statement)")
	}
	return true
}

// isRecoveryLine reports whether the physical line starting at off looks
// like the start of a top-level statement: it starts at column 0 with def,
// class, import, from, async def or a decorator, or (when assignments is
// set) with a name followed by whitespace and "=", as in "app = ...".
// A keyword argument at column 0 ("title=...", no spaces) is not one.
func isRecoveryLine(src []byte, off int, assignments bool) bool {
	if off >= len(src) {
		return false
	}
	if src[off] == '@' {
		return true
	}
	if !isNameStart(src[off]) {
		return false
	}
	end := scanName(src, off)
	switch string(src[off:end]) {
	case "def", "class", "import", "from":
		return true
	case "async":
		i := skipBlanks(src, end)
		return i > end && string(src[i:scanName(src, i)]) == "def"
	}
	if !assignments {
		return false
	}
	i := skipBlanks(src, end)
	return i > end && i < len(src) && src[i] == '=' && (i+1 == len(src) || src[i+1] != '=')
}

// scanString scans the string literal whose prefix starts at start and
// whose opening quote is at q, and returns the offset after it. fstring is
// set for f- and t-strings; nest is the f-string nesting depth.
func (t *tokenizer) scanString(start, q int, fstring bool, nest int) int {
	src := t.src
	quote := src[q]
	triple := q+2 < len(src) && src[q+1] == quote && src[q+2] == quote
	i := q + 1
	if triple {
		i = q + 3
		if nc := t.noCloser[quoteIndex(quote)]; nc >= 0 && i >= nc {
			return t.unterminatedTriple(start, q, nest)
		}
	}
	body := i
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\\':
			// An escaped character, or an escaped newline that continues
			// the string. Raw strings end no differently: r"\"" is one
			// string.
			i++
			if i < len(src) {
				i = skipNewlineOrByte(src, i)
			}
		case c == quote:
			if !triple {
				return i + 1
			}
			if i+2 < len(src) && src[i+1] == quote && src[i+2] == quote {
				return i + 3
			}
			i++
		case c == '\n' || c == '\r':
			if !triple {
				t.stringProblem(start, nest)
				return i
			}
			i++
		case fstring && c == '{':
			if i+1 < len(src) && src[i+1] == '{' {
				i += 2
				continue
			}
			if nest >= maxNesting {
				i++
				continue
			}
			j, st := t.scanField(i+1, quote, triple, nest+1)
			switch st {
			case fieldClosed:
				i = j
			case fieldStringClosed:
				if nest == 0 {
					t.report(i, i+1, "f-string: `{` is never closed")
				}
				return j
			case fieldLineEnd:
				t.stringProblem(start, nest)
				return j
			case fieldRecovered:
				if nest == 0 && !t.full() {
					t.problem(start, lineEnd(src, start), "unterminated string literal (line "+t.lines.lineString(j)+" starts a new statement)")
				}
				return j
			case fieldEOF:
				i = len(src)
			}
		default:
			i++
		}
	}
	if triple {
		if nc := &t.noCloser[quoteIndex(quote)]; *nc < 0 || body < *nc {
			*nc = body
		}
		return t.unterminatedTriple(start, q, nest)
	}
	t.stringProblem(start, nest)
	return len(src)
}

func (t *tokenizer) stringProblem(start, nest int) {
	if nest == 0 {
		t.report(start, lineEnd(t.src, start), "unterminated string literal")
	}
}

// unterminatedTriple ends a triple-quoted string that has no closing
// quotes before EOF: at the first line after its opening line that looks
// like a top-level statement, or at EOF.
func (t *tokenizer) unterminatedTriple(start, q, nest int) int {
	src := t.src
	end := len(src)
	for i := lineEnd(src, q); i < len(src); i = lineEnd(src, i) {
		i = skipNewline(src, i)
		if isRecoveryLine(src, i, true) {
			end = i
			t.recovered = true
			break
		}
	}
	if nest == 0 && !t.full() {
		msg := "unterminated triple-quoted string"
		if t.recovered {
			msg += " (line " + t.lines.lineString(end) + " starts a new statement)"
		}
		// Reported wherever it is: it swallows the code after it.
		t.problem(start, lineEnd(src, start), msg)
	}
	return end
}

// scanField scans an f-string replacement field from just after its '{'.
// The field is code: brackets nest and strings (of any quote, as in Python
// 3.12) are scanned recursively. A ':' outside brackets starts the format
// spec.
func (t *tokenizer) scanField(i int, quote byte, triple bool, nest int) (int, fieldStatus) {
	src := t.src
	depth := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n' || c == '\r':
			if !triple {
				return i, fieldLineEnd
			}
			i++
		case c == '\'' || c == '"':
			i = t.scanString(i, i, false, nest)
		case isNameStart(c):
			end := scanName(src, i)
			if end < len(src) && (src[end] == '\'' || src[end] == '"') && isStringPrefix(src[i:end]) {
				i = t.scanString(i, end, hasFormatPrefix(src[i:end]), nest)
			} else {
				i = end
			}
		case c == '(' || c == '[' || c == '{':
			depth++
			i++
		case c == ')' || c == ']':
			depth = max(0, depth-1)
			i++
		case c == '}':
			if depth == 0 {
				return i + 1, fieldClosed
			}
			depth--
			i++
		case c == ':' && depth == 0:
			return t.scanSpec(i+1, quote, triple, nest)
		default:
			i++
		}
		if t.recovered {
			return i, fieldRecovered
		}
	}
	return i, fieldEOF
}

// scanSpec scans a format spec (after the ':' of a replacement field): text
// with nested replacement fields, ending at '}'.
func (t *tokenizer) scanSpec(i int, quote byte, triple bool, nest int) (int, fieldStatus) {
	src := t.src
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n' || c == '\r':
			if !triple {
				return i, fieldLineEnd
			}
			i++
		case c == '{':
			if nest >= maxNesting {
				i++
				continue
			}
			j, st := t.scanField(i+1, quote, triple, nest+1)
			if st != fieldClosed {
				return j, st
			}
			i = j
		case c == '}':
			return i + 1, fieldClosed
		case c == quote:
			if !triple {
				return i + 1, fieldStringClosed
			}
			if i+2 < len(src) && src[i+1] == quote && src[i+2] == quote {
				return i + 3, fieldStringClosed
			}
			i++
		default:
			i++
		}
	}
	return i, fieldEOF
}

func quoteIndex(q byte) int {
	if q == '"' {
		return 1
	}
	return 0
}
