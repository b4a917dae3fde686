package lsp

import (
	"context"
	"fmt"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/command"
)

// ExecuteCommand runs one of the commands declared in package command.
// The read loop is serialized (each message waits for the previous reply),
// so every command that takes time replies at once and works on a
// background goroutine; its outcome arrives as a message, progress and
// diagnostics.
func (s *server) ExecuteCommand(ctx context.Context, params *protocol.ExecuteCommandParams) (any, error) {
	// A workDoneToken from the client is not used: it is valid only until
	// this request is answered, and the work goes on after that.
	return command.Dispatch(ctx, params, &commandHandler{s: s})
}

// commandHandler implements command.Interface for one request.
type commandHandler struct {
	s *server
}

var _ command.Interface = (*commandHandler)(nil)

// folderFor resolves a command's uri argument: a file or folder of a
// workspace folder; empty means the first folder.
func (h *commandHandler) folderFor(u string) (*folder, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	if u == "" {
		if len(h.s.folders) == 0 {
			return nil, fmt.Errorf("no workspace folder is open: %w", jsonrpc2.ErrInvalidParams)
		}
		return h.s.folders[0], nil
	}
	path, err := uriPath(protocol.DocumentURI(u))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, jsonrpc2.ErrInvalidParams)
	}
	f := h.s.folderForLocked(path)
	if f == nil {
		return nil, fmt.Errorf("no workspace folder holds %s: %w", path, jsonrpc2.ErrInvalidParams)
	}
	return f, nil
}

func (h *commandHandler) DevStart(_ context.Context, args command.DevStartArgs) error {
	f, err := h.folderFor(args.URI)
	if err != nil {
		return err
	}
	h.s.goBackground("dev start", func(ctx context.Context) {
		url, reused, err := f.startDev(ctx)
		switch {
		case err != nil:
			h.s.showMessage(protocol.MessageTypeError, "lambdalens dev: "+err.Error())
		case reused:
			h.s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: already running at "+url)
		default:
			h.s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: running at "+url)
		}
	})
	return nil
}

func (h *commandHandler) DevStop(_ context.Context, args command.DevStopArgs) error {
	f, err := h.folderFor(args.URI)
	if err != nil {
		return err
	}
	h.s.goBackground("dev stop", func(ctx context.Context) {
		cctx, cancel := context.WithTimeout(ctx, closeTimeout)
		defer cancel()
		if f.stopDev(cctx, true) {
			h.s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: stopped")
		} else {
			h.s.showMessage(protocol.MessageTypeInfo, "lambdalens dev: not running")
		}
	})
	return nil
}

func (h *commandHandler) DevOpen(_ context.Context, args command.DevOpenArgs) error {
	f, err := h.folderFor(args.URI)
	if err != nil {
		return err
	}
	h.s.goBackground("dev open", func(ctx context.Context) {
		base, _, err := f.startDev(ctx)
		if err != nil {
			h.s.showMessage(protocol.MessageTypeError, "lambdalens dev: "+err.Error())
			return
		}
		target := base + "/"
		if args.Function != "" {
			snap, err := f.ensure(ctx)
			if err != nil {
				h.s.showMessage(protocol.MessageTypeError, "lambdalens dev: "+err.Error())
				return
			}
			fn := snap.project.Function(args.Function)
			if fn == nil {
				h.s.showMessage(protocol.MessageTypeError, fmt.Sprintf("lambdalens dev: no function %q in %s", args.Function, f.name))
				return
			}
			target = functionURL(base, fn)
		}
		h.s.openURL(escapeURLPath(target))
	})
	return nil
}

func (h *commandHandler) Build(_ context.Context, args command.BuildArgs) error {
	f, err := h.folderFor(args.URI)
	if err != nil {
		return err
	}
	h.s.goBackground("build", func(ctx context.Context) { f.runBuild(ctx, args.Function) })
	return nil
}

func (h *commandHandler) BuildCancel(_ context.Context, args command.BuildCancelArgs) error {
	var folders []*folder
	if args.URI == "" {
		h.s.mu.Lock()
		folders = append(folders, h.s.folders...)
		h.s.mu.Unlock()
	} else {
		f, err := h.folderFor(args.URI)
		if err != nil {
			return err
		}
		folders = []*folder{f}
	}
	n := 0
	for _, f := range folders {
		if f.cancelBuild() {
			n++
		}
	}
	if n == 0 {
		h.s.showMessage(protocol.MessageTypeInfo, "lambdalens build: no build is running")
	}
	return nil
}

// Inspect answers with the model; it is cheap (a load with a warm cache),
// so it runs inline.
func (h *commandHandler) Inspect(ctx context.Context, args command.InspectArgs) (*command.InspectResult, error) {
	f, err := h.folderFor(args.URI)
	if err != nil {
		return nil, err
	}
	snap, err := f.ensure(ctx)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", f.root, err)
	}
	p := snap.project
	status, base := f.devInfo()
	res := &command.InspectResult{
		Root: f.root, DevURL: base, DevState: status.commandState(),
		Functions: []command.FunctionInfo{}, Problems: []command.Problem{},
	}
	for _, fn := range p.Functions {
		res.Functions = append(res.Functions, command.FunctionInfo{
			ID: fn.ID, File: fn.File, Language: string(fn.Language()), Kind: string(fn.Kind()),
			Route: fn.Route.Pattern, Memory: fn.Config.Memory, MaxDuration: fn.Config.MaxDuration,
			Architecture: fn.Config.Architecture, URL: functionURL(base, fn),
		})
	}
	for _, d := range p.Diagnostics {
		res.Problems = append(res.Problems, command.Problem{
			File: d.File, Line: d.Range.Start.Line, Column: d.Range.Start.Column,
			Severity: d.Severity.String(), Code: d.Code, Message: d.Message,
		})
	}
	return res, nil
}
