package config

import (
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

func TestParseJSONValues(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{`"a\"\\\/\b\f\n\r\t"`, "a\"\\/\b\f\n\r\t"},
		{`"\u00e9\u4e2d"`, "é中"},
		{`"\ud83d\ude00"`, "😀"},
		{`"\ud83d x"`, "\uFFFD x"}, // lone high surrogate
		{`"\ude00"`, "\uFFFD"},     // lone low surrogate
		{`"héllo"`, "héllo"},
		{`-0.5e+2`, -50.0},
		{`0`, 0.0},
		{`[true, false, null]`, []any{true, false, nil}},
		{`{"a": {"b": []}}`, map[string]any{"a": map[string]any{"b": []any{}}}},
		{`{"a": 1, "a": 2}`, map[string]any{"a": 2.0}},
		{` [ ] `, []any{}},
	}
	for _, tt := range tests {
		n, diags := ParseJSON("x.json", []byte(tt.src))
		if len(diags) != 0 {
			t.Errorf("%s: unexpected diagnostics %v", tt.src, diagStrings(diags))
		}
		if got := n.Value(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %#v, want %#v", tt.src, got, tt.want)
		}
		checkTree(t, []byte(tt.src), n)
	}
}

func TestParseJSONPositions(t *testing.T) {
	src := "{\n  \"a\": [1, \"é\"],\r\n\t\"b\": {}\n}"
	n, diags := ParseJSON("x.json", []byte(src))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diagStrings(diags))
	}
	a, b := n.Get("a"), n.Get("b")
	pos := func(line, col, off int) runtimes.Position {
		return runtimes.Position{Line: line, Column: col, Offset: off}
	}
	checks := []struct {
		name      string
		got, want runtimes.Range
	}{
		{"root", n.Range, runtimes.Range{Start: pos(1, 1, 0), End: pos(4, 2, len(src))}},
		{"key a", a.KeyRange, runtimes.Range{Start: pos(2, 3, 4), End: pos(2, 6, 7)}},
		{"value a", a.Range, runtimes.Range{Start: pos(2, 8, 9), End: pos(2, 17, 18)}},
		// "é" is two bytes: columns count bytes.
		{"string é", a.Children[1].Range, runtimes.Range{Start: pos(2, 12, 13), End: pos(2, 16, 17)}},
		{"key b after CRLF and tab", b.KeyRange, runtimes.Range{Start: pos(3, 2, 22), End: pos(3, 5, 25)}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
	// Path finds the innermost node at an offset, keys included.
	path := n.Path(a.Children[1].Range.Start.Offset + 1)
	if len(path) != 3 || path[2] != a.Children[1] {
		t.Errorf("Path into the string: got %d nodes", len(path))
	}
	if path := n.Path(b.KeyRange.Start.Offset); len(path) != 2 || path[1] != b {
		t.Errorf("Path on key b: got %d nodes", len(path))
	}
	if n.Path(len(src)+1) != nil {
		t.Error("Path outside the root should be nil")
	}
}

func TestParseJSONBOM(t *testing.T) {
	src := "\xEF\xBB\xBF{\"cleanUrls\": true}"
	cfg, diags := Parse("vercel.json", []byte(src))
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diagStrings(diags))
	}
	if !cfg.CleanURLs {
		t.Error("cleanUrls not read after a BOM")
	}
	// Columns are bytes, so the '{' after the 3-byte BOM is column 4.
	if got := cfg.Root.Range.Start; got != (runtimes.Position{Line: 1, Column: 4, Offset: 3}) {
		t.Errorf("root starts at %+v", got)
	}
	// A BOM alone is an empty file.
	if _, diags := Parse("vercel.json", []byte("\xEF\xBB\xBF")); len(diags) != 1 || diags[0].Range.Start.Offset != 3 {
		t.Errorf("BOM only: %v", diagStrings(diags))
	}
}

func TestParseJSONDepth(t *testing.T) {
	for _, depth := range []int{maxDepth, maxDepth + 1, 100000} {
		src := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		n, diags := ParseJSON("x.json", []byte(src))
		checkDiags(t, "x.json", []byte(src), diags)
		checkTree(t, []byte(src), n)
		tooDeep := depth > maxDepth
		if got := len(diags) == 1 && diags[0].Code == "json-too-deep"; got != tooDeep || (!tooDeep && len(diags) != 0) {
			t.Fatalf("depth %d: diagnostics %v", depth, diagStrings(diags))
		}
		if tooDeep && diags[0].Range.Start.Offset != maxDepth {
			t.Errorf("depth %d: reported at offset %d, want %d", depth, diags[0].Range.Start.Offset, maxDepth)
		}
	}
}

func TestParseJSONNumbers(t *testing.T) {
	tests := []struct {
		raw     string
		intVal  int64
		isInt   bool
		infinte bool
	}{
		{"1024", 1024, true, false},
		{"1e3", 1000, true, false},
		{"128.0", 128, true, false},
		{"-7", -7, true, false},
		{"1.5", 0, false, false},
		{"9223372036854775807", math.MaxInt64, true, false},
		{"99999999999999999999", 0, false, false},
		{"1e400", 0, false, true},
		{"-1e400", 0, false, true},
		{"1e-400", 0, true, false},
		{"1" + strings.Repeat("0", 500), 0, false, true},
	}
	for _, tt := range tests {
		n, diags := ParseJSON("x.json", []byte(tt.raw))
		if len(diags) != 0 || n.Kind != Number || n.Raw != tt.raw {
			t.Fatalf("%s: node %+v, diagnostics %v", tt.raw, n, diagStrings(diags))
		}
		i, ok := n.Int()
		if ok != tt.isInt || i != tt.intVal {
			t.Errorf("%s: Int() = %d, %v; want %d, %v", tt.raw, i, ok, tt.intVal, tt.isInt)
		}
		if math.IsInf(n.Num, 0) != tt.infinte {
			t.Errorf("%s: Num = %v", tt.raw, n.Num)
		}
	}
}

// TestParseJSONRecovery checks that the parser keeps reading after the
// slips it knows how to recover from.
func TestParseJSONRecovery(t *testing.T) {
	src := `{
  // a comment
  cleanUrls: true,
  "regions": ["iad1" "sfo1",],
  "public": false,
}`
	cfg, diags := Parse("vercel.json", []byte(src))
	// The comment, the unquoted key, the missing comma and two trailing
	// commas.
	wantCodes := []string{"2:3 error json-comment", "3:3 error json-syntax", "4:22 error json-syntax", "4:28 error json-trailing-comma", "5:18 error json-trailing-comma"}
	if got := codes(diags); !slices.Equal(got, wantCodes) {
		t.Errorf("got %q, want %q", got, wantCodes)
	}
	if !cfg.CleanURLs || !cfg.Has("public") || len(cfg.Root.Get("regions").Children) != 2 {
		t.Errorf("recovered tree incomplete: cleanUrls=%v public=%v regions=%v", cfg.CleanURLs, cfg.Has("public"), cfg.Root.Get("regions").Value())
	}
}

func TestSyntaxDiagnosticsCapped(t *testing.T) {
	src := "{" + strings.Repeat("/**/", 1000) + "}"
	_, diags := ParseJSON("x.json", []byte(src))
	if len(diags) != maxSyntaxDiagnostics {
		t.Errorf("got %d diagnostics, want the cap %d", len(diags), maxSyntaxDiagnostics)
	}
	// The fatal error still gets through past the cap.
	_, diags = ParseJSON("x.json", []byte(src[:len(src)-1]))
	if last := diags[len(diags)-1]; last.Code != "json-syntax" || last.Range.Start.Offset != len(src)-1 {
		t.Errorf("fatal error after the cap missing: %v", last)
	}
}
