package lsp

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/python"
)

// The diagnostics of an edit are published in two phases, as gopls does.
//
// The quick phase re-analyzes only the edited documents that are functions
// (or function candidates) in the previous model, with the runtimes' analyzers (tens of
// microseconds), and publishes their diagnostics at once: the previous
// model's diagnostics of the file, minus those the analyzer found in the
// old content, plus those it finds in the new content. What does not come
// from the file's own analysis (route conflicts, configuration) is kept as
// it was.
//
// The full phase then reloads the project (a tree walk, milliseconds on a
// large project) and publishes whatever the quick phase could not see: a
// file that stopped being a function, conflicts that moved, other files.
//
// quickPass is the quick phase. It publishes the files it re-analyzed and
// no other: a publish tagged with a document's version is about that
// version's text, and the previous model's diagnostics of other documents
// are about older text. It publishes nothing when no edited document is a
// function or a function candidate of the previous model.
func (f *folder) quickPass(ctx context.Context) {
	f.s.mu.Lock()
	prev := f.snap
	gen := f.gen
	f.quickGen = gen
	overlay, versions, uris := f.s.openDocsLocked(f.root)
	f.s.mu.Unlock()
	if prev == nil {
		return
	}
	for abs := range f.seen {
		if _, open := overlay[abs]; !open {
			delete(f.seen, abs)
		}
	}
	quick := map[string][]runtimes.Diagnostic{}
	for abs, src := range overlay {
		if seen, ok := f.seen[abs]; ok && bytes.Equal(seen, src) {
			continue // this content was diagnosed already
		}
		f.seen[abs] = src
		// old is the content of the previous model, which may be older
		// than the content last diagnosed when edits cancelled full
		// phases: the model's diagnostics are about it.
		old := prev.overlay[abs]
		rel, ok := f.rel(abs)
		if !ok {
			continue
		}
		kind, ok := analyzerFor(prev.project, rel)
		if !ok {
			continue
		}
		if old == nil {
			var err error
			if old, err = os.ReadFile(abs); err != nil {
				continue
			}
		}
		oldDiags := kind.analyze(rel, old)
		var kept []runtimes.Diagnostic
		for _, d := range prev.project.Diagnostics {
			if d.File != rel {
				continue
			}
			if i := slices.IndexFunc(oldDiags, func(o runtimes.Diagnostic) bool { return reflect.DeepEqual(o, d) }); i >= 0 {
				oldDiags = slices.Delete(oldDiags, i, i+1)
				continue
			}
			kept = append(kept, d)
		}
		if len(oldDiags) > 0 {
			// The model did not analyze the file this way: leave it to
			// the full phase.
			continue
		}
		quick[rel] = append(kept, kind.analyze(rel, src)...)
	}
	if len(quick) == 0 || ctx.Err() != nil {
		return
	}
	qs := &snapshot{gen: gen, project: prev.project, overlay: overlay, versions: versions, uris: uris}
	f.diags.setQuick(qs, quick)
	only := make(map[string]bool, len(quick))
	for rel := range quick {
		only[rel] = true
	}
	f.publishFiles(ctx, qs, only)
}

// analyzer is the analysis project.Load runs on a kind of file.
type analyzer struct {
	lang runtimes.Language
	kind runtimes.Kind
}

// analyzerFor tells how the model analyzes rel: as its function's kind
// when it is one, else as a zero-config function when it is a candidate
// (a .go or .py file under api/ without a segment starting with "_" or
// "."). A wrong guess is caught by quickPass: the model's diagnostics then
// do not contain the analysis of the old content.
func analyzerFor(p *project.Project, rel string) (analyzer, bool) {
	if fn := p.FunctionByFile(rel); fn != nil {
		return analyzer{fn.Language(), fn.Kind()}, true
	}
	if !strings.HasPrefix(rel, "api/") {
		return analyzer{}, false
	}
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, "_") || strings.HasPrefix(seg, ".") {
			return analyzer{}, false
		}
	}
	switch {
	case strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go"):
		return analyzer{runtimes.Go, runtimes.KindFunction}, true
	case strings.HasSuffix(rel, ".py"):
		return analyzer{runtimes.Python, runtimes.KindFunction}, true
	}
	return analyzer{}, false
}

// analyze returns the diagnostics of the analysis.
func (a analyzer) analyze(file string, src []byte) []runtimes.Diagnostic {
	switch {
	case a.lang == runtimes.Go && a.kind == runtimes.KindServer:
		return golang.AnalyzeServer(file, src).Diagnostics
	case a.lang == runtimes.Go:
		return golang.AnalyzeFunction(file, src).Diagnostics
	case a.kind == runtimes.KindApp:
		return python.AnalyzeApp(file, src).Diagnostics
	case a.lang == runtimes.Python:
		return python.AnalyzeFunction(file, src).Diagnostics
	}
	return nil
}
