package config

import (
	"bytes"
	"math"
	"sort"
	"strconv"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Kind is the JSON type of a Node.
type Kind uint8

// The JSON types. The zero Kind is never produced by the parser.
const (
	Invalid Kind = iota
	Object
	Array
	String
	Number
	Bool
	Null
)

// String returns the JSON name of k ("object", "boolean", ...).
func (k Kind) String() string {
	switch k {
	case Object:
		return "object"
	case Array:
		return "array"
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "boolean"
	case Null:
		return "null"
	}
	return "invalid"
}

// Node is one JSON value with its place in the source. Unlike
// encoding/json it keeps positions, member order and duplicate keys, which
// is what diagnostics, hovers and completions on vercel.json need.
type Node struct {
	Kind Kind
	// Range covers the value's source text (from '{' to '}' for an object,
	// quotes included for a string). For a value cut short by a syntax
	// error it ends where parsing stopped.
	Range runtimes.Range
	// Key is the decoded member name when the node is the value of an
	// object member; empty otherwise (and for the root).
	Key string
	// KeyRange covers the member name including its quotes; zero when the
	// node is not an object member.
	KeyRange runtimes.Range
	// Str is the decoded value of a String.
	Str string
	// Raw is the source text of a Number, as written ("1e3", "-0.5").
	Raw string
	// Num is the value of a Number: ±Inf when it overflows a float64.
	Num float64
	// Bool is the value of a Bool.
	Bool bool
	// Children are the members of an Object (each with Key set) or the
	// elements of an Array, in source order. Duplicate keys are all kept;
	// Get returns the last one, as JSON.parse would.
	Children []*Node
}

// Get returns the value of the last member of object n named key, or nil
// when n is nil, not an object, or has no such member.
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Object {
		return nil
	}
	for i := len(n.Children) - 1; i >= 0; i-- {
		if n.Children[i].Key == key {
			return n.Children[i]
		}
	}
	return nil
}

// Int returns the value of a Number that is an integer (1000 or 1e3, not
// 1.5) representable as an int64; ok is false otherwise.
func (n *Node) Int() (v int64, ok bool) {
	if n == nil || n.Kind != Number {
		return 0, false
	}
	if i, err := strconv.ParseInt(n.Raw, 10, 64); err == nil {
		return i, true
	}
	const exact = 1 << 53 // beyond this a float64 no longer holds every integer
	if n.Num == math.Trunc(n.Num) && math.Abs(n.Num) <= exact {
		return int64(n.Num), true
	}
	return 0, false
}

// Value decodes n into plain Go values the way encoding/json would into an
// any: map[string]any (the last duplicate wins), []any, string, float64,
// bool or nil.
func (n *Node) Value() any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case Object:
		m := make(map[string]any, len(n.Children))
		for _, c := range n.Children {
			m[c.Key] = c.Value()
		}
		return m
	case Array:
		a := make([]any, len(n.Children))
		for i, c := range n.Children {
			a[i] = c.Value()
		}
		return a
	case String:
		return n.Str
	case Number:
		return n.Num
	case Bool:
		return n.Bool
	}
	return nil
}

// Path returns the chain of nodes from n down to the innermost node whose
// value or key contains the byte offset (an end offset counts as inside, so
// that a cursor just after a value still finds it). It returns nil when
// offset is outside n.
func (n *Node) Path(offset int) []*Node {
	if n == nil || offset < n.Range.Start.Offset || offset > n.Range.End.Offset {
		return nil
	}
	path := []*Node{n}
	for cur := n; ; {
		next := (*Node)(nil)
		for _, c := range cur.Children {
			if inRange(c.Range, offset) || (c.KeyRange.End.Line != 0 && inRange(c.KeyRange, offset)) {
				next = c
				break
			}
		}
		if next == nil {
			return path
		}
		path = append(path, next)
		cur = next
	}
}

func inRange(r runtimes.Range, offset int) bool {
	return r.Start.Offset <= offset && offset <= r.End.Offset
}

// lineIndex turns byte offsets into positions. Lines end at '\n'; a "\r\n"
// pair leaves the '\r' as the last byte of its line.
type lineIndex struct {
	starts []int // byte offset at which each line starts
	size   int
}

func newLineIndex(src []byte) lineIndex {
	starts := make([]int, 1, 1+bytes.Count(src, []byte{'\n'}))
	for off := 0; ; {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			break
		}
		off += i + 1
		starts = append(starts, off)
	}
	return lineIndex{starts: starts, size: len(src)}
}

// pos returns the position of offset, clamped to [0, size].
func (li lineIndex) pos(offset int) runtimes.Position {
	offset = min(max(offset, 0), li.size)
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > offset }) - 1
	return runtimes.Position{Line: line + 1, Column: offset - li.starts[line] + 1, Offset: offset}
}

func (li lineIndex) rng(start, end int) runtimes.Range {
	return runtimes.Range{Start: li.pos(start), End: li.pos(max(start, end))}
}
