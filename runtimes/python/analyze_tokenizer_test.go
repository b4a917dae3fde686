package python

import (
	"fmt"
	"slices"
	"testing"
)

// TestTokenizerLogicalLines checks where logical lines start and which are
// top-level, across strings, brackets, continuations and comments.
func TestTokenizerLogicalLines(t *testing.T) {
	src := []byte(`"""doc
app = 1
"""
import os  # comment (
x = (1,
2)
def f(a,
      b):
    y = """
def g():
"""
    return f'{a:{b}}' \
        + 'x'
s = 'it\'s'; t = "x"
\
z = [
  # ]
  ']'
]
@dec
class C: pass
	tabbed = 1
`)
	lines := newLineIndex(src)
	tk := newTokenizer(src, lines)
	var got []string
	for tk.next() {
		p := lines.position(tk.line.start)
		got = append(got, fmt.Sprintf("%d:%d top=%v toks=%d", p.Line, p.Column, tk.line.topLevel, len(tk.line.toks)))
	}
	want := []string{
		"1:1 top=true toks=1",  // docstring
		"4:1 top=true toks=2",  // import os
		"5:1 top=true toks=7",  // x = (1, 2)
		"7:1 top=true toks=8",  // def f(a, b):
		"9:5 top=false toks=0", // y = """...""" (not collected)
		"12:5 top=false toks=0",
		"14:1 top=true toks=7", // s = ...; t = ...
		"16:1 top=true toks=5", // z = [ ']' ]
		"20:1 top=true toks=2", // @dec
		"21:1 top=true toks=4", // class C: pass
		"22:2 top=false toks=0",
	}
	if !slices.Equal(got, want) {
		t.Errorf("logical lines:\n got %q\nwant %q", got, want)
	}
	if len(tk.problems) != 0 {
		t.Errorf("problems in valid code: %+v", tk.problems)
	}
}

func TestScanOp(t *testing.T) {
	for _, op := range []string{"=", "==", "!=", ":=", ":", "->", "-", "-=", "**", "**=", "//", "//=", "<<=", ">>", "...", ".", "@", "@=", "(", "~"} {
		src := []byte(op + " x")
		if end := scanOp(src, 0); end != len(op) {
			t.Errorf("scanOp(%q) = %d, want %d", op, end, len(op))
		}
	}
}
