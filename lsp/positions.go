package lsp

import (
	"sort"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/runtimes"
)

// mapper converts between byte offsets in a file's content and LSP
// positions, whose character counts UTF-16 code units (go.lsp.dev/protocol
// v0.12.0 predates position-encoding negotiation, so UTF-16 is the only
// encoding a client can assume).
//
// Lines end at "\n"; a "\r" before it is not part of the line's text, so a
// position past the end of a CRLF line maps before the "\r". A lone "\r" is
// not treated as a line break (neither Go, Python nor the JSON parser of
// vercel.json count it as one, and the byte positions we convert come from
// them). Invalid UTF-8 counts one code unit per byte, as decoding it with
// utf8.DecodeRune yields one replacement rune per byte.
//
// A mapper never fails: positions outside the content are clamped to it.
type mapper struct {
	content []byte
	// lines holds the offset of the start of every line; computed on first
	// use.
	lines []int
}

func newMapper(content []byte) *mapper { return &mapper{content: content} }

func (m *mapper) lineStarts() []int {
	if m.lines == nil {
		m.lines = append(make([]int, 0, 64), 0)
		for i, b := range m.content {
			if b == '\n' {
				m.lines = append(m.lines, i+1)
			}
		}
	}
	return m.lines
}

// lineBounds returns the byte range [start, end) of line (0-based) without
// its line terminator, clamping line to the file.
func (m *mapper) lineBounds(line int) (start, end int) {
	ls := m.lineStarts()
	if line < 0 {
		line = 0
	}
	if line >= len(ls) {
		return len(m.content), len(m.content)
	}
	start = ls[line]
	end = len(m.content)
	if line+1 < len(ls) {
		end = ls[line+1] - 1 // the '\n'
	}
	if end > start && m.content[end-1] == '\r' && end < len(m.content) && m.content[end] == '\n' {
		end--
	}
	return start, end
}

// position converts a 0-based byte offset to an LSP position.
func (m *mapper) position(offset int) protocol.Position {
	if offset < 0 {
		offset = 0
	}
	if offset > len(m.content) {
		offset = len(m.content)
	}
	ls := m.lineStarts()
	line := sort.Search(len(ls), func(i int) bool { return ls[i] > offset }) - 1
	start, end := m.lineBounds(line)
	if offset > end {
		offset = end // inside a "\r\n"
	}
	return protocol.Position{Line: uint32(line), Character: uint32(utf16Len(m.content[start:offset]))}
}

// offset converts an LSP position to a 0-based byte offset. A character
// past the end of its line means the end of the line (as the LSP
// specification asks), a line past the end of the file means the end of
// the file, and a character inside a surrogate pair or a multi-byte UTF-8
// sequence rounds down to the start of that character.
func (m *mapper) offset(p protocol.Position) int {
	ls := m.lineStarts()
	if int64(p.Line) >= int64(len(ls)) {
		return len(m.content)
	}
	start, end := m.lineBounds(int(p.Line))
	want := int(p.Character)
	units := 0
	i := start
	for i < end {
		r, size := utf8.DecodeRune(m.content[i:end])
		n := 1
		if r >= 0x10000 && r != utf8.RuneError {
			n = 2
		}
		if units+n > want {
			break
		}
		units += n
		i += size
	}
	return i
}

// fromRuntime converts a byte-based runtimes.Position. Line and Column
// (1-based, bytes) win when Line is set, because compiler output carries
// only those; otherwise the position is unknown and maps to the start of
// the file. A column past the end of its line is clamped to it.
func (m *mapper) fromRuntime(p runtimes.Position) protocol.Position {
	return m.position(m.byteOffset(p))
}

// byteOffset is the byte offset of p in the content (see fromRuntime).
func (m *mapper) byteOffset(p runtimes.Position) int {
	if p.Line <= 0 {
		if p.Offset > 0 {
			return min(p.Offset, len(m.content))
		}
		return 0
	}
	start, end := m.lineBounds(p.Line - 1)
	col := max(p.Column, 1)
	return min(start+col-1, end)
}

// rangeOf converts a runtimes.Range. An empty or unknown end becomes the
// start; a range whose start has a line but no column covers the line's
// text (compiler messages and Python tracebacks often name only a line).
func (m *mapper) rangeOf(r runtimes.Range) protocol.Range {
	if r.Start.Line > 0 && r.Start.Column <= 0 {
		start, end := m.lineBounds(r.Start.Line - 1)
		for start < end && (m.content[start] == ' ' || m.content[start] == '\t') {
			start++
		}
		return protocol.Range{Start: m.position(start), End: m.position(end)}
	}
	s := m.byteOffset(r.Start)
	e := s
	if r.End.Line > 0 || r.End.Offset > 0 {
		e = max(m.byteOffset(r.End), s)
	}
	return protocol.Range{Start: m.position(s), End: m.position(e)}
}

// utf16Len counts the UTF-16 code units of b.
func utf16Len(b []byte) int {
	n := 0
	for len(b) > 0 {
		if b[0] < utf8.RuneSelf {
			n++
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		n += max(utf16.RuneLen(r), 1)
		b = b[size:]
	}
	return n
}
