package lsp

import (
	"context"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/command"
	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/project/config"
)

// Lens titles.
const (
	titleRun      = "▶ Run dev server"
	titleStarting = "◌ Starting dev server…"
	titleStop     = "■ Stop dev server"
	titleBuild    = "Build for Lambda"
	titleBuildAll = "Build all for Lambda"
)

// CodeLens returns the lenses of a document: on each function's handler
// (the func line in Go, the app/handler line in Python, func main of a
// standalone server) and at the top of vercel.json. The model is brought
// up to date first, so lenses never lag behind the document.
func (s *server) CodeLens(ctx context.Context, params *protocol.CodeLensParams) ([]protocol.CodeLens, error) {
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
		return nil, nil // best effort: lenses are asked for on every keystroke
	}
	settings := s.currentSettings()
	status, base := f.devInfo()
	folderURI := string(f.uri)

	var lenses []protocol.CodeLens
	if rel == config.File {
		top := protocol.Range{}
		if settings.lens(lensBuildAll) {
			lenses = append(lenses, protocol.CodeLens{Range: top, Command: ptr(command.NewBuildCommand(titleBuildAll, command.BuildArgs{URI: folderURI}))})
		}
		lenses = append(lenses, devLenses(settings, status, base, folderURI, nil, top)...)
	}
	var m *mapper
	for _, fn := range snap.project.Functions {
		if fn.File != rel {
			continue
		}
		if m == nil {
			m = newFileMapper(rel, f.fileContent(snap, rel))
		}
		r := m.rangeOf(fn.Entrypoint.SymbolRange)
		lenses = append(lenses, devLenses(settings, status, base, folderURI, fn, r)...)
		if settings.lens(lensBuild) {
			lenses = append(lenses, protocol.CodeLens{Range: r, Command: ptr(command.NewBuildCommand(titleBuild, command.BuildArgs{URI: folderURI, Function: fn.ID}))})
		}
	}
	return lenses, nil
}

// devLenses are the dev-state lenses: ▶ Run dev server when stopped; the
// URL (● …) and ■ Stop dev server when running. fn is nil for the
// project-wide lenses of vercel.json.
func devLenses(settings Settings, status devStatus, base, folderURI string, fn *project.Function, r protocol.Range) []protocol.CodeLens {
	var out []protocol.CodeLens
	switch status {
	case devStopped:
		if settings.lens(lensDev) {
			out = append(out, protocol.CodeLens{Range: r, Command: ptr(command.NewDevStartCommand(titleRun, command.DevStartArgs{URI: folderURI}))})
		}
	case devStarting:
		if settings.lens(lensDev) {
			out = append(out, protocol.CodeLens{Range: r, Command: ptr(command.NewDevStartCommand(titleStarting, command.DevStartArgs{URI: folderURI}))})
		}
	case devRunning:
		if settings.lens(lensOpen) {
			args := command.DevOpenArgs{URI: folderURI}
			if fn != nil {
				args.Function = fn.ID
			}
			out = append(out, protocol.CodeLens{Range: r, Command: ptr(command.NewDevOpenCommand("● "+functionURL(base, fn), args))})
		}
		if settings.lens(lensDev) {
			out = append(out, protocol.CodeLens{Range: r, Command: ptr(command.NewDevStopCommand(titleStop, command.DevStopArgs{URI: folderURI}))})
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
