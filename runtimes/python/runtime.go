package python

import (
	"log/slog"
	"sync"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Runtime is the Python runtime. The zero value is ready to use.
type Runtime struct {
	// Python is the interpreter to use when the project has no venv and
	// VIRTUAL_ENV is unset. Default: "python3" from PATH.
	Python string
	// Logger defaults to slog.Default() with component=python.
	Logger *slog.Logger

	// systemNoticed holds the base interpreters (by path) a project
	// without dependencies has run on: the notice about it is given once
	// per Runtime, which the CLI makes once per process, rather than on
	// every restart.
	systemNoticed sync.Map
}

var _ runtimes.Runtime = (*Runtime)(nil)

// Language reports runtimes.Python.
func (r *Runtime) Language() runtimes.Language { return runtimes.Python }

// firstSystemUse reports whether python is used for a project without
// dependencies for the first time.
func (r *Runtime) firstSystemUse(python string) bool {
	if r == nil {
		return true
	}
	_, seen := r.systemNoticed.LoadOrStore(python, struct{}{})
	return !seen
}

func (r *Runtime) logger() *slog.Logger {
	if r == nil || r.Logger == nil {
		return slog.Default().With("component", "python")
	}
	return r.Logger
}
