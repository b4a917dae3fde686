package python

import (
	"log/slog"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Runtime is the Python runtime. The zero value is ready to use.
type Runtime struct {
	// Python is the interpreter to use when the project has no venv and
	// VIRTUAL_ENV is unset. Default: "python3" from PATH.
	Python string
	// Logger defaults to slog.Default() with component=python.
	Logger *slog.Logger
}

var _ runtimes.Runtime = (*Runtime)(nil)

// Language reports runtimes.Python.
func (r *Runtime) Language() runtimes.Language { return runtimes.Python }

func (r *Runtime) logger() *slog.Logger {
	if r == nil || r.Logger == nil {
		return slog.Default().With("component", "python")
	}
	return r.Logger
}
