package typecheck

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/scanner"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"

	"github.com/lambdalens/lambdalens/runtimes/golang"
)

// Dynamic routes are files such as api/users/[id].go, whose names the go
// command refuses ("invalid input file name"): go list on their folder
// fails, and with it the types of everything the package imports. The
// build works around it with an overlay under other names; the check
// parses such a folder itself, lets go/packages load only what the
// package imports, and type-checks it with go/types.

// hasRefusedFile reports whether dir holds a .go file the go command
// refuses.
func hasRefusedFile(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".go") && !golang.SafeFileName(e.Name()) {
			return true
		}
	}
	return false
}

// loadRefused builds the package in dir the way packages.Load would have:
// its files parsed, its imports' types from go/packages (export data), and
// go/types' verdict. Errors of the package are in the result; the error
// returned is for a check that could not run.
func loadRefused(ctx context.Context, cfg *packages.Config, dir string) (*packages.Package, error) {
	// Build constraints, and the names the go command ignores.
	bctx := build.Default
	paths, err := golang.PackageFiles(&bctx, dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	p := &packages.Package{ID: dir, PkgPath: importPath(dir)}
	for _, path := range paths {
		f, err := parser.ParseFile(cfg.Fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			p.Errors = append(p.Errors, parseErrors(path, err)...)
		}
		if f == nil {
			continue
		}
		if p.Name == "" {
			p.Name = f.Name.Name
		}
		p.GoFiles = append(p.GoFiles, path)
		p.Syntax = append(p.Syntax, f)
	}
	p.CompiledGoFiles = p.GoFiles
	if len(p.Syntax) == 0 {
		return p, nil
	}

	imports := importsOf(p.Syntax)
	deps := map[string]*types.Package{"unsafe": types.Unsafe}
	depErrs := map[string]string{} // imports without types, and why
	if len(imports) > 0 {
		depCfg := *cfg
		depCfg.Mode = packages.NeedName | packages.NeedTypes
		depCfg.Dir = dir
		loaded, err := packages.Load(&depCfg, imports...)
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			return nil, fmt.Errorf("loading the imports of %s: %w", dir, err)
		}
		for _, d := range loaded {
			switch {
			case d.Types != nil:
				// Even with errors of its own: its errors are its
				// package's, as on the go list path.
				deps[d.PkgPath] = d.Types
			case len(d.Errors) > 0:
				depErrs[d.PkgPath] = d.Errors[0].Msg
			}
		}
	}
	p.TypesInfo = &types.Info{
		Types: map[ast.Expr]types.TypeAndValue{},
		Defs:  map[*ast.Ident]types.Object{},
		Uses:  map[*ast.Ident]types.Object{},
	}
	conf := types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if t, ok := deps[path]; ok {
				return t, nil
			}
			if msg, ok := depErrs[path]; ok {
				return nil, errors.New(msg)
			}
			return nil, fmt.Errorf("package %s could not be loaded", path)
		}),
		// cgo files type-check as the go command's cgo pass would let
		// them (import "C" is not a package).
		FakeImportC: true,
		Error: func(err error) {
			if te, ok := err.(types.Error); ok {
				p.Errors = append(p.Errors, packages.Error{Pos: te.Fset.Position(te.Pos).String(), Msg: te.Msg, Kind: packages.TypeError})
			}
		},
	}
	p.Types, _ = conf.Check(p.PkgPath, cfg.Fset, p.Syntax, p.TypesInfo) // errors went to conf.Error
	return p, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// importsOf lists the import paths of files, without "unsafe" and "C".
func importsOf(files []*ast.File) []string {
	var paths []string
	for _, f := range files {
		for _, spec := range f.Imports {
			if p, err := strconv.Unquote(spec.Path.Value); err == nil && p != "unsafe" && p != "C" {
				paths = append(paths, p)
			}
		}
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// parseErrors turns a parser error into packages.Errors.
func parseErrors(path string, err error) []packages.Error {
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		return []packages.Error{{Pos: path + ":1:1", Msg: err.Error(), Kind: packages.ParseError}}
	}
	out := make([]packages.Error, 0, len(list))
	for _, e := range list {
		out = append(out, packages.Error{Pos: e.Pos.String(), Msg: e.Msg, Kind: packages.ParseError})
	}
	return out
}

// importPath is dir's import path in the module that holds it (the nearest
// go.mod above it), or dir's base name outside a module: it only names the
// package in type errors.
func importPath(dir string) string {
	for d := dir; ; {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if mod := modfile.ModulePath(data); mod != "" {
				rel, err := filepath.Rel(d, dir)
				if err == nil && rel != "." {
					return mod + "/" + filepath.ToSlash(rel)
				}
				return mod
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return filepath.Base(dir)
		}
		d = parent
	}
}
