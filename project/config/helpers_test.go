package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// want is one expected diagnostic. at locates it: the position of '^' in
// the first occurrence of at (with the '^' removed) in the source, or the
// start of that occurrence when at has no '^'; "$EOF" is the end of input.
type want struct {
	sev  runtimes.Severity
	code string
	at   string
}

func e(code, at string) want { return want{runtimes.SeverityError, code, at} }
func w(code, at string) want { return want{runtimes.SeverityWarning, code, at} }

// posOf computes the line and column of offset independently of the
// parser's line index.
func posOf(src string, off int) (line, col int) {
	before := src[:off]
	return strings.Count(before, "\n") + 1, off - (strings.LastIndexByte(before, '\n') + 1) + 1
}

func (x want) render(t *testing.T, src string) string {
	t.Helper()
	off := len(src)
	if x.at != "$EOF" {
		anchor := strings.Replace(x.at, "^", "", 1)
		i := strings.Index(src, anchor)
		if i < 0 {
			t.Fatalf("anchor %q not in source", x.at)
		}
		off = i + max(0, strings.IndexByte(x.at, '^'))
	}
	line, col := posOf(src, off)
	return fmt.Sprintf("%d:%d %s %s", line, col, x.sev, x.code)
}

func render(d runtimes.Diagnostic) string {
	return fmt.Sprintf("%d:%d %s %s", d.Range.Start.Line, d.Range.Start.Column, d.Severity, d.Code)
}

var kebab = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// checkDiags asserts the invariants every diagnostic must hold: it names
// the file, has a kebab-case code, a message, a known severity, and a range
// inside src whose lines and columns agree with its offsets.
func checkDiags(t testing.TB, file string, src []byte, diags []runtimes.Diagnostic) {
	t.Helper()
	for _, d := range diags {
		if d.File != file || d.Message == "" || !kebab.MatchString(d.Code) || d.Severity < runtimes.SeverityError || d.Severity > runtimes.SeverityHint {
			t.Errorf("malformed diagnostic %+v", d)
		}
		checkRange(t, src, d.Range, d.String())
		for _, r := range d.Related {
			checkRange(t, src, r.Range, "related of "+d.String())
		}
	}
}

func checkRange(t testing.TB, src []byte, r runtimes.Range, what string) {
	t.Helper()
	if r.Start.Offset < 0 || r.End.Offset > len(src) || r.Start.Offset > r.End.Offset {
		t.Errorf("%s: range %+v outside input of %d bytes", what, r, len(src))
		return
	}
	for _, p := range []runtimes.Position{r.Start, r.End} {
		line, col := posOf(string(src), p.Offset)
		if p.Line != line || p.Column != col {
			t.Errorf("%s: position %+v, want line %d column %d for offset %d", what, p, line, col, p.Offset)
		}
	}
}

// checkTree asserts node invariants: ranges inside src and consistent,
// children inside their parent and in source order, keys only on members.
func checkTree(t testing.TB, src []byte, n *Node) {
	t.Helper()
	if n == nil {
		return
	}
	stack := []*Node{n}
	for len(stack) > 0 {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		checkRange(t, src, cur.Range, "node "+cur.Kind.String())
		prev := cur.Range.Start.Offset
		for _, c := range cur.Children {
			start := c.Range.Start.Offset
			if cur.Kind == Object {
				checkRange(t, src, c.KeyRange, "key "+c.Key)
				start = c.KeyRange.Start.Offset
			}
			if start < prev || c.Range.End.Offset > cur.Range.End.Offset {
				t.Errorf("child %+v out of order or outside its parent %+v", c.Range, cur.Range)
			}
			prev = c.Range.End.Offset
			stack = append(stack, c)
		}
	}
}

func diagStrings(diags []runtimes.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.String())
	}
	return out
}

// codes returns the sorted "line:col severity code" renderings.
func codes(diags []runtimes.Diagnostic) []string {
	out := make([]string, len(diags))
	for i, d := range diags {
		out[i] = render(d)
	}
	slices.Sort(out)
	return out
}
