package project

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genProject writes a project of n functions (half Go, half Python, in
// nested and dynamic folders) and a vercel.json with 50 function patterns
// and 100 rewrites, as the benchmark asks.
func genProject(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	write("go.mod", "module example.com/bench\n\ngo 1.26\n")
	for i := 0; i < n; i++ {
		group := fmt.Sprintf("g%02d", i%50)
		if i%2 == 0 {
			name := fmt.Sprintf("api/%s/f%d.go", group, i)
			if i%10 == 0 {
				name = fmt.Sprintf("api/%s/f%d/[id].go", group, i)
			}
			write(name, fmt.Sprintf("package %s\n\nimport \"net/http\"\n\n// Handler%d is generated.\nfunc Handler(w http.ResponseWriter, r *http.Request) {\n\tw.Write([]byte(\"f%d\"))\n}\n", group, i, i))
		} else {
			write(fmt.Sprintf("api/%s/p%d.py", group, i), fmt.Sprintf("from http.server import BaseHTTPRequestHandler\n\n\nclass handler(BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200)\n        self.end_headers()\n        self.wfile.write(b\"p%d\")\n", i))
		}
	}
	var fns, rws []string
	for i := 0; i < 50; i++ {
		fns = append(fns, fmt.Sprintf("%q: {\"memory\": %d, \"maxDuration\": %d}", fmt.Sprintf("api/g%02d/*.go", i), 128+i, 1+i))
	}
	for i := 0; i < 100; i++ {
		rws = append(rws, fmt.Sprintf("{\"source\": \"/r%d/:id\", \"destination\": \"/api/g%02d/f%d?id=:id\"}", i, i%50, (i%50)*2))
	}
	write("vercel.json", "{\n\"functions\": {"+strings.Join(fns, ",\n")+"},\n\"rewrites\": ["+strings.Join(rws, ",\n")+"]\n}\n")
	return dir
}

// BenchmarkLoad is a full load of a 500-function project without a cache.
func BenchmarkLoad(b *testing.B) {
	dir := genProject(b, 500)
	ctx := context.Background()
	p, err := Load(ctx, dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if len(p.Functions) != 500 {
		b.Fatalf("loaded %d functions, want 500 (diagnostics: %v)", len(p.Functions), p.Diagnostics[:min(5, len(p.Diagnostics))])
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Load(ctx, dir, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadIncremental reloads the same project after a one-file
// change (an unsaved buffer, as the language server does) with a Cache:
// only that file is analyzed again.
func BenchmarkLoadIncremental(b *testing.B) {
	dir := genProject(b, 500)
	ctx := context.Background()
	c := NewCache()
	if _, err := Load(ctx, dir, Options{Cache: c}); err != nil {
		b.Fatal(err)
	}
	edited := filepath.Join(dir, "api/g01/p1.py")
	base, err := os.ReadFile(edited)
	if err != nil {
		b.Fatal(err)
	}
	before := c.Analyzed()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i++
		overlay := map[string][]byte{edited: append(append([]byte{}, base...), fmt.Sprintf("# edit %d\n", i)...)}
		if _, err := Load(ctx, dir, Options{Cache: c, Overlay: overlay}); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := c.Analyzed() - before; got != i {
		b.Fatalf("%d loads analyzed %d files, want exactly one per load", i, got)
	}
}
