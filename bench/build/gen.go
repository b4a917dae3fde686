package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// The generated project: a module with a shared package (lib/render) and
// n functions spread over folders of perDir, each function its own file
// with its own handler name, importing the shared package and a few
// standard packages. Both lambdalens and Vercel can build it: Vercel
// compiles a function's file alone, lambdalens compiles its whole package.
const (
	genModule = "example.com/bench"

	genGoMod = "module " + genModule + "\n\ngo 1.26\n"

	genRender = `// Package render writes the JSON answers of the generated functions.
package render

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Answer is what every function returns.
type Answer struct {
	Function string            ` + "`json:\"function\"`" + `
	Message  string            ` + "`json:\"message\"`" + `
	Query    map[string]string ` + "`json:\"query,omitempty\"`" + `
	Time     string            ` + "`json:\"time\"`" + `
}

// JSON writes a as JSON with status.
func JSON(w http.ResponseWriter, status int, a Answer) {
	a.Time = time.Now().UTC().Format(time.RFC3339)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Answer-Length", strconv.Itoa(len(a.Message)))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(a)
}
`

	// genFunction arguments: package name, function ID, handler name,
	// message.
	genFunction = `package %s

import (
	"net/http"
	"strings"

	"` + genModule + `/lib/render"
)

// %[3]s serves /%[2]s.
func %[3]s(w http.ResponseWriter, r *http.Request) {
	q := map[string]string{}
	for k, v := range r.URL.Query() {
		q[k] = strings.Join(v, ",")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	render.JSON(w, http.StatusOK, render.Answer{Function: "%[2]s", Message: "%[4]s", Query: q})
}
`
)

// genFile describes one generated function.
type genFile struct {
	rel     string // slash path of the file
	handler string
}

// generate writes the project into dir and returns its function files.
func generate(dir string, n, perDir int) ([]genFile, error) {
	perDir = max(perDir, 1)
	files := []struct{ rel, data string }{
		{"go.mod", genGoMod},
		{"lib/render/render.go", genRender},
	}
	var fns []genFile
	for i := range n {
		group := fmt.Sprintf("g%02d", i/perDir)
		name := fmt.Sprintf("fn%02d", i)
		rel := "api/" + group + "/" + name + ".go"
		handler := fmt.Sprintf("Handler%02d", i)
		id := "api/" + group + "/" + name
		files = append(files, struct{ rel, data string }{rel, fmt.Sprintf(genFunction, group, id, handler, "hello from "+name)})
		fns = append(fns, genFile{rel: rel, handler: handler})
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.FromSlash(f.rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("generating the project: %w", err)
		}
		if err := os.WriteFile(path, []byte(f.data), 0o644); err != nil {
			return nil, fmt.Errorf("generating the project: %w", err)
		}
	}
	return fns, nil
}
