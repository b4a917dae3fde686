package golang

import (
	"log/slog"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/runtimes"
)

// Runtime is the Go runtime. The zero value is ready to use: it runs the go
// command found on PATH and logs to slog.Default().
type Runtime struct {
	// GoCommand is the go binary to run. Default: "go" from PATH.
	GoCommand string
	// Logger defaults to slog.Default() with component=golang.
	Logger *slog.Logger

	// racyWindow replaces the key memo's racyWindow when set (tests).
	racyWindow time.Duration
	// gates are the warmGates of Lambda builds, by target.
	gates sync.Map
}

func (r *Runtime) memoWindow() time.Duration {
	if r != nil && r.racyWindow > 0 {
		return r.racyWindow
	}
	return racyWindow
}

var _ runtimes.Runtime = (*Runtime)(nil)

// Language reports runtimes.Go.
func (r *Runtime) Language() runtimes.Language { return runtimes.Go }

func (r *Runtime) goCmd() string {
	if r == nil || r.GoCommand == "" {
		return "go"
	}
	return r.GoCommand
}

func (r *Runtime) logger() *slog.Logger {
	if r == nil || r.Logger == nil {
		return slog.Default().With("component", "golang")
	}
	return r.Logger
}
