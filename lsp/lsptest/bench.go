package lsptest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The benchmark workspace's special files.
const (
	// BenchEditedFile has a problem every server reports: a handler with
	// the wrong signature (lambdalens) and a type error (gopls); the
	// benchmark opens it and types into it.
	BenchEditedFile = "api/g02/f2.go"
	// BenchLensFile is a valid function whose lenses are measured.
	BenchLensFile = "api/g03/f3.go"
)

// WriteBenchWorkspace writes the benchmark workspace under dir: 200 Go functions in 50
// packages (every tenth a dynamic route), 50 Python functions, a vercel.json
// with 50 function patterns and 100 rewrites.
func WriteBenchWorkspace(dir string) error {
	write := func(rel, content string) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte(content), 0o644)
	}
	if err := write("go.mod", "module example.com/bench\n\ngo 1.22\n"); err != nil {
		return err
	}
	for i := range 200 {
		group := fmt.Sprintf("g%02d", i%50)
		name := fmt.Sprintf("api/%s/f%d.go", group, i)
		if i%10 == 0 {
			name = fmt.Sprintf("api/%s/f%d/[id].go", group, i)
		}
		src := fmt.Sprintf("package %s\n\nimport \"net/http\"\n\n// Handler%d is generated.\nfunc Handler(w http.ResponseWriter, r *http.Request) {\n\tw.Write([]byte(\"f%d\"))\n}\n", group, i, i)
		if name == BenchEditedFile {
			src = fmt.Sprintf("package %s\n\nimport \"net/http\"\n\nvar _ int = \"x\"\n\n// Handler%d is edited by the benchmark: wrong signature, type error.\nfunc Handler(w http.ResponseWriter, r http.Request) {\n\tw.Write([]byte(\"f%d\"))\n}\n", group, i, i)
		}
		if err := write(name, src); err != nil {
			return err
		}
	}
	for i := range 50 {
		src := fmt.Sprintf("from http.server import BaseHTTPRequestHandler\n\n\nclass handler(BaseHTTPRequestHandler):\n    def do_GET(self):\n        self.send_response(200)\n        self.end_headers()\n        self.wfile.write(b\"p%d\")\n", i)
		if err := write(fmt.Sprintf("api/py%02d/p%d.py", i, i), src); err != nil {
			return err
		}
	}
	var fns, rws []string
	for i := range 50 {
		fns = append(fns, fmt.Sprintf("%q: {\"memory\": %d, \"maxDuration\": %d}", fmt.Sprintf("api/g%02d/*.go", i), 128+i, 1+i))
	}
	for i := range 100 {
		rws = append(rws, fmt.Sprintf("{\"source\": \"/r%d/:id\", \"destination\": \"/api/g%02d/f%d?id=:id\"}", i, i%50, 50+i%50))
	}
	return write("vercel.json", "{\n\"functions\": {"+strings.Join(fns, ",\n")+"},\n\"rewrites\": ["+strings.Join(rws, ",\n")+"]\n}\n")
}
