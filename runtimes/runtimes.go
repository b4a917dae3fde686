// Package runtimes is the contract between lambdalens and the language
// runtimes it supports (Go and Python today).
//
// It is the bottom layer of the module: it imports nothing else from
// lambdalens, and everything above it (project, devserver, buildsys, lsp)
// talks to a runtime only through the plain Go types declared here. The
// contract mirrors Vercel's Builder API: a runtime analyzes an entrypoint
// file, starts a dev process for it, builds a Lambda artifact for it, and
// tells which files are its inputs so that callers can cache and reload.
//
// Positions are byte based (1-based line, 1-based byte column, 0-based byte
// offset). Converting them to an editor's encoding (UTF-16 for LSP) is the
// job of the layer that talks to the editor.
package runtimes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
)

// Language names a runtime.
type Language string

const (
	Go     Language = "go"
	Python Language = "python"
)

// Kind says how an entrypoint is run.
type Kind string

const (
	// KindFunction is a zero-config function: one file under api/ (or a
	// legacy "builds" source) serving one route.
	KindFunction Kind = "function"
	// KindServer is a Go standalone server: a package main that listens on
	// $PORT (main.go, cmd/api/main.go, cmd/server/main.go).
	KindServer Kind = "server"
	// KindApp is a Python framework app (FastAPI, Flask, Django, ...) at the
	// project root that serves every path not taken by a function.
	KindApp Kind = "app"
)

// AppKind is the Python calling convention of an entrypoint.
type AppKind string

const (
	AppASGI    AppKind = "asgi"
	AppWSGI    AppKind = "wsgi"
	AppHandler AppKind = "handler" // class handler(BaseHTTPRequestHandler)
	AppUnknown AppKind = ""        // decided at run time by the shim
)

// Severity of a diagnostic. The numbering matches LSP's DiagnosticSeverity.
type Severity int

const (
	SeverityError   Severity = 1
	SeverityWarning Severity = 2
	SeverityInfo    Severity = 3
	SeverityHint    Severity = 4
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	case SeverityInfo:
		return "info"
	case SeverityHint:
		return "hint"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText makes severities readable in JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (s *Severity) UnmarshalText(b []byte) error {
	switch string(b) {
	case "error":
		*s = SeverityError
	case "warning":
		*s = SeverityWarning
	case "info":
		*s = SeverityInfo
	case "hint":
		*s = SeverityHint
	default:
		return fmt.Errorf("unknown severity %q", b)
	}
	return nil
}

// Position is a place in a file. Line and Column are 1-based; Column counts
// bytes. Offset is the 0-based byte offset. The zero Position means "unknown".
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

// Range is a half-open span [Start, End) of a file.
type Range struct {
	Start Position `json:"start"`
	End   Position `json:"end"`
}

// Diagnostic is a problem (or a hint) found in one file of a project.
type Diagnostic struct {
	// File is the slash-separated path relative to the project root.
	File     string   `json:"file"`
	Range    Range    `json:"range"`
	Severity Severity `json:"severity"`
	// Code is a stable, kebab-case identifier such as "go-no-handler".
	Code    string `json:"code"`
	Message string `json:"message"`
	// Related points at other places involved (the other file of a route
	// conflict, say). May be empty.
	Related []Related `json:"related,omitempty"`
}

// Related is a secondary location of a Diagnostic.
type Related struct {
	File    string `json:"file"`
	Range   Range  `json:"range"`
	Message string `json:"message"`
}

// String formats d as "file:line:col: severity: message".
func (d Diagnostic) String() string {
	line, col := d.Range.Start.Line, d.Range.Start.Column
	if line == 0 {
		line, col = 1, 1
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", d.File, line, col, d.Severity, d.Message)
}

// Entrypoint is what a runtime's analysis found in one source file.
type Entrypoint struct {
	Language Language `json:"language"`
	Kind     Kind     `json:"kind"`
	// Package is the Go package name ("handler", "main"). Empty for Python.
	Package string `json:"package,omitempty"`
	// Symbol is the handler function (Go) or the app/application/handler
	// variable or class (Python); "main" for a Go server.
	Symbol string `json:"symbol,omitempty"`
	// SymbolRange is the range of the declaration line's name; editors put
	// code lenses there.
	SymbolRange Range `json:"symbolRange"`
	// AppKind is the Python calling convention when the source shows it.
	AppKind AppKind `json:"appKind,omitempty"`
	// Framework is the Python framework seen in the source (fastapi, flask,
	// django, starlette, quart, ...), if any.
	Framework string `json:"framework,omitempty"`
}

// FileReader reads a file by absolute path. The project loader passes one
// that consults the editor's unsaved buffers first.
type FileReader func(path string) ([]byte, error)

// Runtime is implemented by each language runtime. It mirrors Vercel's
// Builder API (build, startDevServer, prepareCache) with plain Go types.
type Runtime interface {
	// Language is the runtime's name.
	Language() Language
	// StartDev builds what is needed and starts a dev process for one
	// entrypoint. It returns once the process has reported the port it
	// listens on (fd 3, port file or $PORT), or with an error. A compile
	// failure is a *BuildError.
	StartDev(ctx context.Context, req DevRequest) (DevProcess, error)
	// Inputs tells which files a dev process or build of req.File depends
	// on, so that callers rebuild only what a change affects.
	Inputs(ctx context.Context, req InputsRequest) (Inputs, error)
	// Build writes a Lambda-ready artifact for one entrypoint into
	// req.OutDir and describes it.
	Build(ctx context.Context, req BuildRequest) (*Artifact, error)
	// CacheKey returns a key that changes whenever Build's output would.
	// Its errors say what failed for which file ("computing the cache key
	// of api/a.py: ..."), as a BuildError's Op does: callers show them as
	// they are.
	CacheKey(ctx context.Context, req BuildRequest) (string, error)
}

// PanicHeader marks a dev process's answer to a handler that panicked
// before its response started (Go's dev wrapper answers the panic itself:
// net/http's server would close the connection, which the dev server
// cannot tell from one closed while idle). The body is "panic: <value>";
// the dev server shows its FUNCTION_INVOCATION_FAILED page instead.
const PanicHeader = "X-Lambdalens-Panic"

// DevRequest asks a runtime to start a dev process.
type DevRequest struct {
	// Root is the absolute project root.
	Root string
	// File is the entrypoint, slash-separated, relative to Root.
	File       string
	Entrypoint Entrypoint
	// Env is the complete environment for the child, KEY=VALUE.
	Env []string
	// CacheDir is where scratch files go (<Root>/.vercel/cache by default);
	// never the user's tree.
	CacheDir string
	// Stdout and Stderr receive the child's output. Nil discards it.
	Stdout, Stderr io.Writer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// DevProcess is a running dev process that serves HTTP on Addr.
type DevProcess interface {
	// Addr is host:port of the child's listener (always 127.0.0.1).
	Addr() string
	// PID is the child's process id (also its process group id).
	PID() int
	// Done is closed when the process has exited.
	Done() <-chan struct{}
	// Err is the exit error once Done is closed (nil for a clean exit).
	Err() error
	// Stop asks the process group to stop (SIGINT, then SIGKILL after a
	// grace period or when ctx ends) and waits for it.
	Stop(ctx context.Context) error
}

// A LoadTracker is a DevProcess that can tell which source files its code
// was loaded from. An interpreted runtime reads a module's file when the
// module is first imported, so a change to a file the process has not
// loaded needs no restart: the import that may come later reads the new
// content. The dev server asks before restarting for a change.
type LoadTracker interface {
	// Loaded returns the members of paths (absolute) that the process
	// has loaded. An error means the answer is unknown.
	Loaded(ctx context.Context, paths []string) ([]string, error)
}

// InputsRequest asks which files an entrypoint depends on.
type InputsRequest struct {
	Root string
	File string
	Read FileReader // nil reads from disk
	// CacheDir is where scratch files go (<Root>/.vercel/cache by
	// default), as in DevRequest.
	CacheDir string
}

// Inputs is the set of files an entrypoint depends on.
type Inputs struct {
	// Files are absolute paths that matter exactly.
	Files []string `json:"files"`
	// Dirs are absolute directories in which any file with one of Exts
	// matters (not recursively).
	Dirs []string `json:"dirs"`
	// Trees are absolute directories in which any file with one of Exts
	// matters, recursively.
	Trees []string `json:"trees,omitempty"`
	// Exts are file name suffixes such as ".go" or ".py".
	Exts []string `json:"exts"`
	// AnyTrees are absolute directories in which any file matters,
	// recursively, whatever its name: where a Go package's //go:embed
	// patterns may pick up a new file.
	AnyTrees []string `json:"anyTrees,omitempty"`
	// Skip are file name suffixes that never matter in Dirs and Trees
	// (Go's "_test.go": tests are not part of a function's build).
	Skip []string `json:"skip,omitempty"`
}

// BuildRequest asks a runtime to build one Lambda artifact.
type BuildRequest struct {
	Root       string
	File       string
	Entrypoint Entrypoint
	// Arch is "x86_64" or "arm64".
	Arch string
	// OutDir is the (empty, existing) .func directory to fill.
	OutDir string
	// IncludeFiles and ExcludeFiles are vercel.json globs.
	IncludeFiles []string
	ExcludeFiles []string
	// GoVersion / PythonVersion as detected by the project loader ("1.26",
	// "3.12").
	GoVersion     string
	PythonVersion string
	// CacheDir holds the runtime's build caches (GOCACHE, wheels, ...).
	CacheDir string
	// Env are extra KEY=VALUE entries for the build tools; they win over
	// the defaults.
	Env    []string
	Logger *slog.Logger
}

// Artifact describes what Build wrote. It maps onto .vc-config.json.
type Artifact struct {
	Handler                   string            `json:"handler"`
	Runtime                   string            `json:"runtime"`
	RuntimeLanguage           string            `json:"runtimeLanguage,omitempty"`
	Architecture              string            `json:"architecture"`
	Environment               map[string]string `json:"environment"`
	SupportsWrapper           bool              `json:"supportsWrapper,omitempty"`
	SupportsResponseStreaming bool              `json:"supportsResponseStreaming,omitempty"`
}

// BuildError is a failed compile or install: the tool's output and the
// diagnostics parsed out of it (file:line:col messages).
type BuildError struct {
	// Op says what was being done: "building api/hello.go for linux/arm64".
	Op          string
	Output      string
	Diagnostics []Diagnostic
	Err         error
	// Retry says the same files may succeed next time: the failure
	// depends on something outside the project's sources (a Python import
	// error depends on the installed packages). The dev server tries again
	// on the next request instead of showing the error until a file
	// changes.
	Retry bool
}

func (e *BuildError) Error() string {
	if e.Output == "" {
		return fmt.Sprintf("%s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("%s: %v\n%s", e.Op, e.Err, e.Output)
}

func (e *BuildError) Unwrap() error { return e.Err }
