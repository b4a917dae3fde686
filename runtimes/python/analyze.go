package python

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Diagnostic codes reported by AnalyzeFunction and AnalyzeApp.
const (
	CodeSyntax              = "py-syntax"
	CodeNoEntrypoint        = "py-no-entrypoint"
	CodeMultipleEntrypoints = "py-multiple-entrypoints"
)

// maxSyntaxDiagnostics caps the py-syntax diagnostics of one file: the
// interpreter reports the real error, ours only say where the scan had to
// guess.
const maxSyntaxDiagnostics = 3

// Analysis is what AnalyzeFunction or AnalyzeApp found in one Python file.
type Analysis struct {
	// Entrypoint is the app, application or class handler found, nil when
	// the file has none.
	Entrypoint *runtimes.Entrypoint
	// Diagnostics are the problems found.
	Diagnostics []runtimes.Diagnostic
	// Imports are the modules the file imports, deduplicated, in source
	// order, as written: "helpers", "api.lib.db", ".util" (from .util
	// import x), "..pkg" (from .. import pkg). For "from pkg import x" it
	// is "pkg"; x may be a submodule, which only the file system can tell.
	// Imports in indented code (try: blocks, functions) are included.
	Imports []string
}

// AnalyzeFunction analyzes a zero-config function file (api/**.py). file is
// the slash path relative to the project root, used in diagnostics. It
// never fails: problems become diagnostics.
//
// The entrypoint is the top-level binding of app, else application, else
// class handler (any case), as Vercel looks for them. A file without any
// is not a function: Vercel skips it silently, we say so with a warning.
func AnalyzeFunction(file string, src []byte) Analysis {
	return analyze(file, src, runtimes.KindFunction)
}

// AnalyzeApp analyzes a root framework app candidate (app.py, main.py,
// src/index.py, ...) the same way. A candidate without an app is simply
// not the app: Entrypoint is nil and no diagnostic says so.
func AnalyzeApp(file string, src []byte) Analysis {
	return analyze(file, src, runtimes.KindApp)
}

// entryGroups are the names Vercel looks for, by priority.
var entryGroups = [...]string{"app", "application", "class handler"}

func groupOf(b binding) int {
	switch {
	case b.kind == bindClass:
		return 2
	case b.name == "application":
		return 1
	}
	return 0
}

func analyze(file string, src []byte, kind runtimes.Kind) Analysis {
	lines := newLineIndex(src)
	m, problems := scanModule(src, lines)
	a := Analysis{Imports: m.imports}
	rng := func(start, end int) runtimes.Range {
		return runtimes.Range{Start: lines.position(start), End: lines.position(end)}
	}
	slices.SortStableFunc(problems, func(a, b problem) int { return cmp.Compare(a.start, b.start) })
	for _, p := range problems {
		a.Diagnostics = append(a.Diagnostics, runtimes.Diagnostic{
			File:     file,
			Range:    rng(p.start, p.end),
			Severity: runtimes.SeverityWarning,
			Code:     CodeSyntax,
			Message:  p.msg + "; the interpreter will report the exact error",
		})
	}

	// For each group: the first binding (where the symbol is) and the
	// kind shown by the last binding that shows one (Python's last
	// assignment wins: app = Flask(...) then app = WsgiToAsgi(app)).
	var groups [len(entryGroups)]struct {
		first     *binding
		kind      runtimes.AppKind
		framework string
	}
	for i := range m.entries {
		b := &m.entries[i]
		g := &groups[groupOf(*b)]
		if g.first == nil {
			g.first = b
		}
		if k, fw := m.classify(*b, 0); k != runtimes.AppUnknown {
			g.kind, g.framework = k, fw
		}
	}
	chosen := -1
	for i, g := range groups {
		if g.first != nil && chosen < 0 {
			chosen = i
		}
	}
	if chosen < 0 {
		if kind == runtimes.KindFunction {
			a.Diagnostics = append(a.Diagnostics, noEntrypoint(file, src, m, lines))
		}
		return a
	}

	g := groups[chosen]
	a.Entrypoint = &runtimes.Entrypoint{
		Language:    runtimes.Python,
		Kind:        kind,
		Symbol:      g.first.name,
		SymbolRange: rng(g.first.start, g.first.end),
		AppKind:     g.kind,
		Framework:   g.framework,
	}
	for i := chosen + 1; i < len(groups); i++ {
		other := groups[i].first
		if other == nil {
			continue
		}
		a.Diagnostics = append(a.Diagnostics, runtimes.Diagnostic{
			File:     file,
			Range:    rng(other.start, other.end),
			Severity: runtimes.SeverityWarning,
			Code:     CodeMultipleEntrypoints,
			Message: fmt.Sprintf("%s is defined too, but %s is the entrypoint: %s is ignored "+
				"(Vercel looks for app, then application, then class handler)",
				describe(other), describe(g.first), other.name),
			Related: []runtimes.Related{{File: file, Range: a.Entrypoint.SymbolRange, Message: "the entrypoint that is used"}},
		})
	}
	return a
}

func describe(b *binding) string {
	if b.kind == bindClass {
		return "class " + b.name
	}
	return b.name
}

func noEntrypoint(file string, src []byte, m *module, lines *lineIndex) runtimes.Diagnostic {
	first := 0
	if len(src) >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF {
		first = 3
	}
	var msg strings.Builder
	fmt.Fprintf(&msg, "%s defines no top-level `app`, `application` or class `handler`, so it is not a function "+
		"(Vercel skips such files without a word). ", file)
	if m.notClass != nil {
		fmt.Fprintf(&msg, "`%s` on line %s does not count: it must be a class, "+
			"class handler(BaseHTTPRequestHandler). ", m.notClass.name, lines.lineString(m.notClass.start))
	}
	msg.WriteString("Bind one at the top level (app = FastAPI(), app = Flask(__name__), ...), " +
		"or move shared code to a folder starting with _ (api/_lib/) so that it is not taken for a function")
	return runtimes.Diagnostic{
		File:     file,
		Range:    runtimes.Range{Start: lines.position(first), End: lines.position(lineEnd(src, first))},
		Severity: runtimes.SeverityWarning,
		Code:     CodeNoEntrypoint,
		Message:  msg.String(),
	}
}
