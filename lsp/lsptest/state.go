package lsptest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"
)

// State is what the editor has received from the server.
type State struct {
	// Diagnostics are the latest diagnostics by file (relative path).
	Diagnostics map[string]FileDiagnostics
	// Publishes counts publishDiagnostics notifications.
	Publishes int
	Logs      []protocol.LogMessageParams
	Shown     []protocol.ShowMessageParams
	Progress  []ProgressEvent
	// Registrations are the capabilities the server registered.
	Registrations []protocol.Registration
	// ShowDocuments are the URIs the server asked to show.
	ShowDocuments []string
	// LensRefreshes counts workspace/codeLens/refresh requests.
	LensRefreshes int
}

// FileDiagnostics are the diagnostics of one file.
type FileDiagnostics struct {
	Version     int32
	Diagnostics []protocol.Diagnostic
	// At is when they arrived.
	At time.Time
}

// ProgressEvent is one $/progress notification, flattened.
type ProgressEvent struct {
	Token       string
	Kind        string // begin, report, end
	Title       string
	Message     string
	Percentage  uint32
	Cancellable bool
}

func newState() State { return State{Diagnostics: map[string]FileDiagnostics{}} }

func (s *State) clone() *State {
	c := *s
	c.Diagnostics = make(map[string]FileDiagnostics, len(s.Diagnostics))
	for k, v := range s.Diagnostics {
		c.Diagnostics[k] = v
	}
	c.Logs = slices.Clone(s.Logs)
	c.Shown = slices.Clone(s.Shown)
	c.Progress = slices.Clone(s.Progress)
	c.Registrations = slices.Clone(s.Registrations)
	c.ShowDocuments = slices.Clone(s.ShowDocuments)
	return &c
}

// HasDiagnostic reports whether file has a diagnostic with code.
func (s *State) HasDiagnostic(file, code string) bool {
	return s.Diagnostic(file, code) != nil
}

// Diagnostic returns file's first diagnostic with code, or nil.
func (s *State) Diagnostic(file, code string) *protocol.Diagnostic {
	for _, d := range s.Diagnostics[file].Diagnostics {
		if d.Code == code {
			return &d
		}
	}
	return nil
}

// NoDiagnostics reports whether file has been published as clean (or was
// never published).
func (s *State) NoDiagnostics(file string) bool { return len(s.Diagnostics[file].Diagnostics) == 0 }

// ShownContaining returns the first shown message containing text, or nil.
func (s *State) ShownContaining(text string) *protocol.ShowMessageParams {
	for _, m := range s.Shown {
		if strings.Contains(m.Message, text) {
			return &m
		}
	}
	return nil
}

// LogContaining reports whether a log message contains text.
func (s *State) LogContaining(text string) bool {
	for _, m := range s.Logs {
		if strings.Contains(m.Message, text) {
			return true
		}
	}
	return false
}

// ProgressEnded returns the end event of the first progress whose begin
// title contains title, or nil.
func (s *State) ProgressEnded(title string) *ProgressEvent {
	tokens := map[string]bool{}
	for _, p := range s.Progress {
		if p.Kind == "begin" && strings.Contains(p.Title, title) {
			tokens[p.Token] = true
		}
		if p.Kind == "end" && tokens[p.Token] {
			return &p
		}
	}
	return nil
}

// Summary describes the state for failure messages.
func (s *State) Summary() string {
	var b strings.Builder
	for _, f := range sortedKeys(s.Diagnostics) {
		fd := s.Diagnostics[f]
		fmt.Fprintf(&b, "  %s (v%d):", f, fd.Version)
		for _, d := range fd.Diagnostics {
			fmt.Fprintf(&b, " [%v %d:%d %s]", d.Code, d.Range.Start.Line, d.Range.Start.Character, d.Message)
		}
		b.WriteString("\n")
	}
	for _, m := range s.Shown {
		fmt.Fprintf(&b, "  shown(%v): %s\n", m.Type, m.Message)
	}
	for _, m := range s.Logs[max(0, len(s.Logs)-10):] {
		fmt.Fprintf(&b, "  log(%v): %s\n", m.Type, m.Message)
	}
	for _, p := range s.Progress[max(0, len(s.Progress)-10):] {
		fmt.Fprintf(&b, "  progress %s %s %q %q %d%%\n", p.Token, p.Kind, p.Title, p.Message, p.Percentage)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// State returns a copy of the current state.
func (e *Editor) State() *State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.state.clone()
}

// Await waits until cond holds for the state, checking on every change,
// until ctx ends. The error describes what was awaited and the state.
func (e *Editor) Await(ctx context.Context, what string, cond func(*State) bool) error {
	for {
		e.mu.Lock()
		ok := cond(&e.state)
		ch := e.changed
		e.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("awaiting %s: %w; state:\n%s", what, ctx.Err(), e.State().Summary())
		case <-e.conn.Done():
			return fmt.Errorf("awaiting %s: the connection ended; state:\n%s", what, e.State().Summary())
		}
	}
}

// update changes the state and wakes Await.
func (e *Editor) update(fn func(*State)) {
	e.mu.Lock()
	fn(&e.state)
	close(e.changed)
	e.changed = make(chan struct{})
	e.mu.Unlock()
}

// Position converts a byte offset of content to an LSP position (UTF-16),
// independently of the server's own conversion. Lines end at "\n", "\r\n"
// or a lone "\r", as the LSP specification says (an offset between the
// "\r" and "\n" of a line end means nothing to an editor).
func Position(content []byte, offset int) protocol.Position {
	offset = max(0, min(offset, len(content)))
	line, start := 0, 0
	for i := 0; i < offset; i++ {
		c := content[i]
		if c == '\n' || c == '\r' && (i+1 == len(content) || content[i+1] != '\n') {
			line, start = line+1, i+1
		}
	}
	return protocol.Position{Line: uint32(line), Character: uint32(len(utf16.Encode([]rune(string(content[start:offset])))))}
}

// client implements protocol.Client for the editor.
type client struct{ e *Editor }

func (c *client) Progress(_ context.Context, p *protocol.ProgressParams) error {
	ev := ProgressEvent{Token: p.Token.String()}
	if data, err := json.Marshal(p.Value); err == nil {
		var v struct {
			Kind        string `json:"kind"`
			Title       string `json:"title"`
			Message     string `json:"message"`
			Percentage  uint32 `json:"percentage"`
			Cancellable bool   `json:"cancellable"`
		}
		if json.Unmarshal(data, &v) == nil {
			ev.Kind, ev.Title, ev.Message, ev.Percentage, ev.Cancellable = v.Kind, v.Title, v.Message, v.Percentage, v.Cancellable
		}
	}
	c.e.update(func(s *State) { s.Progress = append(s.Progress, ev) })
	return nil
}

func (c *client) WorkDoneProgressCreate(context.Context, *protocol.WorkDoneProgressCreateParams) error {
	return nil
}

func (c *client) LogMessage(_ context.Context, p *protocol.LogMessageParams) error {
	c.e.update(func(s *State) { s.Logs = append(s.Logs, *p) })
	return nil
}

func (c *client) PublishDiagnostics(_ context.Context, p *protocol.PublishDiagnosticsParams) error {
	rel := c.e.rel(p.URI)
	now := time.Now()
	c.e.update(func(s *State) {
		s.Publishes++
		s.Diagnostics[rel] = FileDiagnostics{Version: int32(p.Version), Diagnostics: p.Diagnostics, At: now}
	})
	return nil
}

func (c *client) ShowMessage(_ context.Context, p *protocol.ShowMessageParams) error {
	c.e.update(func(s *State) { s.Shown = append(s.Shown, *p) })
	return nil
}

func (c *client) ShowMessageRequest(context.Context, *protocol.ShowMessageRequestParams) (*protocol.MessageActionItem, error) {
	return nil, nil
}

func (c *client) Telemetry(context.Context, any) error { return nil }

func (c *client) RegisterCapability(_ context.Context, p *protocol.RegistrationParams) error {
	c.e.update(func(s *State) { s.Registrations = append(s.Registrations, p.Registrations...) })
	return nil
}

func (c *client) UnregisterCapability(context.Context, *protocol.UnregistrationParams) error {
	return nil
}

func (c *client) ApplyEdit(context.Context, *protocol.ApplyWorkspaceEditParams) (bool, error) {
	return false, nil
}

func (c *client) Configuration(_ context.Context, p *protocol.ConfigurationParams) ([]any, error) {
	out := make([]any, len(p.Items))
	for i := range out {
		out[i] = c.e.opts.Configuration
	}
	return out, nil
}

func (c *client) WorkspaceFolders(context.Context) ([]protocol.WorkspaceFolder, error) {
	return []protocol.WorkspaceFolder{{URI: string(c.e.URI("")), Name: "workspace"}}, nil
}

// extraHandler answers the requests the library's Client lacks.
func (e *Editor) extraHandler(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	switch req.Method() {
	case protocol.MethodCodeLensRefresh:
		e.update(func(s *State) { s.LensRefreshes++ })
		return reply(ctx, nil, nil)
	case protocol.MethodShowDocument:
		var p struct {
			URI string `json:"uri"`
		}
		_ = json.Unmarshal(req.Params(), &p)
		e.update(func(s *State) { s.ShowDocuments = append(s.ShowDocuments, p.URI) })
		return reply(ctx, map[string]bool{"success": true}, nil)
	}
	return jsonrpc2.MethodNotFoundHandler(ctx, reply, req)
}
