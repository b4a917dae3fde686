package project

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// includeDiags lists "line:code" for the includeFiles diagnostics of p,
// and their messages.
func includeDiags(p *Project) (got, msgs []string) {
	for _, d := range p.Diagnostics {
		if d.Code == CodeIncludeNoMatch || d.Code == CodeIncludeOutside || d.Code == CodeIncludePython || d.Code == CodeIncludeOverwrite {
			got = append(got, strconv.Itoa(d.Range.Start.Line)+":"+d.Severity.String()+":"+d.Code)
			msgs = append(msgs, d.Message)
		}
	}
	return got, msgs
}

func TestIncludeFilesDiagnostics(t *testing.T) {
	const server = `
-- go.mod --
module example.com/s

go 1.26
-- main.go --
package main

import (
	"net/http"
	"os"
)

func main() { http.ListenAndServe(":"+os.Getenv("PORT"), nil) }
`
	tests := []struct {
		name    string
		archive string
		want    []string // "line:severity:code" in vercel.json
		msgs    []string // substrings of the messages, in order
	}{
		{"a path written from the project root", `
-- vercel.json --
{"functions": {"api/hello.go": {
  "includeFiles": "data/**"}}}
-- api/hello.go --
` + goHandler + `
-- data/x.json --
{}
`, []string{"2:warning:" + CodeIncludeNoMatch}, []string{
			`"data/**" matches no file`, "relative to the function's folder, api/", "so it looks for api/data/**", `write "../data/**"`}},
		{"relative to the function's folder", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../data/**"}}}
-- api/hello.go --
` + goHandler + `
-- data/x.json --
{}
`, nil, nil},
		{"nothing there at all", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "nothing/**"}}}
-- api/hello.go --
` + goHandler, []string{"1:warning:" + CodeIncludeNoMatch}, []string{"looks for api/nothing/**"}},
		{"a glob of an array, at its own line", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": [
  "../data/*.json",
  "../data/*.csv"
]}}}
-- api/hello.go --
` + goHandler + `
-- data/x.json --
{}
`, []string{"3:warning:" + CodeIncludeNoMatch}, []string{`"../data/*.csv" matches no file`}},
		{"a folder is copied whole", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../templates"}}}
-- api/hello.go --
` + goHandler + `
-- templates/mail/welcome.txt --
hi
`, nil, nil},
		{"beside the function", `
-- vercel.json --
{"functions": {"api/**/*.go": {"includeFiles": "*.txt"}}}
-- api/v1/hello.go --
` + goHandler + `
-- api/v1/words.txt --
hi
`, nil, nil},
		{"one of several folders", `
-- vercel.json --
{"functions": {"api/**/*.go": {"includeFiles": "../data/**"}}}
-- api/hello.go --
` + goHandler + `
-- api/v2/hello.go --
` + goHandler + `
-- data/x.json --
{}
`, []string{"1:warning:" + CodeIncludeNoMatch}, []string{"relative to each function's folder", "from api/v2/ it looks for api/data/**"}},
		{"a Go server globs from the project root", server + `
-- vercel.json --
{"functions": {"main.go": {"includeFiles": ["data/**", "nothing/**"]}}}
-- data/x.json --
{}
`, []string{"1:warning:" + CodeIncludeNoMatch}, []string{`"nothing/**" matches no file`, "relative to the project root"}},
		{"leaving the project", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../../etc/passwd"}}}
-- api/hello.go --
` + goHandler, []string{"1:error:" + CodeIncludeOutside}, []string{"leaves the project from api/"}},
		{"Python functions ignore includeFiles", `
-- vercel.json --
{"functions": {"api/*.py": {
  "includeFiles": "nothing/**"}}}
-- api/index.py --
` + pyHandler, []string{"2:info:" + CodeIncludePython}, []string{"no effect on Python functions (api/index.py)"}},
		{"Go and Python functions: only the Go ones are checked", `
-- vercel.json --
{"functions": {"api/**": {"includeFiles": "../data/**"}}}
-- api/hello.go --
` + goHandler + `
-- api/index.py --
` + pyHandler + `
-- data/x.json --
{}
`, nil, nil},
		{"a glob into an ignored folder gets the benefit of the doubt", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": ["../node_modules/pkg/*.js", "../secret/**"]}}}
-- .vercelignore --
secret/
-- api/hello.go --
` + goHandler + `
-- node_modules/pkg/index.js --
x
-- secret/key.pem --
x
`, nil, nil},
		{".git is never copied", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../.git/**"}}}
-- api/hello.go --
` + goHandler + `
-- .git/HEAD --
ref: refs/heads/main
`, []string{"1:warning:" + CodeIncludeNoMatch}, nil},
		{"a function folder with brackets is a folder, not a glob", `
-- vercel.json --
{"functions": {"api/**/stats.go": {"includeFiles": ["data.json", "nope.json"]}}}
-- api/[team]/stats.go --
` + goHandler + `
-- api/[team]/data.json --
{}
`, []string{"1:warning:" + CodeIncludeNoMatch}, []string{`"nope.json" matches no file`, "api/[team]/nope.json"}},
		// The Go runtime refuses this when it builds; the model says so
		// at the glob, so the build stops with a position.
		{"a file over the function's bootstrap", `
-- vercel.json --
{"functions": {"api/hello.go": {
  "includeFiles": ["bootstrap", "*.txt"]}}}
-- api/hello.go --
` + goHandler + `
-- api/bootstrap --
#!/bin/sh
-- api/notes.txt --
x
`, []string{"2:error:" + CodeIncludeOverwrite}, []string{`"bootstrap" includes api/bootstrap, which would overwrite the function's bootstrap`}},
		{"a folder holding the bootstrap", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "."}}}
-- api/hello.go --
` + goHandler + `
-- api/bootstrap --
#!/bin/sh
`, []string{"1:error:" + CodeIncludeOverwrite}, []string{`"." includes api/bootstrap`}},
		{"an excluded bootstrap is not copied", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": ".", "excludeFiles": "bootstrap"}}}
-- api/hello.go --
` + goHandler + `
-- api/bootstrap --
#!/bin/sh
`, nil, nil},
		{"a server's user-server", `
-- vercel.json --
{"functions": {"main.go": {"includeFiles": "user-*"}}}
-- user-server --
x
` + server, []string{"1:error:" + CodeIncludeOverwrite}, []string{`includes user-server, which would overwrite the function's user-server`}},
		{"a bootstrap elsewhere keeps its path", `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../tools/**"}}}
-- api/hello.go --
` + goHandler + `
-- tools/bootstrap --
x
`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, writeTree(t, tt.archive), Options{})
			if len(p.Functions) == 0 {
				t.Fatalf("no functions; diagnostics %q", codes(p))
			}
			got, msgs := includeDiags(p)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("diagnostics = %q, want %q\nmessages: %q", got, tt.want, msgs)
			}
			all := strings.Join(msgs, "\n")
			rest := all
			for _, s := range tt.msgs {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("message lacks %q (in order):\n%s", s, all)
					break
				}
				rest = rest[i+len(s):]
			}
		})
	}
}

// The check runs on the file list of the load: a file the editor has not
// saved yet counts.
func TestIncludeFilesSeeUnsavedFiles(t *testing.T) {
	dir := writeTree(t, `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": "../data/**"}}}
-- api/hello.go --
`+goHandler)
	if got, _ := includeDiags(mustLoad(t, dir, Options{})); len(got) != 1 {
		t.Fatalf("without data/: %q, want one warning", got)
	}
	overlay := map[string][]byte{dir + "/data/x.json": []byte("{}")}
	if got, msgs := includeDiags(mustLoad(t, dir, Options{Overlay: overlay, Cache: NewCache()})); len(got) != 0 {
		t.Fatalf("with an unsaved data/x.json: %q %q, want none", got, msgs)
	}
}

// The build follows symlinks to folders inside the project, which the
// load lists as files without entering them: a glob that may reach through
// one is not reported.
func TestIncludeFilesThroughASymlinkedFolder(t *testing.T) {
	dir := writeTree(t, `
-- vercel.json --
{"functions": {"api/hello.go": {"includeFiles": ["../assets/**", "../missing/**"]}}}
-- api/hello.go --
`+goHandler+`
-- static/assets/x.json --
{}
`)
	if err := os.Symlink(filepath.Join(dir, "static", "assets"), filepath.Join(dir, "assets")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	got, msgs := includeDiags(mustLoad(t, dir, Options{}))
	if len(got) != 1 || !strings.Contains(msgs[0], `"../missing/**"`) {
		t.Fatalf("diagnostics %q %q, want one, for ../missing/**", got, msgs)
	}
}

// A project given through a symbolic link to its folder (a workspace
// opened through a linked path) has its files, under the path as given.
func TestLoadThroughALinkedRoot(t *testing.T) {
	dir := writeTree(t, "-- api/hello.go --\n"+goHandler+"-- public/index.html --\nhi\n")
	link := filepath.Join(t.TempDir(), "linked")
	if err := os.Symlink(dir, link); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	p := mustLoad(t, link, Options{})
	if p.Root != link {
		t.Errorf("Root = %q, want the path as given, %q", p.Root, link)
	}
	if len(p.Functions) != 1 || p.Functions[0].File != "api/hello.go" || p.PublicDir != "public" {
		t.Errorf("functions %v, public dir %q; want api/hello.go and public", p.Functions, p.PublicDir)
	}
}
