package golang

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Diagnostic codes reported by AnalyzeFunction and AnalyzeServer.
const (
	CodeSyntax           = "go-syntax"
	CodePackageMain      = "go-package-main"
	CodeMultipleHandlers = "go-multiple-handlers"
	CodeHandlerSignature = "go-handler-signature"
	CodeHelperFile       = "go-helper-file"
	CodeServerNotMain    = "go-server-not-main"
	CodeServerNoMain     = "go-server-no-main"
	CodeServerPort       = "go-server-port"
	CodeCgo              = "go-cgo"
)

// maxSyntaxDiagnostics caps the go-syntax diagnostics of one file. The
// parser's first complaint is the one that matters; after it, half-typed
// code produces cascades of follow-on errors that only add noise (and
// gopls, which users usually run next to us, reports them all anyway).
const maxSyntaxDiagnostics = 3

// Analysis is what AnalyzeFunction or AnalyzeServer found in one Go file.
type Analysis struct {
	// Entrypoint is the handler (or func main) found, nil when the file
	// is not an entrypoint.
	Entrypoint *runtimes.Entrypoint
	// Diagnostics are the problems found, in source order per kind.
	Diagnostics []runtimes.Diagnostic
	// Imports are the import paths of the file, in source order.
	Imports []string
}

// AnalyzeFunction analyzes a zero-config function file (api/**.go). file is
// the slash path relative to the project root and is used only in
// diagnostics; src is the file's content. It never fails: problems, syntax
// errors included, become diagnostics.
//
// The handler is the first exported, receiver-less func whose parameters
// are exactly (net/http.ResponseWriter, *net/http.Request) and which
// returns nothing. Types are matched by syntax against the file's own
// import of net/http, whatever its local name (a dot-import matches the bare
// names); nothing is type-checked. A file with no handler is a helper of
// its package, reported with a hint, and Entrypoint is nil.
func AnalyzeFunction(file string, src []byte) Analysis {
	g := parseGo(file, src)
	a := Analysis{Imports: g.imports()}
	g.syntaxDiagnostics("handler")
	cgo := g.cgoDiagnostics()

	if g.f.Name.Name == "main" {
		g.report(g.packageRange(), runtimes.SeverityError, CodePackageMain,
			"api/ functions must not be package main: change it to `package handler` (any name but main works)")
	}

	var handlers, nearMisses, unexported []*ast.FuncDecl
	for _, decl := range g.f.Decls {
		d, ok := decl.(*ast.FuncDecl)
		if !ok || d.Recv != nil || d.Name == nil || d.Type == nil {
			continue
		}
		switch {
		case !ast.IsExported(d.Name.Name):
			if g.isHandler(d.Type) {
				unexported = append(unexported, d)
			}
		case g.isHandler(d.Type) && d.Type.TypeParams == nil:
			handlers = append(handlers, d)
		case g.looksLikeHandler(d):
			nearMisses = append(nearMisses, d)
		}
	}

	if len(handlers) > 0 {
		h := handlers[0]
		a.Entrypoint = &runtimes.Entrypoint{
			Language:    runtimes.Go,
			Kind:        runtimes.KindFunction,
			Package:     g.f.Name.Name,
			Symbol:      h.Name.Name,
			SymbolRange: g.rangeOf(h.Name.Pos(), h.Name.End()),
		}
		for _, d := range handlers[1:] {
			g.diags = append(g.diags, runtimes.Diagnostic{
				File:     g.file,
				Range:    g.rangeOf(d.Name.Pos(), d.Name.End()),
				Severity: runtimes.SeverityWarning,
				Code:     CodeMultipleHandlers,
				Message: fmt.Sprintf("%s also has the handler signature, but a file serves one function: "+
					"%s is used (the first one) and %s is not", d.Name.Name, h.Name.Name, d.Name.Name),
				Related: []runtimes.Related{{
					File:    g.file,
					Range:   a.Entrypoint.SymbolRange,
					Message: "the handler that is used",
				}},
			})
		}
	} else if !g.hasSyntaxErrors() {
		// Without a clean parse, "there is no handler" is a guess about
		// code being typed; the syntax errors say enough.
		for _, d := range nearMisses {
			g.report(g.rangeOf(d.Name.Pos(), d.Name.End()), runtimes.SeverityError,
				CodeHandlerSignature, g.signatureMessage(d))
		}
		// A cgo file is not compiled at all: its warning says so.
		if len(nearMisses) == 0 && !cgo {
			msg := "no exported func(http.ResponseWriter, *http.Request): " +
				"this file is compiled with its package but is not a function"
			if len(unexported) > 0 {
				n := unexported[0].Name.Name
				msg += fmt.Sprintf(" (func %s has the signature but is not exported: rename it to %s to make this file a function)",
					n, exportedName(n))
			}
			g.report(g.packageRange(), runtimes.SeverityHint, CodeHelperFile, msg)
		}
	}
	a.Diagnostics = g.diags
	return a
}

// AnalyzeServer analyzes a Go standalone server entrypoint (main.go,
// cmd/api/main.go, cmd/server/main.go): a package main with func main that
// listens on $PORT. Entrypoint is set when both are present.
func AnalyzeServer(file string, src []byte) Analysis {
	g := parseGo(file, src)
	a := Analysis{Imports: g.imports()}
	g.syntaxDiagnostics("main")
	g.cgoDiagnostics()

	pkg := g.f.Name.Name
	if pkg != "" && pkg != "main" {
		g.report(g.packageRange(), runtimes.SeverityError, CodeServerNotMain,
			fmt.Sprintf("a standalone server must be package main, not package %s", pkg))
	}
	var main *ast.FuncDecl
	for _, decl := range g.f.Decls {
		if d, ok := decl.(*ast.FuncDecl); ok && d.Recv == nil && d.Name != nil && d.Name.Name == "main" {
			main = d
			break
		}
	}
	symbol := g.packageRange()
	switch {
	case main != nil:
		symbol = g.rangeOf(main.Name.Pos(), main.Name.End())
		if pkg == "main" {
			a.Entrypoint = &runtimes.Entrypoint{
				Language:    runtimes.Go,
				Kind:        runtimes.KindServer,
				Package:     pkg,
				Symbol:      "main",
				SymbolRange: symbol,
			}
		}
	case !g.hasSyntaxErrors():
		g.report(symbol, runtimes.SeverityError, CodeServerNoMain,
			"no func main: a standalone server is a package main whose func main listens on $PORT")
	}
	if !bytes.Contains(src, []byte("PORT")) {
		g.report(symbol, runtimes.SeverityHint, CodeServerPort,
			`the dev server and Lambda pass the port in $PORT; read it with os.Getenv("PORT")`)
	}
	a.Diagnostics = g.diags
	return a
}

// goFile is one parsed file and the diagnostics collected about it.
type goFile struct {
	file    string
	src     []byte
	tf      *token.File
	f       *ast.File
	errs    scanner.ErrorList
	diags   []runtimes.Diagnostic
	nethttp httpImport
}

// httpImport records how a file imports net/http.
type httpImport struct {
	imported bool
	// names are the local names it is imported under ("http", "nethttp").
	names []string
	// dot is set for `import . "net/http"`.
	dot bool
}

func (h httpImport) isName(name string) bool { return slices.Contains(h.names, name) }

// qualifier is how the file spells net/http in messages: "http.", the
// alias, or nothing for a dot-import.
func (h httpImport) qualifier() string {
	switch {
	case len(h.names) > 0:
		return h.names[0] + "."
	case h.dot:
		return ""
	}
	return "http."
}

func parseGo(file string, src []byte) *goFile {
	if src == nil {
		src = []byte{} // a nil source would make ParseFile read the file from disk
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution|parser.AllErrors)
	g := &goFile{file: file, src: src, f: f}
	if f == nil || f.Name == nil {
		// ParseFile always returns a file, but keep the analysis total.
		g.f = &ast.File{Name: &ast.Ident{}}
	}
	fset.Iterate(func(tf *token.File) bool { g.tf = tf; return false })
	var list scanner.ErrorList
	if errors.As(err, &list) {
		g.errs = list
	} else if err != nil {
		g.errs = scanner.ErrorList{{Msg: err.Error()}}
	}
	for _, imp := range g.f.Imports {
		if imp.Path == nil {
			continue
		}
		if p, err := strconv.Unquote(imp.Path.Value); err != nil || p != "net/http" {
			continue
		}
		g.nethttp.imported = true
		switch {
		case imp.Name == nil:
			g.nethttp.names = append(g.nethttp.names, "http")
		case imp.Name.Name == ".":
			g.nethttp.dot = true
		case imp.Name.Name != "_":
			g.nethttp.names = append(g.nethttp.names, imp.Name.Name)
		}
	}
	return g
}

func (g *goFile) imports() []string {
	var out []string
	for _, imp := range g.f.Imports {
		if imp.Path == nil {
			continue
		}
		if p, err := strconv.Unquote(imp.Path.Value); err == nil {
			out = append(out, p)
		}
	}
	return out
}

func (g *goFile) hasSyntaxErrors() bool { return len(g.errs) > 0 }

// syntaxDiagnostics reports the first parse errors: one per line, and
// none at EOF after an earlier one. Their positions are recomputed from the
// byte offset, because the parser's line and column honour //line
// directives. A file without a package clause gets one diagnostic that says
// so, suggesting "package <pkg>".
func (g *goFile) syntaxDiagnostics(pkg string) {
	if g.noPackageClause(pkg) {
		return
	}
	errs := slices.Clone(g.errs)
	slices.SortStableFunc(errs, func(a, b *scanner.Error) int { return cmp.Compare(a.Pos.Offset, b.Pos.Offset) })
	lastLine, n := 0, 0
	for _, e := range errs {
		start := g.at(e.Pos.Offset)
		if start.Line == lastLine || n > 0 && start.Offset == len(g.src) {
			// Same line, or "found 'EOF'" after an earlier error: both are
			// follow-on complaints.
			continue
		}
		lastLine = start.Line
		end := g.at(e.Pos.Offset + tokenLen(g.src[start.Offset:]))
		g.report(runtimes.Range{Start: start, End: end}, runtimes.SeverityError, CodeSyntax, e.Msg)
		if n++; n == maxSyntaxDiagnostics {
			break
		}
	}
}

// noPackageClause reports a file that does not start with a package clause
// and returns true, or returns false. The parser's own errors for it are
// unclear: for an empty file or one of comments only, two errors share
// the EOF position and, sorted by message, "expected ';', found 'EOF'"
// comes before "expected 'package', found 'EOF'".
func (g *goFile) noPackageClause(pkg string) bool {
	if g.f.Package.IsValid() || len(g.errs) == 0 {
		return false
	}
	// The first token after the comments. A scanner error there (an
	// unterminated comment, say) is the real problem: the parser's errors
	// say it.
	fset := token.NewFileSet()
	tf := fset.AddFile("", -1, len(g.src))
	var s scanner.Scanner
	bad := false
	s.Init(tf, g.src, func(token.Position, string) { bad = true }, scanner.ScanComments)
	pos, tok, lit := s.Scan()
	comments := false
	for tok == token.COMMENT {
		comments = true
		pos, tok, lit = s.Scan()
	}
	if bad {
		return false
	}
	clause := fmt.Sprintf("`package %s`", pkg)
	switch {
	case tok == token.EOF && !comments:
		g.report(runtimes.Range{Start: g.at(0), End: g.at(0)}, runtimes.SeverityError, CodeSyntax,
			fmt.Sprintf("the file is empty: a Go file starts with its package clause; write %s in it, or delete it", clause))
	case tok == token.EOF:
		g.report(runtimes.Range{Start: g.at(0), End: g.at(0)}, runtimes.SeverityError, CodeSyntax,
			fmt.Sprintf("the file has only comments and no package clause: add %s after them", clause))
	default:
		off := tf.Offset(pos)
		found := lit
		if found == "" || tok == token.SEMICOLON {
			found = tok.String()
		}
		start := g.at(off)
		g.report(runtimes.Range{Start: start, End: g.at(off + tokenLen(g.src[off:]))}, runtimes.SeverityError, CodeSyntax,
			fmt.Sprintf("expected the package clause, found %q: a Go file starts with %s", found, clause))
	}
	return true
}

// tokenLen is the length of the word or character that b starts with, so
// that a syntax error underlines something; 0 at a line end or EOF.
func tokenLen(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if r != '_' && !isAlnum(r) {
			break
		}
		n += size
	}
	if n == 0 && len(b) > 0 && b[0] != '\n' && b[0] != '\r' {
		_, n = utf8.DecodeRune(b)
	}
	return n
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r >= utf8.RuneSelf
}

func (g *goFile) report(r runtimes.Range, sev runtimes.Severity, code, msg string) {
	g.diags = append(g.diags, runtimes.Diagnostic{File: g.file, Range: r, Severity: sev, Code: code, Message: msg})
}

// at converts a byte offset (clamped to the source) to a Position,
// ignoring //line directives.
func (g *goFile) at(off int) runtimes.Position {
	off = max(0, min(off, len(g.src)))
	if g.tf == nil {
		return runtimes.Position{Line: 1, Column: off + 1, Offset: off}
	}
	p := g.tf.PositionFor(g.tf.Pos(off), false)
	// The line table has no entry for a line that starts at EOF (after a
	// final newline); count it here.
	if ls := off - (p.Column - 1); ls >= 0 && ls < off {
		if nl := bytes.LastIndexByte(g.src[ls:off], '\n'); nl >= 0 {
			return runtimes.Position{Line: p.Line + 1, Column: off - (ls + nl + 1) + 1, Offset: off}
		}
	}
	return runtimes.Position{Line: p.Line, Column: p.Column, Offset: off}
}

func (g *goFile) offset(p token.Pos) int {
	if g.tf == nil || !p.IsValid() {
		return 0
	}
	return g.tf.Offset(p)
}

func (g *goFile) rangeOf(start, end token.Pos) runtimes.Range {
	s, e := g.offset(start), g.offset(end)
	return runtimes.Range{Start: g.at(s), End: g.at(max(s, e))}
}

// packageRange is the range of the package clause, or an empty range at
// the start of the file when there is none.
func (g *goFile) packageRange() runtimes.Range {
	if !g.f.Package.IsValid() || g.f.Name.Name == "" {
		return runtimes.Range{Start: g.at(0), End: g.at(0)}
	}
	return g.rangeOf(g.f.Package, g.f.Name.End())
}

// param describes one parameter's type as written.
type param struct {
	// name is the type's identifier: "ResponseWriter", "Request", or
	// another name ("" for composite types).
	name string
	ptr  bool
	// nethttp is set when the type is qualified by the file's net/http
	// import (or bare with a dot-import).
	nethttp bool
}

func (p param) isWriter() bool  { return p.name == "ResponseWriter" && p.nethttp && !p.ptr }
func (p param) isRequest() bool { return p.name == "Request" && p.nethttp && p.ptr }

func (g *goFile) params(fl *ast.FieldList) []param {
	if fl == nil {
		return nil
	}
	var out []param
	for _, field := range fl.List {
		p := g.describe(field.Type)
		for range max(1, len(field.Names)) {
			out = append(out, p)
		}
	}
	return out
}

func (g *goFile) describe(e ast.Expr) param {
	var p param
	e = ast.Unparen(e)
	if s, ok := e.(*ast.StarExpr); ok {
		p.ptr = true
		e = ast.Unparen(s.X)
	}
	switch t := e.(type) {
	case *ast.SelectorExpr:
		if x, ok := t.X.(*ast.Ident); ok && t.Sel != nil {
			p.name = t.Sel.Name
			p.nethttp = g.nethttp.isName(x.Name)
		}
	case *ast.Ident:
		p.name = t.Name
		p.nethttp = g.nethttp.dot
	}
	return p
}

// isHandler reports whether ft has exactly the handler parameters and no
// results.
func (g *goFile) isHandler(ft *ast.FuncType) bool {
	ps := g.params(ft.Params)
	return len(ps) == 2 && ps[0].isWriter() && ps[1].isRequest() && countFields(ft.Results) == 0
}

// looksLikeHandler reports whether an exported, receiver-less func that is
// not a handler was probably meant to be one: it is called Handler, or it
// takes both a ResponseWriter and a Request of some kind. A func taking
// only a ResponseWriter is a plain helper (writeJSON(w, v)).
func (g *goFile) looksLikeHandler(d *ast.FuncDecl) bool {
	if d.Name.Name == "Handler" {
		return true
	}
	var w, r bool
	for _, p := range g.params(d.Type.Params) {
		w = w || p.name == "ResponseWriter"
		r = r || p.name == "Request"
	}
	return w && r
}

func countFields(fl *ast.FieldList) int {
	if fl == nil {
		return 0
	}
	n := 0
	for _, f := range fl.List {
		n += max(1, len(f.Names))
	}
	return n
}

// signatureMessage explains why d is not a handler.
func (g *goFile) signatureMessage(d *ast.FuncDecl) string {
	q := g.nethttp.qualifier()
	ps := g.params(d.Type.Params)
	var reason string
	switch {
	case !g.nethttp.imported:
		reason = `the file does not import "net/http"`
	case len(g.nethttp.names) == 0 && !g.nethttp.dot:
		reason = `the file imports "net/http" only as _`
	case d.Type.TypeParams != nil:
		reason = "a handler cannot have type parameters"
	case len(ps) != 2:
		reason = fmt.Sprintf("it takes %d parameter%s instead of 2", len(ps), plural(len(ps)))
	case ps[0].isRequest() && ps[1].isWriter():
		reason = "the parameters are in the wrong order"
	case !ps[0].isWriter():
		reason = g.paramProblem("first", ps[0], "ResponseWriter", false)
	case !ps[1].isRequest():
		reason = g.paramProblem("second", ps[1], "Request", true)
	default:
		reason = "a handler returns nothing: it writes its response to w"
	}
	return fmt.Sprintf("%s is not a handler: %s; found `%s`, expected `func %s(w %sResponseWriter, r *%sRequest)`",
		d.Name.Name, reason, g.snippet(d), d.Name.Name, q, q)
}

func (g *goFile) paramProblem(which string, p param, want string, ptr bool) string {
	q := g.nethttp.qualifier()
	star := ""
	if ptr {
		star = "*"
	}
	switch {
	case p.name == want && !p.nethttp:
		how := "dot-imported here"
		if len(g.nethttp.names) > 0 {
			how = "imported here as " + g.nethttp.names[0]
		}
		return fmt.Sprintf("the %s parameter's %s is not the one from net/http (%s)", which, want, how)
	case p.name == want && ptr:
		return fmt.Sprintf("the %s parameter must be a pointer, *%s%s", which, q, want)
	case p.name == want:
		return fmt.Sprintf("the %s parameter must be %s%s, not a pointer to it", which, q, want)
	}
	return fmt.Sprintf("the %s parameter must be %s%s%s", which, star, q, want)
}

// snippet is d's signature as written, on one line and at most 100 bytes.
func (g *goFile) snippet(d *ast.FuncDecl) string {
	s, e := g.offset(d.Pos()), g.offset(d.Type.End())
	if e <= s {
		return "func " + d.Name.Name
	}
	text := strings.Join(strings.Fields(string(g.src[s:e])), " ")
	if len(text) > 100 {
		cut := 100
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}

func exportedName(name string) string {
	r, size := utf8.DecodeRuneInString(name)
	return strings.ToUpper(string(r)) + name[size:]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
