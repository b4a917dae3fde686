package golang

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// cgo is off in every build (CGO_ENABLED=0: static binaries for Lambda's
// provided.al2023), so the go command leaves out the files that import
// "C" without a word, and what they declare is then "undefined". These
// say why, on the file itself (analysis) and after a failed build.

// cgoNote is the line added to a failed build's output for a file left
// out because it uses cgo.
func cgoNote(rel string) string {
	return rel + ` uses cgo (import "C"); lambdalens builds Go with CGO_ENABLED=0, so it is left out`
}

// cgoDiagnostics reports an import of "C" as a warning at the import,
// and whether there was one.
func (g *goFile) cgoDiagnostics() bool {
	for _, imp := range g.f.Imports {
		if imp.Path == nil {
			continue
		}
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && p == "C" {
			g.report(g.rangeOf(imp.Pos(), imp.End()), runtimes.SeverityWarning, CodeCgo,
				`this file uses cgo (import "C"); lambdalens builds Go with CGO_ENABLED=0 (static binaries for Lambda), `+
					"so it is left out of the build and what it declares is undefined")
			return true
		}
	}
	return false
}

// cgoNotes looks, after a failed build, for files left out because they
// import "C" in the entry's folder and in the folders of the files the
// errors name (where an "undefined" usually points). It returns the lines
// to add to the output (sorted, "" for none) and a warning diagnostic at
// each such import.
func (p *plan) cgoNotes(diags []runtimes.Diagnostic) (string, []runtimes.Diagnostic) {
	dirs := []string{p.t.pkgDir}
	for _, d := range diags {
		f := filepath.FromSlash(d.File)
		if !filepath.IsAbs(f) {
			f = filepath.Join(p.t.root, f)
		}
		dirs = append(dirs, filepath.Dir(f))
	}
	slices.Sort(dirs)
	var notes []string
	var out []runtimes.Diagnostic
	for _, dir := range slices.Compact(dirs) {
		for _, c := range cgoFiles(p.bctx, dir) {
			rel := relSlash(p.t.root, c.path)
			notes = append(notes, cgoNote(rel))
			out = append(out, runtimes.Diagnostic{
				File: rel, Range: runtimes.Range{Start: c.pos, End: c.pos}, Severity: runtimes.SeverityWarning,
				Code: CodeCgo, Message: cgoNote("this file"),
			})
		}
	}
	if len(notes) == 0 {
		return "", nil
	}
	return strings.Join(notes, "\n") + "\n", out
}

// cgoFile is a file that imports "C", and where.
type cgoFile struct {
	path string
	pos  runtimes.Position
}

// PackageFiles returns the paths of dir's non-test .go files that the go
// command compiles for bctx: their names and build constraints match it.
func PackageFiles(bctx *build.Context, dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		if ok, err := bctx.MatchFile(dir, name); err != nil || !ok {
			continue
		}
		out = append(out, filepath.Join(dir, name))
	}
	return out, nil
}

// cgoFiles lists the Go files of dir that the go command would compile
// for bctx but for their import of "C" (cgo is off).
func cgoFiles(bctx *build.Context, dir string) []cgoFile {
	if bctx == nil {
		return nil
	}
	// MatchFile (in PackageFiles) judges names and build constraints, not
	// cgo: the go command leaves out a matching file that imports "C".
	paths, err := PackageFiles(bctx, dir)
	if err != nil {
		return nil
	}
	var out []cgoFile
	for _, path := range paths {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		for _, imp := range f.Imports {
			if imp.Path != nil && imp.Path.Value == `"C"` {
				pos := fset.Position(imp.Pos())
				out = append(out, cgoFile{path: path, pos: runtimes.Position{Line: pos.Line, Column: pos.Column, Offset: pos.Offset}})
				break
			}
		}
	}
	return out
}
