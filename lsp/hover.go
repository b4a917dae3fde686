package lsp

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// Hover describes the function whose handler is under the cursor: its
// route(s), runtime, memory, maxDuration, architecture and, when the dev
// server runs, its live URL.
func (s *server) Hover(ctx context.Context, params *protocol.HoverParams) (*protocol.Hover, error) {
	path, err := uriPath(params.TextDocument.URI)
	if err != nil {
		return nil, nil
	}
	f := s.folderFor(path)
	if f == nil {
		return nil, nil
	}
	rel, ok := f.rel(path)
	if !ok {
		return nil, nil
	}
	snap, err := f.ensure(ctx)
	if err != nil {
		return nil, nil
	}
	fn := snap.project.FunctionByFile(rel)
	if fn == nil {
		return nil, nil
	}
	m := newFileMapper(rel, f.fileContent(snap, rel))
	r := m.rangeOf(fn.Entrypoint.SymbolRange)
	if params.Position.Line != r.Start.Line {
		return nil, nil
	}
	_, base := f.devInfo()
	markdown := s.capabilities().markdown
	kind := protocol.PlainText
	if markdown {
		kind = protocol.Markdown
	}
	return &protocol.Hover{
		Contents: protocol.MarkupContent{Kind: kind, Value: describe(snap.project, fn, base, markdown)},
		Range:    &r,
	}, nil
}

// describe writes a function's hover text.
func describe(p *project.Project, fn *project.Function, devBase string, markdown bool) string {
	code := func(s string) string {
		if markdown {
			return "`" + s + "`"
		}
		return s
	}
	var b strings.Builder
	title := fmt.Sprintf("%s (%s %s)", fn.ID, languageName(fn.Language()), fn.Kind())
	if markdown {
		title = "**" + title + "**"
	}
	b.WriteString(title + "\n\n")
	routes := []string{code(fn.Route.Pattern)}
	if fn.Kind() != runtimes.KindFunction {
		routes = []string{code("/*") + " (every path no other function serves)"}
	}
	for _, rw := range p.Config.Rewrites {
		if rewriteTargets(rw.Destination, fn) {
			routes = append(routes, code(rw.Source)+" (rewrite)")
		}
	}
	line := func(label, value string) {
		if markdown {
			b.WriteString("- " + label + ": " + value + "\n")
		} else {
			b.WriteString(label + ": " + value + "\n")
		}
	}
	line("Route", strings.Join(routes, ", "))
	line("Runtime", runtimeText(p, fn))
	line("Memory", fmt.Sprintf("%d MB", fn.Config.Memory))
	dur := fmt.Sprintf("%d s", fn.Config.MaxDuration)
	if fn.Config.MaxDurationMax {
		dur += " (max)"
	}
	line("Max duration", dur)
	line("Architecture", fn.Config.Architecture)
	if fn.Config.Pattern != "" {
		line("Settings from", code(`vercel.json "functions"["`+fn.Config.Pattern+`"]`))
	}
	if u := functionURL(devBase, fn); u != "" {
		line("Dev", u)
	}
	return strings.TrimRight(b.String(), "\n")
}

// rewriteTargets reports whether a rewrite's destination is fn's route
// or its output path.
func rewriteTargets(dest string, fn *project.Function) bool {
	u, err := url.Parse(dest)
	if err != nil || u.Host != "" {
		return false
	}
	p := strings.TrimSuffix(u.Path, "/")
	return p == "/"+fn.ID || p == fn.Route.Pattern || p == "/"+fn.File
}

func languageName(l runtimes.Language) string {
	switch l {
	case runtimes.Go:
		return "Go"
	case runtimes.Python:
		return "Python"
	}
	return string(l)
}

// runtimeText names the Lambda runtime a function builds for.
func runtimeText(p *project.Project, fn *project.Function) string {
	if fn.Config.Runtime != "" {
		return fn.Config.Runtime
	}
	switch fn.Language() {
	case runtimes.Go:
		v := p.GoVersion.Value
		if v == "" {
			return "provided.al2023 (Go)"
		}
		return fmt.Sprintf("provided.al2023 (Go %s, from %s)", v, p.GoVersion.Source)
	case runtimes.Python:
		v := p.PythonVersion.Value
		if v == "" {
			v = project.DefaultPythonVersion
		}
		if parts := strings.Split(v, "."); len(parts) > 2 {
			v = parts[0] + "." + parts[1]
		}
		return fmt.Sprintf("python%s", v)
	}
	return string(fn.Language())
}
