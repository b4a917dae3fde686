package project

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Go standalone server entrypoints, in Vercel's order (reference §4.5).
var goServerCandidates = []string{"main.go", "cmd/api/main.go", "cmd/server/main.go"}

// Python framework app candidates at the project root, in Vercel's order
// (reference §5.1): {"", src, app}/{app,index,server,main,wsgi,asgi}.py.
// api/ is left out: files there are functions.
var pythonAppCandidates = func() []string {
	var c []string
	for _, dir := range []string{"", "src/", "app/"} {
		for _, name := range []string{"app", "index", "server", "main", "wsgi", "asgi"} {
			c = append(c, dir+name+".py")
		}
	}
	return c
}()

// Python manifests whose presence at the root makes a framework app
// candidate count (Vercel's framework detection needs one of them).
var pythonManifests = []string{"pyproject.toml", "requirements.txt", "Pipfile"}

// Frameworks that mean "a Python app at the root" in vercel.json.
var pythonFrameworks = map[string]bool{"fastapi": true, "flask": true, "django": true, "python": true, "fasthtml": true}

// candidate is a file that may be an entrypoint, and how to analyze it.
type candidate struct {
	file string
	kind runtimes.Kind
	lang runtimes.Language
}

// discover finds the entrypoints, analyzes them and fills p.Functions.
func (l *loader) discover(p *Project) error {
	var cands []candidate
	if len(p.Config.Builds) > 0 {
		// Legacy builds name every entrypoint: no zero-config api/
		// functions, and no server or app detection.
		cands = l.buildsCandidates(p.Config)
	} else {
		cands = append(l.apiCandidates(), l.serverCandidates(p.Config)...)
	}

	haveApp := false
	for _, c := range cands {
		if err := l.ctx.Err(); err != nil {
			return err
		}
		if c.kind == runtimes.KindApp && haveApp {
			continue // the first candidate with an app wins, as on Vercel
		}
		a, err := l.analyze(c)
		if err != nil {
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: c.file, Severity: runtimes.SeverityError, Code: "file-unreadable",
				Message: fmt.Sprintf("reading %s: %v", c.file, err),
			})
			continue
		}
		l.diags = append(l.diags, a.diags...)
		if a.ep == nil {
			continue
		}
		f := &Function{File: c.file, Entrypoint: *a.ep}
		switch c.kind {
		case runtimes.KindServer:
			f.ID = "index"
		case runtimes.KindApp:
			haveApp = true
			f.ID = a.ep.Framework
			if f.ID == "" {
				f.ID = "python"
			}
		}
		p.Functions = append(p.Functions, f)
	}
	return nil
}

// analyze analyzes one candidate, reusing the cached result when the file
// has not changed (then it is not even read).
func (l *loader) analyze(c candidate) (analysis, error) {
	var sig fileSig
	var ok bool
	if l.opts.Cache != nil {
		sig, ok = l.sig(c.file)
		if ok {
			if a, hit := l.opts.Cache.lookup(c, sig); hit {
				return a, nil
			}
		}
	}
	src, err := l.read(c.file)
	if err != nil {
		return analysis{}, err
	}
	a := runAnalysis(c, src)
	if ok {
		l.opts.Cache.store(c, sig, a)
	}
	return a, nil
}

// apiCandidates lists zero-config functions: api/**/*.go (not _test.go)
// and api/**/*.py, skipping segments that start with "_" or ".".
func (l *loader) apiCandidates() []candidate {
	var out []candidate
	i := sort.SearchStrings(l.files, "api/")
	for ; i < len(l.files) && strings.HasPrefix(l.files[i], "api/"); i++ {
		f := l.files[i]
		if hiddenSegment(f) {
			continue
		}
		switch {
		case strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go"):
			out = append(out, candidate{f, runtimes.KindFunction, runtimes.Go})
		case strings.HasSuffix(f, ".py"):
			out = append(out, candidate{f, runtimes.KindFunction, runtimes.Python})
		}
	}
	return out
}

// buildsCandidates lists the files matched by legacy "builds" entries,
// anywhere in the tree.
func (l *loader) buildsCandidates(cfg *config.Config) []candidate {
	var out []candidate
	seen := map[string]bool{}
	for _, b := range cfg.Builds {
		var lang runtimes.Language
		switch config.BuilderName(b.Use) {
		case "@vercel/go", "@now/go":
			lang = runtimes.Go
		case "@vercel/python", "@now/python":
			lang = runtimes.Python
		default:
			continue // the config package reported unsupported builders
		}
		src := strings.TrimPrefix(b.Src, "/")
		matched := false
		for _, f := range l.files {
			if !buildMatch(src, f) || seen[f] || (lang == runtimes.Go && strings.HasSuffix(f, "_test.go")) {
				continue
			}
			if (lang == runtimes.Go) != strings.HasSuffix(f, ".go") || (lang == runtimes.Python) != strings.HasSuffix(f, ".py") {
				continue
			}
			seen[f] = true
			matched = true
			out = append(out, candidate{f, runtimes.KindFunction, lang})
		}
		if !matched {
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: config.File, Range: b.Range, Severity: runtimes.SeverityWarning, Code: "unused-build",
				Message: fmt.Sprintf("builds entry %q (%s) matches no file; check the glob", b.Src, b.Use),
			})
		}
	}
	return out
}

// staticBuilds returns the src globs of legacy @vercel/static builds,
// warning about one that matches no file. The static folder is then the
// project root even before a file matches: one created later is served.
func (l *loader) staticBuilds(cfg *config.Config) []string {
	var globs []string
	for _, b := range cfg.Builds {
		if name := config.BuilderName(b.Use); name != "@vercel/static" && name != "@now/static" {
			continue
		}
		src := strings.TrimPrefix(b.Src, "/")
		if src == "" {
			continue // the config package reported it
		}
		globs = append(globs, src)
		if !slices.ContainsFunc(l.files, func(f string) bool { return buildMatch(src, f) }) {
			l.diags = append(l.diags, runtimes.Diagnostic{
				File: config.File, Range: b.Range, Severity: runtimes.SeverityWarning, Code: "unused-build",
				Message: fmt.Sprintf("builds entry %q (%s) matches no file; check the glob", b.Src, b.Use),
			})
		}
	}
	return globs
}

// serverCandidates finds a Go standalone server and a Python framework app.
func (l *loader) serverCandidates(cfg *config.Config) []candidate {
	var out []candidate
	if cfg.Framework == "go" || l.exists("go.mod") {
		for _, f := range goServerCandidates {
			if l.exists(f) {
				out = append(out, candidate{f, runtimes.KindServer, runtimes.Go})
				break
			}
		}
	}
	hasManifest := pythonFrameworks[cfg.Framework]
	for _, m := range pythonManifests {
		hasManifest = hasManifest || l.exists(m)
	}
	if hasManifest {
		for _, f := range pythonAppCandidates {
			if l.exists(f) {
				out = append(out, candidate{f, runtimes.KindApp, runtimes.Python})
			}
		}
	}
	return out
}

// hiddenSegment reports whether a path has a segment starting with "_" or
// "." (Vercel does not treat such files as functions).
func hiddenSegment(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// trimExt removes the file extension.
func trimExt(p string) string { return strings.TrimSuffix(p, path.Ext(p)) }
