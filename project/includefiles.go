package project

import (
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
)

// Diagnostic codes of vercel.json "includeFiles".
const (
	// CodeIncludeNoMatch: a glob matches no project file, so the
	// functions it is for get nothing from it.
	CodeIncludeNoMatch = "function-include-no-match"
	// CodeIncludeOutside: a glob leaves the project, which lambdalens build
	// refuses.
	CodeIncludeOutside = "function-include-outside"
	// CodeIncludePython: includeFiles is set only for Python functions,
	// where it does nothing.
	CodeIncludePython = "function-include-python"
	// CodeIncludeOverwrite: a glob takes a file to the place of the
	// function's own bootstrap or user-server, which lambdalens build
	// refuses.
	CodeIncludeOverwrite = "function-include-overwrite"
)

// goReserved are the names of a Go .func that includeFiles must not
// produce: the Go runtime refuses such a file when it builds
// (runtimes/golang includefiles.go); the model reports it first, at the
// glob.
var goReserved = []string{"bootstrap", "user-server"}

// maxListedFolders bounds the folders one diagnostic names.
const maxListedFolders = 3

// checkIncludeFiles reports the vercel.json includeFiles globs that give a
// function nothing. A glob is resolved the way lambdalens build (and
// Vercel) resolves it: relative to the function's folder for a Go function
// (api/ for api/hello.go), to the project root for a Go server. Python
// functions ignore includeFiles, since every project file that is not
// excluded ships already.
//
// It matches the globs against the file list of this load (no second walk
// of the tree). Files that list leaves out (.vercelignore, Vercel's default
// ignores such as node_modules) are not known, so a glob that may reach into
// an ignored directory is given the benefit of the doubt.
func (l *loader) checkIncludeFiles(p *Project) {
	ruleIndex := make(map[string]int, len(p.Config.Functions))
	for i, r := range p.Config.Functions {
		ruleIndex[r.Pattern] = i
	}
	funcs := make([][]*Function, len(p.Config.Functions))
	for _, f := range p.Functions {
		if i, ok := ruleIndex[f.Config.Pattern]; ok && f.Config.Pattern != "" {
			funcs[i] = append(funcs[i], f)
		}
	}
	for i := range p.Config.Functions {
		rule := &p.Config.Functions[i]
		if len(rule.IncludeFiles) == 0 || len(funcs[i]) == 0 {
			continue
		}
		l.checkIncludeRule(rule, funcs[i])
	}
}

// checkIncludeRule checks the includeFiles of one "functions" rule against
// the functions it applies to.
func (l *loader) checkIncludeRule(rule *config.FunctionRule, funcs []*Function) {
	node := rule.Node.Get("includeFiles")
	if node == nil {
		return
	}
	var bases []string // the folders the globs are relative to, sorted
	var python []string
	for _, f := range funcs {
		switch {
		case f.Language() == runtimes.Python:
			python = append(python, f.File)
		default:
			bases = append(bases, golang.IncludeBase(f.File, f.Kind() == runtimes.KindServer))
		}
	}
	slices.Sort(bases)
	bases = slices.Compact(bases)
	if len(bases) == 0 {
		l.diags = append(l.diags, runtimes.Diagnostic{
			File: config.File, Range: node.KeyRange, Severity: runtimes.SeverityInfo, Code: CodeIncludePython,
			Message: fmt.Sprintf("includeFiles has no effect on Python functions (%s): every project file that excludeFiles, .vercelignore and Vercel's defaults do not exclude ships already",
				listShort(python)),
		})
		return
	}
	items := []*config.Node{node}
	if node.Kind == config.Array {
		items = node.Children
	}
	for _, it := range items {
		// Parse reported the items that are not valid globs and left them
		// out of IncludeFiles.
		if it.Kind != config.String || it.Str == "" || !slices.Contains(rule.IncludeFiles, it.Str) {
			continue
		}
		d, ok := l.checkIncludeOverwrite(it.Str, rule.ExcludeFiles, bases)
		if !ok {
			d, ok = l.checkIncludeGlob(it.Str, bases)
		}
		if ok {
			d.File, d.Range = config.File, it.Range
			l.diags = append(l.diags, d)
		}
	}
}

// checkIncludeOverwrite reports a glob that includes a file named
// bootstrap or user-server in the folder it is relative to: the file
// would land on the function's own, so the build refuses it. A matched
// folder counts for the files in it, as the build copies it whole; a file
// that an excludeFiles glob (from the same folder) matches does not count.
func (l *loader) checkIncludeOverwrite(glob string, exclude, bases []string) (runtimes.Diagnostic, bool) {
	for _, b := range bases {
		joined := golang.IncludeGlob(b, glob)
		for _, name := range goReserved {
			f := path.Join(b, name)
			if i := sort.SearchStrings(l.files, f); i == len(l.files) || l.files[i] != f {
				continue
			}
			if !includes(joined, f) || slices.ContainsFunc(exclude, func(ex string) bool {
				return includes(golang.IncludeGlob(b, ex), f)
			}) {
				continue
			}
			return runtimes.Diagnostic{Severity: runtimes.SeverityError, Code: CodeIncludeOverwrite,
				Message: fmt.Sprintf("the includeFiles pattern %q includes %s, which would overwrite the function's %s; lambdalens build refuses it: leave the file out with a narrower pattern, or rename it",
					glob, f, name)}, true
		}
	}
	return runtimes.Diagnostic{}, false
}

// includes reports whether glob (relative to the project root) matches
// the file f or a folder holding it.
func includes(glob, f string) bool {
	if glob == "." {
		return true
	}
	for p := f; p != "."; p = path.Dir(p) {
		if globMatches(glob, p) {
			return true
		}
	}
	return false
}

// checkIncludeGlob checks one glob against the folders it is relative to.
func (l *loader) checkIncludeGlob(glob string, bases []string) (runtimes.Diagnostic, bool) {
	slashed := filepath.ToSlash(glob)
	var outside, empty []string // folders from which it leaves the project, or matches nothing
	abs := path.IsAbs(slashed) || filepath.IsAbs(glob)
	for _, b := range bases {
		joined := golang.IncludeGlob(b, glob)
		switch {
		case abs || joined == ".." || strings.HasPrefix(joined, "../"):
			outside = append(outside, b)
		case !l.includeMatches(joined):
			empty = append(empty, b)
		}
	}
	if len(outside) > 0 {
		msg := fmt.Sprintf("the includeFiles pattern %q leaves the project from %s, which lambdalens build refuses; %s",
			glob, folderList(outside), relativeTo(bases))
		if abs {
			msg = fmt.Sprintf("the includeFiles pattern %q is absolute, which lambdalens build refuses; %s", glob, relativeTo(bases))
		}
		return runtimes.Diagnostic{Severity: runtimes.SeverityError, Code: CodeIncludeOutside, Message: msg}, true
	}
	if len(empty) == 0 {
		return runtimes.Diagnostic{}, false
	}
	msg := fmt.Sprintf("the includeFiles pattern %q matches no file: %s", glob, relativeTo(bases))
	if len(bases) == 1 {
		msg += ", so it looks for " + path.Join(bases[0], slashed)
	} else {
		var looks []string
		for _, b := range empty[:min(len(empty), maxListedFolders)] {
			looks = append(looks, fmt.Sprintf("from %s it looks for %s", folderName(b), path.Join(b, slashed)))
		}
		if n := len(empty) - maxListedFolders; n > 0 {
			looks = append(looks, fmt.Sprintf("and so on from %d more folder%s", n, plural(n)))
		}
		msg += "; " + strings.Join(looks, ", ")
	}
	// The usual mistake: a path written from the project root.
	if b := empty[0]; len(empty) == 1 && b != "." {
		if rooted := path.Clean(slashed); !strings.HasPrefix(rooted, "../") && l.includeMatches(rooted) {
			msg += fmt.Sprintf("; to include %s, write %q", rooted, strings.Repeat("../", strings.Count(b, "/")+1)+rooted)
		}
	}
	return runtimes.Diagnostic{Severity: runtimes.SeverityWarning, Code: CodeIncludeNoMatch, Message: msg}, true
}

// includeMatches reports whether glob (relative to the project root)
// matches a project file, or a folder holding one (a matched folder is
// copied whole), or may reach into a folder the load did not list (an
// ignored one, or one behind a symlink, which the build follows). Results
// are kept for the load: many functions' folders often make one glob.
func (l *loader) includeMatches(glob string) bool {
	if ok, done := l.includeMemo[glob]; done {
		return ok
	}
	ok := l.includeMatchesUncached(glob)
	if l.includeMemo == nil {
		l.includeMemo = map[string]bool{}
	}
	l.includeMemo[glob] = ok
	return ok
}

func (l *loader) includeMatchesUncached(glob string) bool {
	if glob == "." {
		return len(l.files) > 0
	}
	base, _ := doublestar.SplitPattern(glob)
	files := l.files
	if base != "." {
		// Sorted: the files under base/ are one run.
		prefix := base + "/"
		i := sort.SearchStrings(files, prefix)
		j := i + sort.Search(len(files)-i, func(k int) bool { return !strings.HasPrefix(files[i+k], prefix) })
		files = files[i:j]
	}
	checked := map[string]bool{} // folders already tried
	for _, f := range files {
		if globMatches(glob, f) {
			return true
		}
		for d := path.Dir(f); d != "." && d != base && !checked[d]; d = path.Dir(d) {
			checked[d] = true
			if globMatches(glob, d) {
				return true
			}
		}
	}
	for _, q := range l.ignored {
		if mayReach(glob, q) {
			return true
		}
	}
	for _, q := range l.symlinks {
		if mayReach(glob, q) {
			return true
		}
	}
	return false
}

// globMatches is doublestar.Match with an invalid pattern matching nothing
// (Parse has reported it).
func globMatches(glob, name string) bool {
	ok, err := doublestar.Match(glob, name)
	return err == nil && ok
}

// mayReach reports whether glob may match q, something inside q or a
// folder holding q: whether an ignored path q could decide what glob
// matches. It errs towards true.
func mayReach(glob, q string) bool {
	if strings.Contains(glob, "{") {
		return true // an alternative may hold a "/"
	}
	gs, qs := strings.Split(glob, "/"), strings.Split(q, "/")
	for i, seg := range gs {
		if seg == "**" || i == len(qs) {
			return true
		}
		if !globMatches(seg, qs[i]) {
			return false
		}
	}
	return true
}

// relativeTo says what the globs are relative to.
func relativeTo(bases []string) string {
	switch {
	case len(bases) == 1 && bases[0] == ".":
		return "for a Go server it is relative to the project root"
	case len(bases) == 1:
		return "for a Go function it is relative to the function's folder, " + folderName(bases[0])
	case bases[0] == ".": // sorted: "." comes first
		return "for Go functions it is relative to each function's folder (the project root for a Go server)"
	}
	return "for Go functions it is relative to each function's folder"
}

// folderName shows a folder as "api/", or "the project root".
func folderName(dir string) string {
	if dir == "." {
		return "the project root"
	}
	return dir + "/"
}

// folderList names up to maxListedFolders folders.
func folderList(dirs []string) string {
	names := make([]string, 0, maxListedFolders+1)
	for _, d := range dirs[:min(len(dirs), maxListedFolders)] {
		names = append(names, folderName(d))
	}
	if n := len(dirs) - maxListedFolders; n > 0 {
		names = append(names, fmt.Sprintf("%d more", n))
	}
	return strings.Join(names, ", ")
}

// listShort lists up to maxListedFolders names.
func listShort(names []string) string {
	s := strings.Join(names[:min(len(names), maxListedFolders)], ", ")
	if n := len(names) - maxListedFolders; n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
