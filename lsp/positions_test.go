package lsp

import (
	"fmt"
	"slices"
	"testing"
	"unicode/utf8"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/runtimes"
)

func pos(line, char uint32) protocol.Position { return protocol.Position{Line: line, Character: char} }

func TestMapperPosition(t *testing.T) {
	const text = "ab\nhé🎉x\r\nlast"
	//            0123 4 5 6789 (bytes: é is 2, 🎉 is 4)
	m := newMapper([]byte(text))
	for _, tc := range []struct {
		offset int
		want   protocol.Position
	}{
		{0, pos(0, 0)},
		{2, pos(0, 2)},
		{3, pos(1, 0)},
		{4, pos(1, 1)},  // after h
		{6, pos(1, 2)},  // after é (2 bytes, 1 unit)
		{10, pos(1, 4)}, // after 🎉 (4 bytes, 2 units)
		{11, pos(1, 5)}, // after x, before \r
		{12, pos(1, 5)}, // inside \r\n: clamped to the line end
		{13, pos(2, 0)},
		{17, pos(2, 4)},
		{99, pos(2, 4)},
		{-1, pos(0, 0)},
	} {
		if got := m.position(tc.offset); got != tc.want {
			t.Errorf("position(%d) = %+v, want %+v", tc.offset, got, tc.want)
		}
	}
}

func TestMapperOffset(t *testing.T) {
	const text = "ab\nhé🎉x\r\nlast"
	m := newMapper([]byte(text))
	for _, tc := range []struct {
		p    protocol.Position
		want int
	}{
		{pos(0, 0), 0},
		{pos(0, 99), 2}, // past the line end: the line end
		{pos(1, 2), 6},
		{pos(1, 3), 6}, // inside the surrogate pair: the start of 🎉
		{pos(1, 4), 10},
		{pos(1, 9), 11}, // past the end of a CRLF line: before \r
		{pos(2, 2), 15},
		{pos(7, 0), len(text)}, // past the last line
	} {
		if got := m.offset(tc.p); got != tc.want {
			t.Errorf("offset(%+v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	// Round trip on every rune boundary.
	for i := 0; i <= len(text); {
		if text[min(i, len(text)-1)] == '\n' && i > 0 && text[i-1] == '\r' {
			i++
			continue
		}
		if got := m.offset(m.position(i)); got != i && !(i < len(text) && text[i] == '\n') {
			t.Errorf("offset(position(%d)) = %d", i, got)
		}
		if i == len(text) {
			break
		}
		_, size := utf8.DecodeRuneInString(text[i:])
		i += size
	}
}

func TestMapperInvalidUTF8(t *testing.T) {
	m := newMapper([]byte("a\xff\xfeb"))
	if got := m.position(3); got != pos(0, 3) {
		t.Errorf("position after two invalid bytes = %+v, want 0:3", got)
	}
	if got := m.offset(pos(0, 2)); got != 2 {
		t.Errorf("offset(0:2) = %d, want 2", got)
	}
}

func TestMapperFromRuntime(t *testing.T) {
	m := newMapper([]byte("package x\n\n\tfunc é() {}\n"))
	for _, tc := range []struct {
		name string
		r    runtimes.Range
		want protocol.Range
	}{
		{"line and column", runtimes.Range{Start: runtimes.Position{Line: 3, Column: 7}, End: runtimes.Position{Line: 3, Column: 9}},
			protocol.Range{Start: pos(2, 6), End: pos(2, 7)}},
		{"line only: the line's text", runtimes.Range{Start: runtimes.Position{Line: 3}},
			protocol.Range{Start: pos(2, 1), End: pos(2, 12)}},
		{"unknown: the start", runtimes.Range{}, protocol.Range{}},
		{"column past the line", runtimes.Range{Start: runtimes.Position{Line: 1, Column: 80}},
			protocol.Range{Start: pos(0, 9), End: pos(0, 9)}},
		{"line past the file", runtimes.Range{Start: runtimes.Position{Line: 90, Column: 1}},
			protocol.Range{Start: pos(3, 0), End: pos(3, 0)}},
	} {
		if got := m.rangeOf(tc.r); got != tc.want {
			t.Errorf("%s: rangeOf = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// Issue (review C, bug 4): a lone "\r" ends an LSP line, as "\n" and
// "\r\n" do.
func TestMapperLoneCR(t *testing.T) {
	const text = "a\rbc\r\nd\re"
	//            0 1 23 4 5 6 7 8
	m := newMapper([]byte(text))
	for _, tc := range []struct {
		offset int
		want   protocol.Position
	}{
		{1, pos(0, 1)},
		{2, pos(1, 0)}, // after the lone \r
		{4, pos(1, 2)},
		{5, pos(1, 2)}, // inside \r\n
		{6, pos(2, 0)},
		{8, pos(3, 0)},
		{9, pos(3, 1)},
	} {
		if got := m.position(tc.offset); got != tc.want {
			t.Errorf("position(%d) = %+v, want %+v", tc.offset, got, tc.want)
		}
	}
	for _, tc := range []struct {
		p    protocol.Position
		want int
	}{
		{pos(0, 9), 1}, // past the end of a line ended by \r: before it
		{pos(1, 1), 3},
		{pos(2, 1), 7},
		{pos(3, 0), 8},
	} {
		if got := m.offset(tc.p); got != tc.want {
			t.Errorf("offset(%+v) = %d, want %d", tc.p, got, tc.want)
		}
	}
	if got := string(applyChanges([]byte("one\rtwo\nthree"), []changeEvent{{&protocol.Range{Start: pos(1, 0), End: pos(1, 3)}, "2"}})); got != "one\r2\nthree" {
		t.Errorf("edit of the line after a lone \\r = %q", got)
	}
}

// Positions from tools: by offset when they have one; by line and column
// counted as the tool counts lines otherwise: "\n" only for Go (go/token,
// the compiler), lone "\r" too for Python.
func TestMapperToolLines(t *testing.T) {
	const text = "x\ry\nzz\n" // LSP lines: "x", "y", "zz"; "\n" lines: "x\ry", "zz"
	lineCol := runtimes.Range{Start: runtimes.Position{Line: 2, Column: 2}}
	lineOnly := runtimes.Range{Start: runtimes.Position{Line: 2}}
	byOffset := runtimes.Range{Start: runtimes.Position{Line: 9, Column: 9, Offset: 2}}
	for _, tc := range []struct {
		file string
		r    runtimes.Range
		want protocol.Range
	}{
		{"api/h.go", lineCol, protocol.Range{Start: pos(2, 1), End: pos(2, 1)}},
		{"api/h.go", lineOnly, protocol.Range{Start: pos(2, 0), End: pos(2, 2)}},
		{"api/h.py", lineCol, protocol.Range{Start: pos(1, 1), End: pos(1, 1)}},
		{"api/h.py", lineOnly, protocol.Range{Start: pos(1, 0), End: pos(1, 1)}},
		{"api/h.go", byOffset, protocol.Range{Start: pos(1, 0), End: pos(1, 0)}},
		{"vercel.json", byOffset, protocol.Range{Start: pos(1, 0), End: pos(1, 0)}},
	} {
		if got := newFileMapper(tc.file, []byte(text)).rangeOf(tc.r); got != tc.want {
			t.Errorf("%s: rangeOf(%+v) = %+v, want %+v", tc.file, tc.r, got, tc.want)
		}
	}
}

func TestApplyChanges(t *testing.T) {
	rng := func(sl, sc, el, ec uint32) *protocol.Range {
		return &protocol.Range{Start: pos(sl, sc), End: pos(el, ec)}
	}
	for _, tc := range []struct {
		name    string
		in      string
		changes []changeEvent
		want    string
	}{
		{"insert", "abc", []changeEvent{{rng(0, 1, 0, 1), "X"}}, "aXbc"},
		{"delete across lines", "ab\ncd\nef", []changeEvent{{rng(0, 1, 2, 1), ""}}, "af"},
		{"after an emoji", "🎉a", []changeEvent{{rng(0, 2, 0, 3), "b"}}, "🎉b"},
		{"whole document", "old", []changeEvent{{nil, "new"}}, "new"},
		{"in order", "abc", []changeEvent{{rng(0, 0, 0, 1), ""}, {rng(0, 0, 0, 1), "X"}}, "Xc"},
		{"reversed range", "abcd", []changeEvent{{rng(0, 3, 0, 1), "-"}}, "a-d"},
		{"out of range is clamped", "ab", []changeEvent{{rng(5, 0, 9, 9), "!"}}, "ab!"},
	} {
		if got := string(applyChanges([]byte(tc.in), tc.changes)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzApplyChanges: edits never panic, and an edit with a valid range is
// the byte splice the editor means.
func FuzzApplyChanges(f *testing.F) {
	f.Add("hello\nwörld 🎉\r\n", uint32(1), uint32(2), uint32(1), uint32(7), "X")
	f.Add("", uint32(0), uint32(0), uint32(0), uint32(0), "new\n")
	f.Add("a\xffb", uint32(0), uint32(1), uint32(9), uint32(9), "")
	f.Add("a\rb\r\nc\r", uint32(1), uint32(0), uint32(2), uint32(1), "\r")
	f.Fuzz(func(t *testing.T, text string, sl, sc, el, ec uint32, insert string) {
		m := newMapper([]byte(text))
		r := &protocol.Range{Start: pos(sl, sc), End: pos(el, ec)}
		got := applyChanges([]byte(text), []changeEvent{{r, insert}})
		s, e := m.offset(r.Start), m.offset(r.End)
		if e < s {
			s, e = e, s
		}
		if want := text[:s] + insert + text[e:]; string(got) != want {
			t.Fatalf("applyChanges = %q, want %q", got, want)
		}
		// Positions of the result stay within it.
		m2 := newMapper(got)
		for _, o := range []int{0, len(got) / 2, len(got)} {
			if off := m2.offset(m2.position(o)); off < 0 || off > len(got) {
				t.Fatalf("offset out of range: %d", off)
			}
		}
	})
}

// A build error that the type check reported at the same place with the
// same words is shown once; a different one is kept.
func TestMergedShowsAnErrorOnce(t *testing.T) {
	d := newDiagState()
	content := []byte("package handler\n")
	at := runtimes.Range{Start: runtimes.Position{Line: 12, Column: 20}}
	typed := runtimes.Diagnostic{File: "api/hello.go", Range: at, Code: "go-type-error", Message: "undefined: greet.Helo"}
	d.setTyped([]string{"api/hello.go"}, map[string]uint64{"api/hello.go": d.sum(content)}, []runtimes.Diagnostic{typed}, nil)
	same := runtimes.Diagnostic{File: "api/hello.go", Range: at, Code: "go-build", Message: "undefined: greet.Helo"}
	other := runtimes.Diagnostic{File: "api/hello.go", Range: runtimes.Range{Start: runtimes.Position{Line: 3, Column: 1}}, Code: "go-build", Message: "other"}
	got := d.merged("api/hello.go", []runtimes.Diagnostic{same, other}, func() []byte { return content })
	var codes []string
	for _, x := range got {
		codes = append(codes, fmt.Sprintf("%d:%s", x.Range.Start.Line, x.Code))
	}
	if want := []string{"12:go-type-error", "3:go-build"}; !slices.Equal(codes, want) {
		t.Errorf("merged = %v, want %v", codes, want)
	}
}
