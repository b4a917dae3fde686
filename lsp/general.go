package lsp

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"

	"go.lsp.dev/protocol"

	"github.com/lambdalens/lambdalens/lsp/command"
)

// clientCaps are the client capabilities the server acts on. Each one
// missing has a fallback, so that any client works.
type clientCaps struct {
	// workDoneProgress: $/progress; else progress goes to the log.
	workDoneProgress bool
	// showDocument: window/showDocument opens URLs; else they are shown
	// in a message.
	showDocument bool
	// codeLensRefresh: workspace/codeLens/refresh after a dev state
	// change; else lenses update when the client next asks.
	codeLensRefresh bool
	// watchedFiles: the client watches files for us (dynamic
	// registration); else fsnotify does.
	watchedFiles bool
	// configuration: workspace/configuration; else only pushed settings.
	configuration bool
	// configurationDynamic: didChangeConfiguration must be registered to
	// be sent (VS Code).
	configurationDynamic bool
	// relatedInformation: diagnostics carry related locations; else they
	// are appended to the message.
	relatedInformation bool
	// markdown hovers; else plain text.
	markdown bool
}

func readCaps(c protocol.ClientCapabilities) clientCaps {
	var cc clientCaps
	if w := c.Window; w != nil {
		cc.workDoneProgress = w.WorkDoneProgress
		cc.showDocument = w.ShowDocument != nil && w.ShowDocument.Support
	}
	if w := c.Workspace; w != nil {
		cc.codeLensRefresh = w.CodeLens != nil && w.CodeLens.RefreshSupport
		cc.watchedFiles = w.DidChangeWatchedFiles != nil && w.DidChangeWatchedFiles.DynamicRegistration
		cc.configuration = w.Configuration
		cc.configurationDynamic = w.DidChangeConfiguration != nil && w.DidChangeConfiguration.DynamicRegistration
	}
	if t := c.TextDocument; t != nil {
		cc.relatedInformation = t.PublishDiagnostics != nil && t.PublishDiagnostics.RelatedInformation
		cc.markdown = t.Hover != nil && slices.Contains(t.Hover.ContentFormat, protocol.Markdown)
	}
	return cc
}

// Initialize records the client's capabilities, settings and workspace
// folders, starts loading each folder's project and declares what the
// server does.
func (s *server) Initialize(_ context.Context, params *protocol.InitializeParams) (*protocol.InitializeResult, error) {
	caps := readCaps(params.Capabilities)
	settings, problems := applySettings(baseSettings(s.cfg), params.InitializationOptions)

	var roots []protocol.WorkspaceFolder
	roots = append(roots, params.WorkspaceFolders...)
	if len(roots) == 0 && params.RootURI != "" {
		roots = append(roots, protocol.WorkspaceFolder{URI: string(params.RootURI)})
	}
	if len(roots) == 0 && params.RootPath != "" {
		roots = append(roots, protocol.WorkspaceFolder{URI: string(pathURI(params.RootPath))})
	}

	s.mu.Lock()
	s.state = stateInitialized
	s.caps = caps
	s.settings = settings
	s.initSettings = settings
	s.mu.Unlock()
	for _, p := range problems {
		s.logMessage(protocol.MessageTypeWarning, "lambdalens: initializationOptions: "+p)
	}
	for _, r := range roots {
		s.addFolder(r)
	}

	return &protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: &protocol.TextDocumentSyncOptions{
				OpenClose: true,
				Change:    protocol.TextDocumentSyncKindIncremental,
				Save:      &protocol.SaveOptions{},
			},
			HoverProvider:          true,
			CodeLensProvider:       &protocol.CodeLensOptions{},
			ExecuteCommandProvider: &protocol.ExecuteCommandOptions{Commands: command.IDs()},
			Workspace: &protocol.ServerCapabilitiesWorkspace{
				WorkspaceFolders: &protocol.ServerCapabilitiesWorkspaceFolders{Supported: true, ChangeNotifications: true},
			},
		},
		ServerInfo: &protocol.ServerInfo{Name: "lambdalens", Version: s.cfg.Version},
	}, nil
}

// Initialized lets diagnostics flow, and registers for the notifications
// the client sends only on request (watched files, configuration).
func (s *server) Initialized(context.Context, *protocol.InitializedParams) error {
	s.markReady()
	s.mu.Lock()
	caps := s.caps
	s.mu.Unlock()
	if caps.configurationDynamic {
		s.register(protocol.Registration{ID: "lambdalens-configuration", Method: protocol.MethodWorkspaceDidChangeConfiguration})
	}
	s.fetchConfiguration()
	s.startWatching()
	return nil
}

// Shutdown stops every dev server, build and check the session started.
// The connection stays open for exit.
func (s *server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.state = stateShutdown
	folders := append([]*folder(nil), s.folders...)
	s.mu.Unlock()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	for _, f := range folders {
		f.close(cctx)
	}
	return nil
}

// Exit ends the session: the connection closes, and Run returns once
// everything has stopped.
func (s *server) Exit(context.Context) error {
	s.mu.Lock()
	s.exited = true
	s.mu.Unlock()
	s.exitOnce.Do(func() { close(s.exitCh) })
	return s.conn.Close()
}

// SetTrace is accepted and ignored: the server's log goes to its Logger.
func (s *server) SetTrace(context.Context, *protocol.SetTraceParams) error { return nil }

// DidChangeWorkspaceFolders adds and removes projects.
func (s *server) DidChangeWorkspaceFolders(_ context.Context, params *protocol.DidChangeWorkspaceFoldersParams) error {
	for _, r := range params.Event.Removed {
		root, err := uriPath(protocol.DocumentURI(r.URI))
		if err != nil {
			continue
		}
		s.mu.Lock()
		var gone *folder
		s.folders = slices.DeleteFunc(s.folders, func(f *folder) bool {
			if f.root == root {
				gone = f
				return true
			}
			return false
		})
		s.mu.Unlock()
		if gone != nil {
			s.goBackground("removing folder "+root, func(ctx context.Context) {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
				defer cancel()
				gone.close(cctx)
				gone.clearPublished(cctx)
			})
		}
	}
	for _, a := range params.Event.Added {
		if f := s.addFolder(a); f != nil {
			s.startWatchingFolder(f)
		}
	}
	return nil
}

// Request answers methods the library does not know.
func (s *server) Request(_ context.Context, method string, _ any) (any, error) {
	return nil, notSupported(method)
}

// addFolder creates and starts the folder for a workspace folder, unless
// it exists or is not a local directory.
func (s *server) addFolder(wf protocol.WorkspaceFolder) *folder {
	root, err := uriPath(protocol.DocumentURI(wf.URI))
	if err != nil {
		s.logMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens: ignoring workspace folder %s: %v", wf.URI, err))
		return nil
	}
	if tooBroad(root) {
		// Loading the whole disk or home directory as one project would
		// take minutes; files opened later get the project around them.
		s.showMessage(protocol.MessageTypeWarning, fmt.Sprintf("lambdalens: %s is not a project folder; open the folder of a project (the one with vercel.json or api/)", root))
		return nil
	}
	name := wf.Name
	if name == "" {
		name = filepath.Base(root)
	}
	return s.startFolder(root, name, false)
}

// addImplicitFolder creates and starts a folder for files opened without
// a workspace folder (see folderOrCreate), unless it exists or root is
// too broad to be a project (a lone file in the home directory gets
// nothing, silently: it would be said on every keystroke).
func (s *server) addImplicitFolder(root string) *folder {
	if tooBroad(root) {
		s.log.Debug("no project around an opened file", "dir", root)
		return nil
	}
	return s.startFolder(root, filepath.Base(root), true)
}

// startFolder creates and starts a folder, unless one with that root
// exists (a workspace folder then makes it explicit).
func (s *server) startFolder(root, name string, implicit bool) *folder {
	s.mu.Lock()
	for _, f := range s.folders {
		if f.root == root {
			f.implicit = f.implicit && implicit
			s.mu.Unlock()
			return nil
		}
	}
	f := newFolder(s, root, name)
	f.implicit = implicit
	s.folders = append(s.folders, f)
	s.mu.Unlock()
	f.start()
	return f
}
