// Package typecheck confirms Go handlers with go/types and reports the
// type errors of their packages. The language server runs it on save (never
// on a keystroke): the project model detects handlers from syntax alone, in
// microseconds, and this check, which costs a go list and export data,
// settles what syntax cannot see: type aliases, renamed imports, a
// vendored or shadowed net/http, and everything the compiler would reject.
//
// It knows nothing of LSP: it takes paths and returns runtimes.Diagnostic
// values with byte-based positions.
package typecheck

import (
	"context"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/tools/go/packages"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Diagnostic codes reported by Check.
const (
	// CodeTypeError is a compile error of a function's package.
	CodeTypeError = "go-type-error"
	// CodeHandlerType: the handler found in the source does not have
	// the handler type once types are resolved.
	CodeHandlerType = "go-handler-type"
	// CodeHandlerAlias: a func has the handler type only through aliases
	// or named types, which the (syntactic) function detection, like
	// Vercel's, does not follow: the file is not served.
	CodeHandlerAlias = "go-handler-alias"
)

// Timeout bounds one Check: the go command can hang (a lock, a network
// file system), and a type check must never keep the editor's work
// pending forever.
const Timeout = 2 * time.Minute

// Request says what to check.
type Request struct {
	// Root is the project root: go list runs there and diagnostics are
	// reported relative to it.
	Root string
	// Files are absolute .go files; the packages holding them are checked.
	Files []string
	// Handlers maps the absolute path of every Go function entrypoint
	// the project model knows to the handler func it found there ("" when
	// the file is under api/ but has no handler by syntax).
	Handlers map[string]string
	// Env is the go command's environment. Nil means os.Environ() with
	// GOPROXY=off, so that a check never downloads anything.
	Env []string
}

// Result is what Check found.
type Result struct {
	// Files are the files of the checked packages (absolute). Their
	// previous results are replaced by Diagnostics.
	Files []string
	// Diagnostics are the type errors and handler verdicts, with File
	// relative to Root.
	Diagnostics []runtimes.Diagnostic
	// Replaces lists, per file (relative to Root), the codes of the
	// syntactic analysis that a CodeHandlerAlias diagnostic supersedes.
	Replaces map[string][]string
}

// Check loads the packages of req.Files with full types and reports their
// errors and handler verdicts.
func Check(ctx context.Context, req Request) (*Result, error) {
	if len(req.Files) == 0 {
		return &Result{}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	env := req.Env
	if env == nil {
		env = append(os.Environ(), "GOPROXY=off")
	}
	// Folders holding a file the go command refuses by name (a dynamic
	// route) are checked without go list seeing them (refused.go).
	var patterns, refused []string
	for _, f := range req.Files {
		if dir := filepath.Dir(f); hasRefusedFile(dir) {
			refused = append(refused, dir)
		} else {
			patterns = append(patterns, "file="+f)
		}
	}
	slices.Sort(refused)
	refused = slices.Compact(refused)
	cfg := &packages.Config{
		Context: ctx,
		Dir:     req.Root,
		Env:     env,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
			packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports,
		Fset: token.NewFileSet(),
	}
	var pkgs []*packages.Package
	if len(patterns) > 0 {
		var err error
		pkgs, err = packages.Load(cfg, patterns...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("type-checking %s: %w", strings.Join(req.Files, ", "), context.Cause(ctx))
			}
			return nil, fmt.Errorf("type-checking %s: %w", strings.Join(req.Files, ", "), err)
		}
	}
	for _, dir := range refused {
		p, err := loadRefused(ctx, cfg, dir)
		if err != nil {
			return nil, fmt.Errorf("type-checking %s: %w", dir, err)
		}
		pkgs = append(pkgs, p)
	}
	c := &checker{req: req, fset: cfg.Fset, res: &Result{Replaces: map[string][]string{}}}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		c.pkg(p)
	}
	slices.Sort(c.res.Files)
	c.res.Files = slices.Compact(c.res.Files)
	return c.res, nil
}

type checker struct {
	req  Request
	fset *token.FileSet
	res  *Result
}

func (c *checker) pkg(p *packages.Package) {
	c.res.Files = append(c.res.Files, p.GoFiles...)
	fallback := ""
	if len(p.GoFiles) > 0 {
		fallback = p.GoFiles[0]
	}
	// An error without a position is usually the go command's summary
	// of the positioned ones ("# pkg" and the compiler's output): report
	// it only when it is all there is.
	positioned := false
	for _, e := range p.Errors {
		if f, _, _ := splitPos(e.Pos); f != "" {
			positioned = true
		}
	}
	for _, e := range p.Errors {
		file, line, col := splitPos(e.Pos)
		if file == "" {
			if positioned {
				continue
			}
			file, line, col = fallback, 1, 1
		}
		if e.Kind == packages.ParseError {
			if _, isFunc := c.req.Handlers[file]; isFunc {
				continue // the project model reports the syntax errors of functions
			}
		}
		rel, ok := c.rel(file)
		if !ok {
			continue
		}
		c.res.Diagnostics = append(c.res.Diagnostics, runtimes.Diagnostic{
			File: rel, Severity: runtimes.SeverityError, Code: CodeTypeError, Message: e.Msg,
			Range: runtimes.Range{Start: runtimes.Position{Line: line, Column: col}},
		})
	}
	if p.Types == nil || p.TypesInfo == nil {
		return
	}
	for _, f := range p.Syntax {
		tf := c.fset.File(f.Pos())
		if tf == nil {
			continue
		}
		name := tf.Name()
		symbol, isFunc := c.req.Handlers[name]
		if !isFunc {
			continue
		}
		c.handlers(p, f, name, symbol)
	}
}

// handlers checks the function file name: the handler the syntax found,
// or, when there is none, any exported func that has the handler type
// through aliases.
func (c *checker) handlers(p *packages.Package, f *ast.File, name, symbol string) {
	rel, ok := c.rel(name)
	if !ok {
		return
	}
	for _, decl := range f.Decls {
		d, ok := decl.(*ast.FuncDecl)
		if !ok || d.Recv != nil || d.Name == nil || !d.Name.IsExported() {
			continue
		}
		if symbol != "" && d.Name.Name != symbol {
			continue
		}
		obj, ok := p.TypesInfo.Defs[d.Name].(*types.Func)
		if !ok {
			continue
		}
		sig, _ := obj.Type().(*types.Signature)
		problem := handlerProblem(sig)
		rng := c.rangeOf(d.Name)
		switch {
		case symbol != "" && problem != "":
			c.res.Diagnostics = append(c.res.Diagnostics, runtimes.Diagnostic{
				File: rel, Range: rng, Severity: runtimes.SeverityError, Code: CodeHandlerType,
				Message: fmt.Sprintf("%s looks like a handler, but after type checking %s: a handler is func(net/http.ResponseWriter, *net/http.Request)", symbol, problem),
			})
		case symbol == "" && problem == "":
			c.res.Diagnostics = append(c.res.Diagnostics, runtimes.Diagnostic{
				File: rel, Range: rng, Severity: runtimes.SeverityError, Code: CodeHandlerAlias,
				Message: fmt.Sprintf("%s has the handler type once aliases are resolved, but functions are detected from the source text (as on Vercel), so this file is not served: write its parameters as http.ResponseWriter and *http.Request", d.Name.Name),
			})
			c.res.Replaces[rel] = []string{"go-handler-signature", "go-helper-file"}
			return
		}
	}
}

// handlerProblem says why sig is not func(http.ResponseWriter,
// *http.Request), or "" when it is.
func handlerProblem(sig *types.Signature) string {
	switch {
	case sig == nil:
		return "it is not a func"
	case sig.TypeParams().Len() > 0:
		return "it is generic"
	case sig.Results().Len() > 0:
		return "it returns values"
	case sig.Params().Len() != 2 || sig.Variadic():
		return fmt.Sprintf("it takes %d parameters", sig.Params().Len())
	}
	p0, p1 := sig.Params().At(0).Type(), sig.Params().At(1).Type()
	if !isNetHTTP(p0, "ResponseWriter") {
		return fmt.Sprintf("its first parameter has type %s", types.TypeString(p0, nil))
	}
	ptr, ok := types.Unalias(p1).(*types.Pointer)
	if !ok || !isNetHTTP(ptr.Elem(), "Request") {
		return fmt.Sprintf("its second parameter has type %s", types.TypeString(p1, nil))
	}
	return ""
}

// isNetHTTP reports whether t is net/http's type name (a vendored copy
// counts).
func isNetHTTP(t types.Type, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Name() != name || n.Obj().Pkg() == nil {
		return false
	}
	path := n.Obj().Pkg().Path()
	return path == "net/http" || strings.HasSuffix(path, "/vendor/net/http") || path == "vendor/net/http"
}

func (c *checker) rangeOf(id *ast.Ident) runtimes.Range {
	s, e := c.fset.PositionFor(id.Pos(), false), c.fset.PositionFor(id.End(), false)
	return runtimes.Range{
		Start: runtimes.Position{Line: s.Line, Column: s.Column, Offset: s.Offset},
		End:   runtimes.Position{Line: e.Line, Column: e.Column, Offset: e.Offset},
	}
}

func (c *checker) rel(file string) (string, bool) {
	r, err := filepath.Rel(c.req.Root, file)
	if err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}

// splitPos parses go/packages' "file:line:col" (or "file:line", or "" /
// "-" when unknown).
func splitPos(pos string) (file string, line, col int) {
	if pos == "" || pos == "-" {
		return "", 0, 0
	}
	rest := pos
	nums := []int{}
	for range 2 {
		i := strings.LastIndexByte(rest, ':')
		if i < 0 {
			break
		}
		n, err := strconv.Atoi(rest[i+1:])
		if err != nil {
			break
		}
		nums = append([]int{n}, nums...)
		rest = rest[:i]
	}
	switch len(nums) {
	case 2:
		return rest, nums[0], nums[1]
	case 1:
		return rest, nums[0], 0
	}
	return pos, 1, 1
}
