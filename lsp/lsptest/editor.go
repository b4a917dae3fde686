// Package lsptest is a fake editor for testing and benchmarking language
// servers over a real JSON-RPC connection, in the style of gopls's
// integration tests: it opens files, types edits (converting byte offsets
// to UTF-16 positions itself), saves, asks for lenses and hovers, executes
// commands, and records everything the server sends (diagnostics, log and
// show messages, progress, registrations, showDocument, lens refreshes) in a
// State that tests wait on with Await, "eventually"-style, under a
// deadline: never with sleeps.
//
// It talks to any server behind an io.ReadWriteCloser: lambdalens
// in-process over net.Pipe, or a subprocess (lambdalens lsp, gopls) over
// its stdin and stdout, which is how bench/lsp compares them.
package lsptest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"
	"go.uber.org/zap"
	"golang.org/x/tools/txtar"
)

// Options configure the capabilities the editor announces and how it
// answers the server's requests. The zero value is a minimal client: no
// progress, no showDocument, no lens refresh, no file watching, no
// workspace/configuration.
type Options struct {
	WorkDoneProgress bool // window.workDoneProgress
	ShowDocument     bool // window.showDocument.support
	CodeLensRefresh  bool // workspace.codeLens.refreshSupport
	WatchedFiles     bool // workspace.didChangeWatchedFiles.dynamicRegistration
	RelatedInfo      bool // textDocument.publishDiagnostics.relatedInformation
	Markdown         bool // textDocument.hover.contentFormat: markdown
	// Configuration, when not nil, is announced (workspace.configuration)
	// and returned for every workspace/configuration item.
	Configuration any
	// InitializationOptions are sent with initialize.
	InitializationOptions any
	// Folders are the workspace folders (absolute); default: the
	// editor's directory.
	Folders []string
	// NoWorkspace sends neither workspace folders nor a root (an editor
	// opening a lone file).
	NoWorkspace bool
}

// Editor is a fake LSP client.
type Editor struct {
	dir    string
	opts   Options
	conn   jsonrpc2.Conn
	server protocol.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	state   State
	buffers map[string]*buffer // by path relative to dir
}

type buffer struct {
	version int32
	content []byte
}

// Connect starts a client on rwc for the workspace at dir. Call Initialize
// next, and Close at the end.
func Connect(ctx context.Context, rwc io.ReadWriteCloser, dir string, opts Options) *Editor {
	e := &Editor{
		dir:     dir,
		opts:    opts,
		changed: make(chan struct{}),
		state:   newState(),
		buffers: map[string]*buffer{},
	}
	e.conn = jsonrpc2.NewConn(jsonrpc2.NewStream(rwc))
	e.server = protocol.ServerDispatcher(e.conn, zap.NewNop())
	e.conn.Go(ctx, protocol.Handlers(protocol.ClientHandler(&client{e}, e.extraHandler)))
	return e
}

// Conn is the JSON-RPC connection, for raw calls.
func (e *Editor) Conn() jsonrpc2.Conn { return e.conn }

// Dir is the workspace directory.
func (e *Editor) Dir() string { return e.dir }

// Close closes the connection and waits for its reader.
func (e *Editor) Close() error {
	err := e.conn.Close()
	select {
	case <-e.conn.Done():
	case <-time.After(5 * time.Second):
	}
	return err
}

// Done is closed when the connection ends.
func (e *Editor) Done() <-chan struct{} { return e.conn.Done() }

// Initialize sends initialize and initialized.
func (e *Editor) Initialize(ctx context.Context) (*protocol.InitializeResult, error) {
	folders := e.opts.Folders
	if len(folders) == 0 {
		folders = []string{e.dir}
	}
	params := &protocol.InitializeParams{
		ProcessID:             int32(os.Getpid()),
		InitializationOptions: e.opts.InitializationOptions,
		Capabilities:          e.capabilities(),
	}
	if !e.opts.NoWorkspace {
		params.RootURI = uri.File(folders[0])
		for _, f := range folders {
			params.WorkspaceFolders = append(params.WorkspaceFolders, protocol.WorkspaceFolder{URI: string(uri.File(f)), Name: filepath.Base(f)})
		}
	}
	res, err := e.server.Initialize(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("initialize: %w", err)
	}
	if err := e.server.Initialized(ctx, &protocol.InitializedParams{}); err != nil {
		return nil, fmt.Errorf("initialized: %w", err)
	}
	return res, nil
}

func (e *Editor) capabilities() protocol.ClientCapabilities {
	o := e.opts
	c := protocol.ClientCapabilities{
		Window: &protocol.WindowClientCapabilities{
			WorkDoneProgress: o.WorkDoneProgress,
			ShowDocument:     &protocol.ShowDocumentClientCapabilities{Support: o.ShowDocument},
		},
		Workspace: &protocol.WorkspaceClientCapabilities{
			WorkspaceFolders:      true,
			Configuration:         o.Configuration != nil,
			CodeLens:              &protocol.CodeLensWorkspaceClientCapabilities{RefreshSupport: o.CodeLensRefresh},
			DidChangeWatchedFiles: &protocol.DidChangeWatchedFilesWorkspaceClientCapabilities{DynamicRegistration: o.WatchedFiles},
		},
		TextDocument: &protocol.TextDocumentClientCapabilities{
			PublishDiagnostics: &protocol.PublishDiagnosticsClientCapabilities{RelatedInformation: o.RelatedInfo, VersionSupport: true},
		},
	}
	if o.Markdown {
		c.TextDocument.Hover = &protocol.HoverTextDocumentClientCapabilities{ContentFormat: []protocol.MarkupKind{protocol.Markdown, protocol.PlainText}}
	}
	return c
}

// Shutdown sends shutdown.
func (e *Editor) Shutdown(ctx context.Context) error { return e.server.Shutdown(ctx) }

// Exit sends exit.
func (e *Editor) Exit(ctx context.Context) error { return e.server.Exit(ctx) }

// Path returns the absolute path of a workspace file.
func (e *Editor) Path(rel string) string { return filepath.Join(e.dir, filepath.FromSlash(rel)) }

// URI returns the URI of a workspace file.
func (e *Editor) URI(rel string) protocol.DocumentURI { return uri.File(e.Path(rel)) }

// OpenFile opens a workspace file with its content on disk.
func (e *Editor) OpenFile(ctx context.Context, rel string) error {
	data, err := os.ReadFile(e.Path(rel))
	if err != nil {
		return fmt.Errorf("opening %s: %w", rel, err)
	}
	return e.OpenBuffer(ctx, rel, string(data))
}

// OpenBuffer opens a file with the given content (it need not exist).
func (e *Editor) OpenBuffer(ctx context.Context, rel, content string) error {
	e.mu.Lock()
	e.buffers[rel] = &buffer{version: 1, content: []byte(content)}
	e.mu.Unlock()
	return e.server.DidOpen(ctx, &protocol.DidOpenTextDocumentParams{TextDocument: protocol.TextDocumentItem{
		URI: e.URI(rel), LanguageID: languageID(rel), Version: 1, Text: content,
	}})
}

func languageID(rel string) protocol.LanguageIdentifier {
	switch filepath.Ext(rel) {
	case ".go":
		return protocol.GoLanguage
	case ".py":
		return protocol.PythonLanguage
	case ".json":
		return protocol.JSONLanguage
	}
	return protocol.LanguageIdentifier("plaintext")
}

// BufferText returns an open buffer's content.
func (e *Editor) BufferText(rel string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, ok := e.buffers[rel]
	if !ok {
		return "", false
	}
	return string(b.content), true
}

// Version returns an open buffer's version.
func (e *Editor) Version(rel string) int32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	if b, ok := e.buffers[rel]; ok {
		return b.version
	}
	return 0
}

// Edit replaces the bytes [start, end) of an open buffer with text, sending
// an incremental change with UTF-16 positions. It returns the new version.
func (e *Editor) Edit(ctx context.Context, rel string, start, end int, text string) (int32, error) {
	e.mu.Lock()
	b, ok := e.buffers[rel]
	if !ok {
		e.mu.Unlock()
		return 0, fmt.Errorf("editing %s: not open", rel)
	}
	if start < 0 || end < start || end > len(b.content) {
		e.mu.Unlock()
		return 0, fmt.Errorf("editing %s: bad range [%d, %d) of %d bytes", rel, start, end, len(b.content))
	}
	rng := protocol.Range{Start: Position(b.content, start), End: Position(b.content, end)}
	next := append(append(append([]byte{}, b.content[:start]...), text...), b.content[end:]...)
	b.content = next
	b.version++
	v := b.version
	e.mu.Unlock()
	return v, e.SendChange(ctx, rel, v, []protocol.TextDocumentContentChangeEvent{{Range: rng, Text: text}})
}

// SendChange sends raw content changes without updating the buffer (for
// tests of odd clients).
func (e *Editor) SendChange(ctx context.Context, rel string, version int32, changes []protocol.TextDocumentContentChangeEvent) error {
	return e.server.DidChange(ctx, &protocol.DidChangeTextDocumentParams{
		TextDocument:   protocol.VersionedTextDocumentIdentifier{TextDocumentIdentifier: protocol.TextDocumentIdentifier{URI: e.URI(rel)}, Version: version},
		ContentChanges: changes,
	})
}

// SendFullChange sends a whole-document change (a content change without
// a range) and updates the buffer. It returns the new version.
func (e *Editor) SendFullChange(ctx context.Context, rel, text string) (int32, error) {
	e.mu.Lock()
	b, ok := e.buffers[rel]
	if !ok {
		e.mu.Unlock()
		return 0, fmt.Errorf("editing %s: not open", rel)
	}
	b.content = []byte(text)
	b.version++
	v := b.version
	e.mu.Unlock()
	// The library's change event always carries a range: send raw JSON.
	params := map[string]any{
		"textDocument":   map[string]any{"uri": e.URI(rel), "version": v},
		"contentChanges": []map[string]any{{"text": text}},
	}
	return v, e.conn.Notify(ctx, protocol.MethodTextDocumentDidChange, params)
}

// ReplaceAll replaces the first match of re in an open buffer with repl
// (regexp.Expand syntax) as one incremental edit.
func (e *Editor) ReplaceAll(ctx context.Context, rel, re, repl string) (int32, error) {
	text, ok := e.BufferText(rel)
	if !ok {
		return 0, fmt.Errorf("editing %s: not open", rel)
	}
	rx, err := regexp.Compile(re)
	if err != nil {
		return 0, err
	}
	m := rx.FindStringSubmatchIndex(text)
	if m == nil {
		return 0, fmt.Errorf("editing %s: %q does not match", rel, re)
	}
	out := rx.ExpandString(nil, repl, text, m)
	return e.Edit(ctx, rel, m[0], m[1], string(out))
}

// SaveFile writes an open buffer to disk and sends didSave.
func (e *Editor) SaveFile(ctx context.Context, rel string) error {
	text, ok := e.BufferText(rel)
	if !ok {
		return fmt.Errorf("saving %s: not open", rel)
	}
	if err := os.WriteFile(e.Path(rel), []byte(text), 0o644); err != nil {
		return fmt.Errorf("saving %s: %w", rel, err)
	}
	return e.server.DidSave(ctx, &protocol.DidSaveTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.URI(rel)}})
}

// CloseFile closes a buffer.
func (e *Editor) CloseFile(ctx context.Context, rel string) error {
	e.mu.Lock()
	delete(e.buffers, rel)
	e.mu.Unlock()
	return e.server.DidClose(ctx, &protocol.DidCloseTextDocumentParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.URI(rel)}})
}

// CodeLens asks for the lenses of a file.
func (e *Editor) CodeLens(ctx context.Context, rel string) ([]protocol.CodeLens, error) {
	return e.server.CodeLens(ctx, &protocol.CodeLensParams{TextDocument: protocol.TextDocumentIdentifier{URI: e.URI(rel)}})
}

// Hover asks for the hover at a byte offset of an open buffer (or of the
// file on disk).
func (e *Editor) Hover(ctx context.Context, rel string, offset int) (*protocol.Hover, error) {
	text, ok := e.BufferText(rel)
	if !ok {
		data, err := os.ReadFile(e.Path(rel))
		if err != nil {
			return nil, err
		}
		text = string(data)
	}
	return e.server.Hover(ctx, &protocol.HoverParams{TextDocumentPositionParams: protocol.TextDocumentPositionParams{
		TextDocument: protocol.TextDocumentIdentifier{URI: e.URI(rel)}, Position: Position([]byte(text), offset),
	}})
}

// ExecuteCommand runs a command and returns its raw JSON result.
func (e *Editor) ExecuteCommand(ctx context.Context, cmd protocol.Command) (json.RawMessage, error) {
	var res json.RawMessage
	err := protocol.Call(ctx, e.conn, protocol.MethodWorkspaceExecuteCommand, &protocol.ExecuteCommandParams{Command: cmd.Command, Arguments: cmd.Arguments}, &res)
	return res, err
}

// ExecuteCommandWithToken runs a command whose request carries a
// workDoneToken.
func (e *Editor) ExecuteCommandWithToken(ctx context.Context, cmd protocol.Command, token string) (json.RawMessage, error) {
	var res json.RawMessage
	params := &protocol.ExecuteCommandParams{Command: cmd.Command, Arguments: cmd.Arguments}
	params.WorkDoneToken = protocol.NewProgressToken(token)
	err := protocol.Call(ctx, e.conn, protocol.MethodWorkspaceExecuteCommand, params, &res)
	return res, err
}

// CancelProgress sends window/workDoneProgress/cancel.
func (e *Editor) CancelProgress(ctx context.Context, token string) error {
	return e.server.WorkDoneProgressCancel(ctx, &protocol.WorkDoneProgressCancelParams{Token: *protocol.NewProgressToken(token)})
}

// ChangeWatchedFiles sends workspace/didChangeWatchedFiles for files
// (relative paths) that changed on disk.
func (e *Editor) ChangeWatchedFiles(ctx context.Context, typ protocol.FileChangeType, rels ...string) error {
	var ev []*protocol.FileEvent
	for _, r := range rels {
		ev = append(ev, &protocol.FileEvent{URI: e.URI(r), Type: typ})
	}
	return e.server.DidChangeWatchedFiles(ctx, &protocol.DidChangeWatchedFilesParams{Changes: ev})
}

// rel converts a file URI to a path relative to the workspace ("" when
// outside).
func (e *Editor) rel(u protocol.DocumentURI) string {
	pu, err := url.Parse(string(u))
	if err != nil {
		return string(u)
	}
	r, err := filepath.Rel(e.dir, filepath.FromSlash(pu.Path))
	if err != nil {
		return pu.Path
	}
	return filepath.ToSlash(r)
}

// WriteTxtar writes the files of a txtar archive under dir.
func WriteTxtar(dir, archive string) error {
	a := txtar.Parse([]byte(archive))
	if len(a.Files) == 0 {
		return errors.New("writing a txtar workspace: no files")
	}
	for _, f := range a.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", f.Name, err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", f.Name, err)
		}
	}
	return nil
}
