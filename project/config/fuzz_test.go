package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every diagnostic and node
// range lies inside the input with lines and columns that agree with the
// offsets, and that diagnostics come sorted.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/examples/*.json")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	for _, s := range []string{
		"", "{", "}", "[", "\xEF\xBB\xBF{}", `{"a":}`, `{"a" 1}`, `{,}`, `[1,,2]`, `{"cleanUrls": true,}`,
		"{// c\n}", "{/* c", `"\ud800\udc00"`, `"\u12"`, "\"\xff\xfe\"", "1e999", "-", "01", "[" + strings.Repeat("[", 50),
		`{"functions": {"/a[": {"memory": 1e400, "maxDuration": "max", "includeFiles": ["x[", 1]}}, "builds": [{}]}`,
		`{"routes": [{"src": "(?<=a)\\1", "status": -1}, {"handle": 1, "x": 2}], "rewrites": [{"source": "a", "has": [{"type": "host", "key": 1, "value": {"gt": 1, "eq": 2}}]}]}`,
		`{"redirects": [{"source": "/a", "destination": "/b", "permanent": true, "statusCode": 1}], "headers": [{"source": "/", "headers": [{}]}]}`,
		`{"env": {"": 1}, "build": {"env": []}, "crons": [1], "framework": null, "fnctions": {}}`,
		"{\"a\":\n\"b\r\n\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Parse("vercel.json", src)
		if cfg == nil {
			t.Fatal("nil Config")
		}
		checkDiags(t, "vercel.json", src, diags)
		checkTree(t, src, cfg.Root)
		for i := 1; i < len(diags); i++ {
			if diags[i].Range.Start.Offset < diags[i-1].Range.Start.Offset {
				t.Fatalf("diagnostics not sorted: %v", diagStrings(diags))
			}
		}
		for _, r := range cfg.Functions {
			checkRange(t, src, r.PatternRange, "pattern "+r.Pattern)
			cfg.MatchFunction(r.Pattern)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{\n  \"functions\": {\n")
	for i := range 50 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(`    "api/group` + itoa(i) + `/**/*.go": {"memory": 1024, "maxDuration": 60, "includeFiles": ["templates/**", "data/*.json"], "regions": ["iad1"]}`)
	}
	sb.WriteString("\n  },\n  \"rewrites\": [\n")
	for i := range 100 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		sb.WriteString(`    {"source": "/v1/items` + itoa(i) + `/:id", "destination": "/api/group1/items?id=:id", "has": [{"type": "header", "key": "x-version", "value": "1"}]}`)
	}
	sb.WriteString("\n  ],\n  \"cleanUrls\": true\n}\n")
	src := []byte(sb.String())
	if _, diags := Parse("vercel.json", src); len(diags) != 0 {
		b.Fatalf("benchmark input has diagnostics: %v", diagStrings(diags))
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		Parse("vercel.json", src)
	}
}

func itoa(i int) string { return string(rune('a'+i/26)) + string(rune('a'+i%26)) }
