package golang

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// overlay is the -overlay of one build: files laid over the user's tree
// without touching it. Generated content lives in scratch, a directory
// under the cache dir that is stable per entry and build mode so that the
// go build cache keeps hitting (the actual paths of overlaid files are part
// of the compiler's -trimpath argument, hence of its cache key).
type overlay struct {
	scratch string
	// replace maps virtual absolute paths to actual absolute paths ("" hides
	// a file that exists on disk).
	replace map[string]string
	// files are the contents to write into scratch, by actual path.
	files map[string][]byte
	// origins maps actual scratch paths and virtual paths to the user file
	// they stand for, so compiler positions can be mapped back.
	origins map[string]origin
	// renames maps generated identifiers back to the user's names.
	renames map[string]string
}

// origin is the user file behind an overlaid file.
type origin struct {
	file string // slash path relative to the project root
	// at, when set, is where every position in the overlaid file is
	// reported: the generated main's errors (a handler that does not exist
	// or has the wrong type) belong at the entry's handler.
	at *runtimes.Position
	// renamed lists the declarations the overlaid copy renames.
	renamed []renamedDecl
}

// renamedDecl locates a renamed identifier: line/col are where both names
// start and shift is how much longer the new name is. Compiler columns after
// the name on that line are shifted back by that much.
type renamedDecl struct{ line, col, shift int }

func newOverlay(scratch string) *overlay {
	return &overlay{
		scratch: scratch,
		replace: map[string]string{},
		files:   map[string][]byte{},
		origins: map[string]origin{},
		renames: map[string]string{},
	}
}

// add lays content over the virtual path. The actual file gets a name that
// is unique in scratch and ends in the virtual base name, so compiler output
// naming it can be recognised whatever the go command made of its path.
func (o *overlay) add(virtual string, content []byte, org origin) {
	actual := filepath.Join(o.scratch, shortHash(virtual)+"_"+filepath.Base(virtual))
	o.replace[virtual] = actual
	o.files[actual] = content
	if org.file != "" {
		o.origins[actual] = org
		o.origins[virtual] = org
	}
}

// redirect lays an existing file over the virtual path.
func (o *overlay) redirect(virtual, actual, file string) {
	o.replace[virtual] = actual
	o.origins[virtual] = origin{file: file}
}

// maxRedirected bounds the files redirectTree lays over, so that a huge
// folder beside a handler in a [param] folder cannot stall every build.
const maxRedirected = 10000

// redirectTree lays the regular files below the subfolders of a relocated
// package over the same tree in its compile directory, so that its
// //go:embed patterns find them. A folder with its own go.mod is another
// module, as for the go command, and is left out.
func redirectTree(o *overlay, t *target, subdirs []string) error {
	n := 0
	for _, name := range subdirs {
		err := filepath.WalkDir(filepath.Join(t.pkgDir, name), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable parts are left out; embed reports what it misses
			}
			if d.IsDir() {
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
				return nil
			}
			if !isRegular(d, p) {
				return nil
			}
			if n++; n > maxRedirected {
				return fmt.Errorf("laying the folders of %s over a compilable folder, for //go:embed: more than %d files below it; move what is not embedded elsewhere", relSlash(t.root, t.pkgDir), maxRedirected)
			}
			rel, err := filepath.Rel(t.pkgDir, p)
			if err != nil {
				return nil
			}
			o.redirect(filepath.Join(t.compileDir, rel), p, relSlash(t.root, p))
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// hide removes a file from the go command's view.
func (o *overlay) hide(path string) { o.replace[path] = "" }

// write stores the generated files and the overlay JSON in scratch,
// rewriting only what changed, and returns the JSON's path. It returns ""
// when there is nothing to overlay.
func (o *overlay) write() (string, error) {
	if len(o.replace) == 0 {
		return "", nil
	}
	if err := os.MkdirAll(o.scratch, 0o755); err != nil {
		return "", fmt.Errorf("creating scratch directory: %w", err)
	}
	for p, content := range o.files {
		if err := writeIfChanged(p, content, 0o644); err != nil {
			return "", err
		}
	}
	data, err := json.MarshalIndent(struct{ Replace map[string]string }{o.replace}, "", "\t")
	if err != nil {
		return "", fmt.Errorf("encoding overlay: %w", err)
	}
	p := filepath.Join(o.scratch, "overlay.json")
	if err := writeIfChanged(p, data, 0o644); err != nil {
		return "", err
	}
	return p, nil
}

// writeIfChanged writes data to path through a temporary file and a rename
// (so that a concurrent build never reads half a file), unless path already
// holds exactly data.
func writeIfChanged(path string, data []byte, perm fs.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), perm)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// packageLayout is what layPackage found in the entry's directory.
type packageLayout struct {
	// pkgName is the entry file's package name.
	pkgName string
	// handler is the name under which the entry's handler is reachable in
	// the compiled package (renamed when it collides), "" when none was
	// asked for.
	handler string
	// handlerPos is where the entry declares its handler (line 1 when it
	// was not found); errors in the generated main are reported there.
	handlerPos runtimes.Position
	// imports are the package's imports of other modules (moduleImport),
	// in the files it compiles.
	imports []importSite
}

// layPackage lays the entry's package over the build so that it compiles
// the way Vercel compiles it, or better:
//
//   - files the go command rejects by name ("[id].go") are hidden and laid
//     over again under a safe name;
//   - when several files of the directory declare the same handler-shaped
//     function (two routes "api/a.go" and "api/b.go" both with func
//     Handler), each of those files is laid over with its declaration
//     renamed to <Name>_<slug of the file> ("Handler_api_a_go"); only the
//     declaration is renamed, so line numbers are unchanged;
//   - when the directory has no valid import path, all its files are laid
//     over a virtual directory that has one;
//   - the entry file's content comes from read (the editor's buffer, for
//     Inputs).
//
// symbol is the entry's handler; "" detects it (functions) and rename=false
// skips handlers altogether (servers).
func layPackage(o *overlay, t *target, bctx *build.Context, read runtimes.FileReader, symbol string, rename bool) (packageLayout, error) {
	entries, err := os.ReadDir(t.pkgDir)
	if err != nil {
		return packageLayout{}, fmt.Errorf("reading %s: %w", t.pkgDir, err)
	}
	type dirFile struct {
		name, path, rel string
		built           bool
		src             []byte
		file            *ast.File
		fset            *token.FileSet
		changed         bool
		parseErr        error
	}
	var files []*dirFile
	var entryFile *dirFile
	var subdirs []string // of a relocated package, laid over for //go:embed
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(t.pkgDir, name)
		if t.relocated && e.IsDir() {
			subdirs = append(subdirs, name)
			continue
		}
		if !isRegular(e, p) {
			continue
		}
		rel := relSlash(t.root, p)
		if !strings.HasSuffix(name, ".go") {
			if t.relocated {
				o.redirect(filepath.Join(t.compileDir, name), p, rel)
			}
			continue
		}
		gf := &dirFile{name: name, path: p, rel: rel}
		files = append(files, gf)
		if p == t.entry {
			entryFile = gf
		}
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		ok, err := bctx.MatchFile(t.pkgDir, name)
		gf.built = err == nil && ok
	}
	if entryFile == nil && read != nil {
		// A file the editor has not saved yet.
		if _, err := read(t.entry); err == nil {
			entryFile = &dirFile{name: filepath.Base(t.entry), path: t.entry, rel: t.file, changed: true}
			files = append(files, entryFile)
		}
	}
	if entryFile == nil {
		return packageLayout{}, fmt.Errorf("%s: %w", t.file, fs.ErrNotExist)
	}
	entryFile.built = true

	// Parse what compiles, to learn the entry's package, handlers and
	// imports.
	declaredIn := map[string]int{}
	var imports []importSite
	embeds := false
	for _, gf := range files {
		if !gf.built {
			continue
		}
		readFn := os.ReadFile
		if gf == entryFile && read != nil {
			readFn = read
		}
		gf.src, err = readFn(gf.path)
		if err != nil {
			return packageLayout{}, fmt.Errorf("reading %s: %w", gf.rel, err)
		}
		if gf == entryFile && read != nil {
			if disk, err := os.ReadFile(gf.path); err != nil || !bytes.Equal(disk, gf.src) {
				gf.changed = true
			}
		}
		embeds = embeds || bytes.Contains(gf.src, []byte("//go:embed"))
		gf.fset = token.NewFileSet()
		gf.file, gf.parseErr = parser.ParseFile(gf.fset, gf.path, gf.src, parser.SkipObjectResolution)
		if gf.file != nil {
			imports = append(imports, moduleImports(gf.fset, gf.file, gf.rel)...)
		}
		if gf.file == nil || !rename {
			continue
		}
		for _, fd := range handlerFuncs(gf.file) {
			declaredIn[fd.Name.Name]++
		}
	}
	if embeds {
		// The folder's subfolders come along, for //go:embed.
		if err := redirectTree(o, t, subdirs); err != nil {
			return packageLayout{}, err
		}
	}

	layout := packageLayout{imports: imports}
	if entryFile.file != nil && entryFile.file.Name != nil {
		layout.pkgName = entryFile.file.Name.Name
	}
	layout.handlerPos = runtimes.Position{Line: 1, Column: 1}
	if rename {
		var hs []*ast.FuncDecl
		if entryFile.file != nil {
			hs = handlerFuncs(entryFile.file)
		}
		if symbol == "" && len(hs) > 0 {
			symbol = hs[0].Name.Name
		}
		if symbol == "" && entryFile.parseErr != nil {
			// Let the compiler report the syntax error.
			symbol = "Handler"
		}
		if symbol == "" {
			return packageLayout{}, noHandlerError(t.file)
		}
		layout.handler = symbol
		if entryFile.file != nil {
			for _, d := range entryFile.file.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == symbol {
					pos := entryFile.fset.Position(fd.Name.Pos())
					layout.handlerPos = runtimes.Position{Line: pos.Line, Column: pos.Column, Offset: pos.Offset}
				}
			}
		}
	}

	for _, gf := range files {
		var org origin
		if gf.built && gf.file != nil && rename {
			hs := handlerFuncs(gf.file)
			// Splice from the end so earlier offsets stay valid.
			for _, fd := range slices.Backward(hs) {
				old := fd.Name.Name
				if declaredIn[old] < 2 {
					continue
				}
				renamed := old + "_" + slug(gf.rel)
				pos := gf.fset.Position(fd.Name.Pos())
				gf.src = slices.Concat(gf.src[:pos.Offset], []byte(renamed), gf.src[pos.Offset+len(old):])
				gf.changed = true
				org.file = gf.rel
				org.renamed = append(org.renamed, renamedDecl{line: pos.Line, col: pos.Column, shift: len(renamed) - len(old)})
				o.renames[renamed] = old
				if gf == entryFile && old == layout.handler {
					layout.handler = renamed
				}
			}
		}
		virtualName := gf.name
		if !SafeFileName(gf.name) {
			if !t.relocated {
				o.hide(gf.path)
			}
			if !gf.built {
				continue
			}
			virtualName = "lambdalens_" + slug(strings.TrimSuffix(gf.name, ".go")) + "_" + shortHash(gf.name)[:6] + ".go"
		}
		virtual := filepath.Join(t.compileDir, virtualName)
		switch {
		case gf.changed:
			if org.file == "" {
				org = origin{file: gf.rel}
			}
			o.add(virtual, gf.src, org)
		case virtual != gf.path:
			o.redirect(virtual, gf.path, gf.rel)
		}
	}
	return layout, nil
}

// isRegular reports whether a directory entry is a regular file or a
// symlink to one.
func isRegular(e fs.DirEntry, path string) bool {
	if e.Type().IsRegular() {
		return true
	}
	if e.Type()&fs.ModeSymlink != 0 {
		fi, err := os.Stat(path)
		return err == nil && fi.Mode().IsRegular()
	}
	return false
}

// handlerFuncs returns the file's top-level functions shaped like Vercel Go
// handlers: exported, no receiver, two parameters http.ResponseWriter and
// *http.Request (whatever the net/http import is called).
func handlerFuncs(f *ast.File) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv != nil || !fd.Name.IsExported() || fd.Type.TypeParams != nil {
			continue
		}
		var types []ast.Expr
		for _, field := range fd.Type.Params.List {
			n := max(len(field.Names), 1)
			for range n {
				types = append(types, field.Type)
			}
		}
		if len(types) != 2 || !isSelector(types[0], "ResponseWriter") {
			continue
		}
		if star, ok := types[1].(*ast.StarExpr); ok && isSelector(star.X, "Request") {
			out = append(out, fd)
		}
	}
	return out
}

func isSelector(e ast.Expr, name string) bool {
	sel, ok := e.(*ast.SelectorExpr)
	return ok && sel.Sel.Name == name
}

// noHandlerError is the build error for an entry without a handler.
func noHandlerError(file string) error {
	msg := "no handler found: expected an exported func(http.ResponseWriter, *http.Request)"
	return &runtimes.BuildError{
		Op:  "building " + file,
		Err: errors.New(msg),
		Diagnostics: []runtimes.Diagnostic{{
			File:     file,
			Range:    runtimes.Range{Start: runtimes.Position{Line: 1, Column: 1}, End: runtimes.Position{Line: 1, Column: 1}},
			Severity: runtimes.SeverityError,
			Code:     "go-no-handler",
			Message:  msg,
		}},
	}
}

// relSlash returns p relative to root, slash-separated ("../x" when p is
// outside root).
func relSlash(root, p string) string {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

// buildContext returns the go/build context that decides which files of
// a directory the go command compiles for the given settings.
func buildContext(s buildSettings) *build.Context {
	c := build.Default
	c.CgoEnabled = false
	if s.goos != "" {
		c.GOOS = s.goos
	}
	if s.arch != "" {
		c.GOARCH = s.arch
	}
	c.BuildTags = s.tags
	return &c
}
