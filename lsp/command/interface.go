// Package command declares the workspace/executeCommand commands of the
// lambdalens language server, in one place: the Interface below. Everything
// else is generated from it by `go generate` (gen/main.go):
//
//   - command_gen.go: the Command constants, All, Title, the typed
//     constructors NewXCommand that build protocol.Command values for code
//     lenses, and Dispatch, which decodes a request's argument into the
//     method's typed argument and calls it;
//   - ../commands.json: {id, title, description, arguments} for every
//     command, from which the editor plugins take their command lists.
//
// TestGenerated (in gen) fails when either output is stale.
//
// Conventions, which the generator enforces:
//
//   - a command's id is "lambdalens." followed by the method name split at
//     its capitals, lower-cased and joined by dots (DevStart is
//     "lambdalens.dev.start");
//   - the first line of the method's doc comment is the title shown to
//     users, the rest is the description;
//   - a method takes a context.Context and one argument struct, sent as the
//     only element of "arguments" (which may be omitted: then every field
//     has its zero value); unknown fields are an error;
//   - a method returns error, or (T, error) where T is the command's JSON
//     result.
package command

import "context"

//go:generate go run ./gen

// Interface is the set of commands the server executes.
type Interface interface {
	// Run dev server
	//
	// Starts the project's dev server, or reuses the running one, and
	// reports its URL. When the configured port is taken, the next free
	// port is used and the message says which.
	DevStart(ctx context.Context, args DevStartArgs) error

	// Stop dev server
	//
	// Stops the project's dev server and every function process it
	// started.
	DevStop(ctx context.Context, args DevStopArgs) error

	// Open in browser
	//
	// Opens a function's URL on the dev server (or the project's root
	// URL), starting the dev server first when it is not running. The URL
	// opens through window/showDocument when the editor supports it, and
	// is shown in a message otherwise.
	DevOpen(ctx context.Context, args DevOpenArgs) error

	// Build for Lambda
	//
	// Builds the whole project, or one function, into .vercel/output, with
	// progress that can be cancelled. The result is shown as a message;
	// compile errors become diagnostics.
	Build(ctx context.Context, args BuildArgs) error

	// Cancel build
	//
	// Cancels the running builds of a project (of every project when uri
	// is empty).
	BuildCancel(ctx context.Context, args BuildCancelArgs) error

	// Inspect project
	//
	// Returns the project model: functions with their routes and settings,
	// and every problem found.
	Inspect(ctx context.Context, args InspectArgs) (*InspectResult, error)
}

// DevStartArgs are the arguments of lambdalens.dev.start.
type DevStartArgs struct {
	// A file or folder of the project (file URI); empty means the first
	// workspace folder.
	URI string `json:"uri,omitempty"`
}

// DevStopArgs are the arguments of lambdalens.dev.stop.
type DevStopArgs struct {
	// A file or folder of the project (file URI); empty means the first
	// workspace folder.
	URI string `json:"uri,omitempty"`
}

// DevOpenArgs are the arguments of lambdalens.dev.open.
type DevOpenArgs struct {
	// A file or folder of the project (file URI); empty means the first
	// workspace folder.
	URI string `json:"uri,omitempty"`
	// The function ID ("api/users/[id]"); empty opens the root URL.
	Function string `json:"function,omitempty"`
}

// BuildArgs are the arguments of lambdalens.build.
type BuildArgs struct {
	// A file or folder of the project (file URI); empty means the first
	// workspace folder.
	URI string `json:"uri,omitempty"`
	// The function ID to build ("api/users/[id]"); empty builds every
	// function.
	Function string `json:"function,omitempty"`
}

// BuildCancelArgs are the arguments of lambdalens.build.cancel.
type BuildCancelArgs struct {
	// A file or folder of the project (file URI); empty cancels the builds
	// of every project.
	URI string `json:"uri,omitempty"`
}

// InspectArgs are the arguments of lambdalens.inspect.
type InspectArgs struct {
	// A file or folder of the project (file URI); empty means the first
	// workspace folder.
	URI string `json:"uri,omitempty"`
}

// InspectResult is the result of lambdalens.inspect.
type InspectResult struct {
	// Root is the project directory.
	Root string `json:"root"`
	// DevURL is the running dev server's URL; empty when it is stopped.
	DevURL string `json:"devUrl,omitempty"`
	// DevState is the dev server's state: "stopped", "starting" (a start
	// is in progress: dev.start and dev.open reply before it ends) or
	// "running" (DevURL is set). A start that fails goes back to
	// "stopped".
	DevState DevState `json:"devState"`
	// Functions are sorted by ID.
	Functions []FunctionInfo `json:"functions"`
	// Problems are the project's diagnostics.
	Problems []Problem `json:"problems"`
}

// DevState is the state of a project's dev server.
type DevState string

// The values of DevState.
const (
	DevStopped  DevState = "stopped"
	DevStarting DevState = "starting"
	DevRunning  DevState = "running"
)

// FunctionInfo describes one function of an InspectResult.
type FunctionInfo struct {
	ID           string `json:"id"`
	File         string `json:"file"`
	Language     string `json:"language"`
	Kind         string `json:"kind"`
	Route        string `json:"route"`
	Memory       int    `json:"memory"`
	MaxDuration  int    `json:"maxDuration"`
	Architecture string `json:"architecture"`
	// URL is the function's URL on the running dev server, if any.
	URL string `json:"url,omitempty"`
}

// Problem is one diagnostic of an InspectResult; Line and Column are
// 1-based, Column counts bytes.
type Problem struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}
