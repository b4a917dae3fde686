package python

import (
	"bytes"
	"sort"
	"strconv"

	"github.com/lambdalens/lambdalens/runtimes"
)

// The byte-level helpers of the tokenizer, and the line index that turns
// offsets into positions.

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameChar(c byte) bool { return isNameStart(c) || isDigit(c) }

// scanName returns the end of the identifier at i. Bytes >= 0x80 count as
// identifier bytes: Python allows Unicode identifiers, and invalid UTF-8
// has to go somewhere.
func scanName(src []byte, i int) int {
	for i < len(src) && isNameChar(src[i]) {
		i++
	}
	return i
}

// isStringPrefix reports whether p is a string prefix: r, u, b, f, t or a
// two-letter combination (rb, br, fr, rf, tr, rt), in any case.
func isStringPrefix(p []byte) bool {
	if len(p) == 0 || len(p) > 2 {
		return false
	}
	for _, c := range p {
		switch c | 0x20 {
		case 'r', 'u', 'b', 'f', 't':
		default:
			return false
		}
	}
	return true
}

func hasFormatPrefix(p []byte) bool {
	for _, c := range p {
		if c|0x20 == 'f' || c|0x20 == 't' {
			return true
		}
	}
	return false
}

// scanNumber returns the end of the numeric literal at i (decimal, hex,
// octal, binary, float, exponent, imaginary, with underscores).
func scanNumber(src []byte, i int) int {
	for i < len(src) {
		c := src[i]
		switch {
		case isNameChar(c) || c == '.':
			i++
		case (c == '+' || c == '-') && (src[i-1]|0x20) == 'e':
			i++
		default:
			return i
		}
	}
	return i
}

// scanOp returns the end of the operator or delimiter at i. Multi-byte
// operators are kept whole so that "=" is never confused with "==", ":="
// or "+=".
func scanOp(src []byte, i int) int {
	c := src[i]
	j := i + 1
	next := func(b byte) bool { return j < len(src) && src[j] == b }
	switch c {
	case '(', ')', '[', ']', '{', '}', ',', ';', '~':
		return j
	case '.':
		if next('.') && j+1 < len(src) && src[j+1] == '.' {
			return j + 2
		}
		return j
	case '-':
		if next('>') {
			return j + 1
		}
	case '*', '/', '<', '>':
		if next(c) {
			j++
		}
	}
	switch c {
	case '=', '!', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '@', ':':
		if next('=') {
			j++
		}
	}
	return j
}

func skipBlanks(src []byte, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
		i++
	}
	return i
}

// lineEnd returns the offset of the newline ending the line of i, or
// len(src).
func lineEnd(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' && src[i] != '\r' {
		i++
	}
	return i
}

// skipNewline skips the newline at i ("\n", "\r\n" or a lone "\r").
func skipNewline(src []byte, i int) int {
	if i < len(src) && src[i] == '\r' {
		i++
	}
	if i < len(src) && src[i] == '\n' {
		i++
	}
	return i
}

// skipNewlineOrByte skips the newline at i, or one byte.
func skipNewlineOrByte(src []byte, i int) int {
	if src[i] == '\n' || src[i] == '\r' {
		return skipNewline(src, i)
	}
	return i + 1
}

// lineIndex maps byte offsets to positions. Lines end at "\n", "\r\n" or a
// lone "\r", as for Python and LSP.
type lineIndex struct {
	starts []int
}

func newLineIndex(src []byte) *lineIndex {
	starts := make([]int, 1, 64)
	if bytes.IndexByte(src, '\r') < 0 {
		for i := 0; ; {
			j := bytes.IndexByte(src[i:], '\n')
			if j < 0 {
				return &lineIndex{starts: starts}
			}
			i += j + 1
			starts = append(starts, i)
		}
	}
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			starts = append(starts, i+1)
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{starts: starts}
}

// line returns the 0-based line of off and its start offset.
func (l *lineIndex) line(off int) (int, int) {
	n := sort.Search(len(l.starts), func(i int) bool { return l.starts[i] > off }) - 1
	n = max(n, 0)
	return n, l.starts[n]
}

func (l *lineIndex) lineString(off int) string {
	n, _ := l.line(off)
	return strconv.Itoa(n + 1)
}

// position converts a byte offset to a Position.
func (l *lineIndex) position(off int) runtimes.Position {
	n, start := l.line(off)
	return runtimes.Position{Line: n + 1, Column: off - start + 1, Offset: off}
}
