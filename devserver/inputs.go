package devserver

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"hash/maphash"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// inputSet is runtimes.Inputs prepared for matching paths.
type inputSet struct {
	files    map[string]struct{}
	dirs     map[string]struct{}
	trees    []string
	exts     []string
	skip     []string // suffixes that never match in dirs and trees
	anyTrees []string // any file, whatever its extension
}

func newInputSet(in runtimes.Inputs) *inputSet {
	s := &inputSet{files: make(map[string]struct{}, len(in.Files)), dirs: make(map[string]struct{}, len(in.Dirs)), exts: in.Exts, skip: in.Skip}
	for _, f := range in.Files {
		s.files[filepath.Clean(f)] = struct{}{}
	}
	for _, d := range in.Dirs {
		s.dirs[filepath.Clean(d)] = struct{}{}
	}
	for _, t := range in.Trees {
		s.trees = append(s.trees, filepath.Clean(t))
	}
	for _, t := range in.AnyTrees {
		s.anyTrees = append(s.anyTrees, filepath.Clean(t))
	}
	return s
}

func (s *inputSet) hasExt(p string) bool {
	return len(s.exts) == 0 || slices.ContainsFunc(s.exts, func(ext string) bool { return strings.HasSuffix(p, ext) })
}

func (s *inputSet) matches(p string) bool {
	if _, ok := s.files[p]; ok {
		return true
	}
	for _, t := range s.anyTrees {
		if inDir(p, t) {
			return true
		}
	}
	if !s.hasExt(p) || slices.ContainsFunc(s.skip, func(suffix string) bool { return strings.HasSuffix(p, suffix) }) {
		return false
	}
	if _, ok := s.dirs[filepath.Dir(p)]; ok {
		return true
	}
	for _, t := range s.trees {
		if inDir(p, t) {
			return true
		}
	}
	return false
}

// affectedBy reports whether ev touches one of the function's inputs.
// Until the runtime has told the inputs, every file of the function's
// language counts.
func (f *function) affectedBy(ev watch.Event) bool {
	if ev.IsDir {
		return false
	}
	def := f.def.Load()
	if ev.Rel == def.File {
		return true
	}
	lang := def.Language()
	if !strings.Contains(ev.Rel, "/") && slices.Contains(languageManifests[lang], ev.Rel) {
		return true
	}
	source := strings.HasSuffix(ev.Rel, languageExts[lang])
	f.mu.Lock()
	defer f.mu.Unlock()
	switch in := f.inputs; {
	case f.failure != nil:
		// A failed build: its code may import a package that does not
		// exist yet, whose files are then in no list of inputs. Any
		// source file of the language may be the fix, and so may a file
		// appearing beside the entrypoint (one a //go:embed pattern
		// found missing).
		return source || ev.Op.Has(watch.Create) && inDir(ev.Path, filepath.Dir(filepath.Join(f.s.root, filepath.FromSlash(def.File))))
	case in == nil:
		// Until the runtime has told the inputs, every source file
		// counts; other files are judged once it has (refreshInputs): a
		// file the function embeds may appear before.
		if !source {
			f.keepUnjudged(ev)
		}
		return source
	case in.matches(ev.Path):
		return true
	case f.inputsStale || f.refreshDone < f.refreshGen:
		// The inputs may have changed (a new import, a new embed
		// pattern) and are being, or will be, asked again.
		f.keepUnjudged(ev)
	}
	return false
}

// keepUnjudged keeps ev for refreshInputs to judge. f.mu is held.
func (f *function) keepUnjudged(ev watch.Event) {
	if len(f.unjudged) < maxUnjudged {
		f.unjudged = append(f.unjudged, ev)
	} else {
		f.unjudgedLost = true
	}
}

// maxUnjudged bounds the events a function keeps until its inputs are
// known; past it, the function is rebuilt when they are.
const maxUnjudged = 256

// refreshInputs asks the runtime which files the function depends on, and
// indexes their imports so that later edits can tell whether the import
// graph may have changed. It runs in the build's goroutine after the new
// process is serving, and only when the inputs may be stale
// (function.inputsStale): go list is too slow for every save.
func (f *function) refreshInputs(rt runtimes.Runtime, def *project.Function, gen int64) {
	defer f.s.inputsJudged.Add(1)
	in, err := rt.Inputs(f.s.ctx, runtimes.InputsRequest{Root: f.s.root, File: def.File, CacheDir: f.s.cacheDir})
	var set *inputSet
	if err == nil {
		set = newInputSet(in)
		f.s.imports.index(set)
	}
	f.mu.Lock()
	f.refreshDone = max(f.refreshDone, gen)
	if gen < f.refreshGen {
		// A newer build asks again; its answer judges what was kept.
		f.mu.Unlock()
		return
	}
	if err != nil {
		f.inputsStale = true
		f.mu.Unlock()
		f.s.log.Debug("computing inputs; every file of the language counts", "function", f.id, "err", err)
		return
	}
	f.inputs = set
	unjudged, lost := f.unjudged, f.unjudgedLost
	f.unjudged, f.unjudgedLost = nil, false
	f.mu.Unlock()
	f.s.outside.update(f, set)
	if lost {
		f.changed("file events arrived before its inputs were known", false)
		return
	}
	for _, ev := range unjudged {
		if set.matches(ev.Path) {
			f.changed("changed "+ev.Rel, false)
			return
		}
	}
}

// structural reports whether ev may change a function's inputs (and not
// only their content): files appearing or going away, module and
// dependency manifests, and source files whose imports changed.
func (s *Server) structural(ev watch.Event) bool {
	if ev.Op.Has(watch.Create) || ev.Op.Has(watch.Remove) || ev.Op.Has(watch.Rename) || ev.Op.Has(watch.Overflow) {
		return true
	}
	base := filepath.Base(ev.Path)
	for _, names := range languageManifests {
		if slices.Contains(names, base) {
			return true
		}
	}
	return s.imports.changed(ev.Path)
}

// importIndex remembers a hash of the import list of each source file
// seen, so that an edit which leaves the imports alone does not make the
// dev server ask the runtime for the inputs again.
type importIndex struct {
	seed maphash.Seed
	mu   sync.Mutex
	m    map[string]uint64 // guarded by mu
}

func newImportIndex() *importIndex {
	return &importIndex{seed: maphash.MakeSeed(), m: make(map[string]uint64)}
}

// changed re-reads the imports of path and reports whether they differ
// from the recorded ones (true for a file never indexed, and for a file
// whose imports cannot be read).
func (x *importIndex) changed(path string) bool {
	h, ok := x.hash(path)
	if !ok {
		return strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".py")
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	old, seen := x.m[path]
	x.m[path] = h
	return !seen || old != h
}

// index records the imports of the source files in set.
func (x *importIndex) index(set *inputSet) {
	paths := make([]string, 0, len(set.files))
	for p := range set.files {
		paths = append(paths, p)
	}
	for d := range set.dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			if p := filepath.Join(d, e.Name()); !e.IsDir() && set.hasExt(p) {
				paths = append(paths, p)
			}
		}
	}
	for _, p := range paths {
		if h, ok := x.hash(p); ok {
			x.mu.Lock()
			x.m[p] = h
			x.mu.Unlock()
		}
	}
}

// hash returns a hash of the imports of a Go or Python file: the package
// name, import paths (go/parser in ImportsOnly mode, a fraction of a
// millisecond), //go:build and //go:embed lines of a Go file, the import
// statements of a Python file.
func (x *importIndex) hash(path string) (uint64, bool) {
	var h maphash.Hash
	h.SetSeed(x.seed)
	switch filepath.Ext(path) {
	case ".go":
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, false
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, data, parser.ImportsOnly)
		if err != nil {
			return 0, false
		}
		h.WriteString(file.Name.Name)
		for _, imp := range file.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			h.WriteString("\x00" + p)
		}
		// Build constraints and embed patterns change the inputs too
		// (which files compile, which folders are embedded).
		for line := range bytes.Lines(data) {
			line = bytes.TrimSpace(line)
			if bytes.HasPrefix(line, []byte("//go:embed")) || bytes.HasPrefix(line, []byte("//go:build")) {
				h.WriteString("\x00")
				h.Write(line)
			}
		}
	case ".py":
		data, err := os.ReadFile(path)
		if err != nil {
			return 0, false
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		// An import statement with its continuation lines: inside
		// parentheses ("from x import (" ... ")") or after a backslash.
		paren, cont := false, false
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if !paren && !cont && !strings.HasPrefix(line, "import ") && !strings.HasPrefix(line, "from ") {
				continue
			}
			h.WriteString(line + "\x00")
			cont = strings.HasSuffix(line, "\\")
			if paren {
				paren = !strings.Contains(line, ")")
			} else {
				paren = strings.Contains(line, "(") && !strings.Contains(line, ")")
			}
		}
	default:
		return 0, false
	}
	return h.Sum64(), true
}
