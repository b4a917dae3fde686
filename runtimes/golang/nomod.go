package golang

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Projects without a go.mod.
//
// Vercel builds such a function in a go.mod it writes (module <package>)
// after go mod tidy, so its imports of other modules resolve through the
// module proxy. lambdalens lays its own go.mod over the entry's folder
// (module virtualModulePath) and never writes the user's tree, and go mod
// tidy cannot run there: it would write go.mod and go.sum, and it reads no
// overlay for them. So the requirements are found in a scratch module
// under the cache instead, <cache>/go/mod/<key>/, holding a go.mod and a
// file that imports what the entry's package imports from other modules;
// go mod tidy runs there with the build's environment (GOPROXY, GOFLAGS,
// GOPRIVATE ... as the user set them), and its go.mod and go.sum are laid
// over the entry's folder beside each other.
//
// The key is the toolchain's version and the set of imported paths, so
// tidy runs again only when those change: a build of unchanged imports
// reads two small files and runs no go command. A new tidy starts from
// the requirements of the previous one for the same folder, so adding an
// import does not move the versions already chosen. Only the entry's
// package is tidied (Vercel tidies the whole folder tree), so an unrelated
// broken folder does not fail the build.

// tidyVersion changes when the scratch module's layout changes.
const tidyVersion = "lambdalens-go-tidy-1"

// importSite is one import, in the entry's package, of a package that
// must come from another module.
type importSite struct {
	path string
	file string // slash path relative to the project root
	rng  runtimes.Range
}

// moduleImport reports whether an import path names a package of another
// module: its first element has a dot (module.CheckPath requires one; a
// path without is the standard library, or an error the compiler
// reports) and it is not in the virtual module.
func moduleImport(p string) bool {
	first, _, _ := strings.Cut(p, "/")
	return strings.Contains(first, ".") && p != virtualModulePath && !strings.HasPrefix(p, virtualModulePath+"/")
}

// moduleImports returns the file's imports of other modules.
func moduleImports(fset *token.FileSet, f *ast.File, rel string) []importSite {
	var out []importSite
	for _, spec := range f.Imports {
		ip, err := strconv.Unquote(spec.Path.Value)
		if err != nil || !moduleImport(ip) {
			continue
		}
		start, end := fset.Position(spec.Path.Pos()), fset.Position(spec.Path.End())
		out = append(out, importSite{path: ip, file: rel, rng: runtimes.Range{
			Start: runtimes.Position{Line: start.Line, Column: start.Column, Offset: start.Offset},
			End:   runtimes.Position{Line: end.Line, Column: end.Column, Offset: end.Offset},
		}})
	}
	return out
}

// layModule lays a go.mod over the entry's folder when there is none:
// module virtualModulePath at the local toolchain's version, with the
// requirements and go.sum of its imports of other modules (see the top of
// this file). offline uses only requirements found before.
func (r *Runtime) layModule(ctx context.Context, p *plan, goVersion, cache string, offline bool) error {
	t := p.t
	if !t.virtualMod {
		return nil
	}
	gomod := []byte("module " + virtualModulePath + "\n\ngo " + goVersion + "\n")
	var gosum []byte
	if len(p.layout.imports) > 0 {
		m, s, err := r.tidied(ctx, p, goVersion, cache, offline)
		if err != nil {
			return err
		}
		if m != nil {
			gomod, gosum = m, s
		}
	}
	p.ov.add(filepath.Join(t.pkgDir, "go.mod"), gomod, origin{})
	if gosum != nil {
		p.ov.add(filepath.Join(t.pkgDir, "go.sum"), gosum, origin{})
	}
	return nil
}

// tidyLocks serializes the tidies of one scratch module in this process
// (two functions of one folder build in parallel); other processes race
// on the final rename, which only one wins.
var tidyLocks sync.Map // scratch module dir → chan struct{} (capacity 1)

// tidied returns the go.mod and go.sum that go mod tidy gives for the
// plan's imports, from the cache or by running it. Offline, it returns
// nil when the cache has none.
func (r *Runtime) tidied(ctx context.Context, p *plan, goVersion, cache string, offline bool) (gomod, gosum []byte, err error) {
	var paths []string
	for _, s := range p.layout.imports {
		paths = append(paths, s.path)
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)
	// One entry per folder and set of imports: two folders may have
	// chosen different versions for the same imports.
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q\n", tidyVersion, virtualModulePath, goVersion, p.t.pkgDir)
	for _, ip := range paths {
		fmt.Fprintf(h, "import %q\n", ip)
	}
	base := filepath.Join(cache, "go", "mod")
	dir := filepath.Join(base, hex.EncodeToString(h.Sum(nil))[:32])
	last := filepath.Join(base, "last-"+shortHash(p.t.pkgDir))
	// An entry is used only when it agrees with the versions the folder's
	// last tidy chose (it may be older than them): versions do not move
	// when an import comes or goes.
	seedMod, seedSum := seed(base, last, goVersion)
	use := func(gomod []byte) bool { return sameVersions(seedMod, gomod) }
	if gomod, gosum, ok := readTidied(dir); offline || ok && use(gomod) {
		if ok && !offline {
			_ = writeIfChanged(last, []byte(filepath.Base(dir)), 0o644)
		}
		return gomod, gosum, nil
	}
	lock, _ := tidyLocks.LoadOrStore(dir, make(chan struct{}, 1))
	select {
	case lock.(chan struct{}) <- struct{}{}:
		defer func() { <-lock.(chan struct{}) }()
	case <-ctx.Done():
		return nil, nil, fmt.Errorf("waiting for go mod tidy for %s: %w", p.t.file, context.Cause(ctx))
	}
	if gomod, gosum, ok := readTidied(dir); ok && use(gomod) {
		_ = writeIfChanged(last, []byte(filepath.Base(dir)), 0o644)
		return gomod, gosum, nil
	}

	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating %s: %w", base, err)
	}
	tmp, err := os.MkdirTemp(base, ".tidy-")
	if err != nil {
		return nil, nil, fmt.Errorf("creating a scratch module: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, nil, fmt.Errorf("creating a scratch module: %w", err)
	}
	var src strings.Builder
	src.WriteString("// The imports of " + p.t.file + "'s package from other modules.\n\npackage imports\n\nimport (\n")
	for _, ip := range paths {
		fmt.Fprintf(&src, "\t_ %q\n", ip)
	}
	src.WriteString(")\n")
	for name, data := range map[string][]byte{"go.mod": seedMod, "go.sum": seedSum, "imports.go": []byte(src.String())} {
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			return nil, nil, fmt.Errorf("writing the scratch module: %w", err)
		}
	}
	cmd := r.command(ctx, tmp, mergeEnv(p.env, []string{"PWD=" + tmp, "GOWORK=off"}), "mod", "tidy")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("running go mod tidy for %s: %w", p.t.file, context.Cause(ctx))
		}
		return nil, nil, tidyError(p, string(out), err)
	}
	gomod, gosum, ok := readTidied(tmp)
	if !ok {
		return nil, nil, fmt.Errorf("running go mod tidy for %s: no go.mod left in %s", p.t.file, tmp)
	}
	// An entry that disagreed with the folder's versions is replaced.
	// Best effort: a lost entry or pointer only means another tidy.
	_ = os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err == nil {
		_ = writeIfChanged(last, []byte(filepath.Base(dir)), 0o644)
	}
	return gomod, gosum, nil
}

// sameVersions reports whether every module both go.mod files require has
// the same version in each.
func sameVersions(a, b []byte) bool {
	fa, err := modfile.ParseLax("go.mod", a, nil)
	if err != nil {
		return false
	}
	fb, err := modfile.ParseLax("go.mod", b, nil)
	if err != nil {
		return false
	}
	versions := map[string]string{}
	for _, r := range fa.Require {
		versions[r.Mod.Path] = r.Mod.Version
	}
	for _, r := range fb.Require {
		if v, ok := versions[r.Mod.Path]; ok && v != r.Mod.Version {
			return false
		}
	}
	return true
}

// readTidied reads the go.mod and go.sum of a scratch module.
func readTidied(dir string) (gomod, gosum []byte, ok bool) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, nil, false
	}
	gosum, err = os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil && !os.IsNotExist(err) {
		return nil, nil, false
	}
	if gosum == nil {
		gosum = []byte{}
	}
	return gomod, gosum, true
}

// seed returns the go.mod and go.sum a new tidy starts from: the
// requirements and sums of the last tidy for the same folder (named by
// the file last), at goVersion.
func seed(base, last, goVersion string) (gomod, gosum []byte) {
	gomod = []byte("module " + virtualModulePath + "\n\ngo " + goVersion + "\n")
	gosum = []byte{}
	name, err := os.ReadFile(last)
	if err != nil {
		return gomod, gosum
	}
	prev, prevSum, ok := readTidied(filepath.Join(base, filepath.Base(strings.TrimSpace(string(name)))))
	if !ok {
		return gomod, gosum
	}
	f, err := modfile.ParseLax("go.mod", prev, nil)
	if err != nil || len(f.Require) == 0 {
		return gomod, gosum
	}
	var b strings.Builder
	b.Write(gomod)
	b.WriteString("\nrequire (\n")
	for _, req := range f.Require {
		fmt.Fprintf(&b, "\t%s %s\n", req.Mod.Path, req.Mod.Version)
	}
	b.WriteString(")\n")
	return []byte(b.String()), prevSum
}

// tidyError explains a failed go mod tidy at the imports it could not
// resolve, with what to do.
func tidyError(p *plan, out string, err error) error {
	failed := tidyFailures(out)
	var diags []runtimes.Diagnostic
	for _, s := range p.layout.imports {
		if reason, ok := failed[s.path]; ok {
			diags = append(diags, tidyDiagnostic(s, reason))
		}
	}
	if len(diags) == 0 {
		// Nothing names a package: blame every import with the go
		// command's last word.
		reason := "go mod tidy failed"
		for line := range strings.Lines(out) {
			if l := strings.TrimSpace(line); l != "" && !tidyProgress(l) {
				reason = l
			}
		}
		for _, s := range p.layout.imports {
			diags = append(diags, tidyDiagnostic(s, reason))
		}
	}
	var b strings.Builder
	for _, d := range diags {
		b.WriteString(d.String() + "\n")
	}
	return &runtimes.BuildError{
		Op:          "resolving the imports of " + p.t.file + " (no go.mod)",
		Output:      b.String(),
		Diagnostics: diags,
		Err:         fmt.Errorf("go mod tidy: %w", err),
		// The failure may be the network's or the proxy's.
		Retry: true,
	}
}

func tidyDiagnostic(s importSite, reason string) runtimes.Diagnostic {
	return runtimes.Diagnostic{
		File:     s.file,
		Range:    s.rng,
		Severity: runtimes.SeverityError,
		Code:     "go-mod-tidy",
		Message: fmt.Sprintf("cannot resolve import %q: %s\n"+
			"This project has no go.mod, so its imports are resolved as Vercel does, with go mod tidy in a go.mod of lambdalens' own. "+
			"To choose the module and its version yourself, run `go mod init <module path>` in the project root, then `go get %s`.",
			s.path, reason, s.path),
	}
}

// tidyFailures maps the imports go mod tidy could not resolve to why. It
// reads blocks such as
//
//	go: lambdalens.local/handler imports
//		github.com/x/y: cannot find module providing package github.com/x/y: ...
//
// where the first indented line names the scratch module's own import
// (further lines, "github.com/x/y imports" first, lead to a missing
// package of a dependency).
func tidyFailures(out string) map[string]string {
	failed := map[string]string{}
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != "go: "+virtualModulePath+" imports" {
			continue
		}
		var block []string
		for _, l := range lines[i+1:] {
			if !strings.HasPrefix(l, "\t") {
				break
			}
			block = append(block, strings.TrimSpace(l))
		}
		if len(block) == 0 {
			continue
		}
		path, _, _ := strings.Cut(block[0], " ")
		path = strings.TrimSuffix(path, ":")
		block[0] = strings.TrimPrefix(block[0], path+": ")
		if _, seen := failed[path]; !seen {
			failed[path] = strings.Join(block, "\n")
		}
	}
	return failed
}

// tidyProgress reports whether a line of go mod tidy's output is progress,
// not an error.
func tidyProgress(line string) bool {
	for _, prefix := range []string{"go: finding module for package ", "go: found ", "go: downloading "} {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
