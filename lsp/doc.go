// Package lsp is `lambdalens lsp`: a language server that shows, inside
// the editor, what lambdalens knows about a project of Go and Python
// serverless functions, and runs its dev server and builds.
//
// # Features
//
//   - Diagnostics while typing (source "lambdalens", each with a code and,
//     where a page explains it, a link): everything the project model
//     reports, computed from the unsaved buffers; on save, a go/types
//     check of the saved package (package typecheck); compile errors and
//     import tracebacks from the dev server and from builds, on their file
//     and line, cleared when fixed.
//   - Code lenses on each function's handler and on vercel.json: run, open
//     and stop the dev server, build for Lambda. Each kind can be switched
//     off (Settings.CodeLenses).
//   - Hovers on handlers: routes, runtime, memory, max duration,
//     architecture, live URL.
//   - Commands (declared once in package command; commands.json is
//     generated from them for the editor plugins).
//   - Files changed outside the editor: through the client's watcher when
//     it can register one, else fsnotify.
//
// # Structure
//
// server.go holds the session and its lifecycle (Run, Listen); each file
// handles one group of methods (general.go: initialize and shutdown,
// text_sync.go, code_lens.go, hover.go, command.go, watch.go) and
// unimplemented.go holds the rest of protocol.Server, so that the compiler
// checks the interface is complete. A folder (folder.go) is one workspace
// folder: one project, its model, diagnostics, dev server, builds and
// checks. The protocol types stop here: devserver, buildsys, project and
// the runtimes speak plain Go types with byte offsets, converted to UTF-16
// positions by positions.go.
//
// # Latency
//
// The read loop of go.lsp.dev/jsonrpc2 is serialized (a message is handled
// only after the previous one was answered), so no handler waits for
// anything slow: commands reply at once and work on goroutines owned by the
// session. Diagnostics are published in two phases (quick.go): the edited
// file is re-analyzed alone and published at once, then the whole project
// is reloaded once edits pause (Settings.DiagnosticsDelay), with the load in
// progress cancelled by every edit.
//
// # go.lsp.dev/protocol v0.12.0
//
// The library has traps this package works around (see handler.go,
// stream.go and client.go): $/cancelRequest never cancels; a change event
// without a range cannot be told from an insertion at 0:0; the stream
// allocates whatever Content-Length says and dies on the first bad
// message; ReplyHandler panics; the Client lacks workspace/codeLens/refresh
// and window/showDocument; progress tokens only marshal through a pointer;
// a nil diagnostics slice does not clear; version 0 and percentage 0 are
// never sent; uri.URI.Filename panics on a bad URI.
package lsp
