package lsp

import (
	"sort"
	"strings"
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
// LSP lines end at "\n", "\r\n" or a lone "\r", as the specification
// says and as editors split them: an incremental edit's range is in those
// lines. A position past the end of a line maps before its terminator.
// Invalid UTF-8 counts one code unit per byte, as decoding it with
// utf8.DecodeRune yields one replacement rune per byte.
//
// Positions from the runtimes and tools are converted by byte offset when
// they have one, which is the same whatever a tool counts as a line. Those
// with only a line and a column (compiler messages, go/types errors,
// tracebacks) are read the way the tool that wrote them counts lines:
// Python (CPython and our analyzer) ends lines at a lone "\r" too, while
// go/token, the go command and the JSON and TOML parsers end them at "\n"
// only (a lone "\r" is white space in Go and JSON). See newFileMapper.
//
// A mapper never fails: positions outside the content are clamped to it.
type mapper struct {
	content []byte
	// lines holds the offset of the start of every LSP line; computed on
	// first use.
	lines []int
	// toolLF: line-and-column positions count lines at "\n" only; lf
	// holds the starts of those lines, computed on first use.
	toolLF bool
	lf     []int
}

// newMapper returns a mapper for content whose line-and-column positions
// count lines at "\n" only, as Go tools do.
func newMapper(content []byte) *mapper { return &mapper{content: content, toolLF: true} }

// newFileMapper returns a mapper for the content of file (a path), reading
// line-and-column positions as the tools that report on such a file count
// lines: Python files end lines at a lone "\r" too, others do not.
func newFileMapper(file string, content []byte) *mapper {
	m := newMapper(content)
	m.toolLF = !strings.HasSuffix(file, ".py")
	return m
}

// lineStarts returns the starts of the LSP lines.
func (m *mapper) lineStarts() []int {
	if m.lines == nil {
		m.lines = append(make([]int, 0, 64), 0)
		for i, b := range m.content {
			if b == '\n' || b == '\r' && (i+1 == len(m.content) || m.content[i+1] != '\n') {
				m.lines = append(m.lines, i+1)
			}
		}
	}
	return m.lines
}

// lfStarts returns the starts of the lines ended by "\n" alone.
func (m *mapper) lfStarts() []int {
	if m.lf == nil {
		m.lf = append(make([]int, 0, 64), 0)
		for i, b := range m.content {
			if b == '\n' {
				m.lf = append(m.lf, i+1)
			}
		}
	}
	return m.lf
}

// lineBounds returns the byte range [start, end) of LSP line (0-based)
// without its line terminator, clamping line to the file.
func (m *mapper) lineBounds(line int) (start, end int) {
	return m.bounds(m.lineStarts(), line)
}

// toolLineBounds is lineBounds for a line as the file's tools count them.
func (m *mapper) toolLineBounds(line int) (start, end int) {
	if m.toolLF {
		return m.bounds(m.lfStarts(), line)
	}
	return m.lineBounds(line)
}

// bounds returns the text of line (0-based) of the lines starting at ls,
// without the terminator ("\n", "\r\n" or "\r") that ends it.
func (m *mapper) bounds(ls []int, line int) (start, end int) {
	line = max(line, 0)
	if line >= len(ls) {
		return len(m.content), len(m.content)
	}
	start = ls[line]
	if line+1 == len(ls) {
		return start, len(m.content) // the last line has no terminator
	}
	end = ls[line+1]
	if end > start && m.content[end-1] == '\n' {
		end--
	}
	if end > start && m.content[end-1] == '\r' {
		end--
	}
	return start, end
}

// position converts a 0-based byte offset to an LSP position.
func (m *mapper) position(offset int) protocol.Position {
	offset = max(0, min(offset, len(m.content)))
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

// fromRuntime converts a byte-based runtimes.Position: by its Offset when
// it has one (a non-zero Offset, or no Line), else by Line and Column
// (1-based, bytes), as compiler output carries only those, counting lines
// as the file's tools do (see mapper). The zero position is the start of
// the file; a column past the end of its line is clamped to it.
func (m *mapper) fromRuntime(p runtimes.Position) protocol.Position {
	return m.position(m.byteOffset(p))
}

// byteOffset is the byte offset of p in the content (see fromRuntime).
func (m *mapper) byteOffset(p runtimes.Position) int {
	if p.Offset > 0 || p.Line <= 0 {
		return max(0, min(p.Offset, len(m.content)))
	}
	start, end := m.toolLineBounds(p.Line - 1)
	col := max(p.Column, 1)
	return min(start+col-1, end)
}

// rangeOf converts a runtimes.Range. An empty or unknown end becomes the
// start; a range whose start has a line but no column covers the line's
// text (compiler messages and Python tracebacks often name only a line).
func (m *mapper) rangeOf(r runtimes.Range) protocol.Range {
	if r.Start.Line > 0 && r.Start.Column <= 0 && r.Start.Offset <= 0 {
		start, end := m.toolLineBounds(r.Start.Line - 1)
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
