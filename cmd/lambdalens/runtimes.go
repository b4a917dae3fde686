package main

import (
	"log/slog"

	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/python"
)

// languageRuntimes is the one place where the concrete runtimes are wired
// in; devserver and buildsys only know the runtimes.Runtime interface.
func languageRuntimes(logger *slog.Logger) map[runtimes.Language]runtimes.Runtime {
	return map[runtimes.Language]runtimes.Runtime{
		runtimes.Go:     &golang.Runtime{Logger: logger.With("component", "golang")},
		runtimes.Python: &python.Runtime{Logger: logger.With("component", "python")},
	}
}

// newLogger returns the internal logger: warnings and errors on stderr by
// default, everything with --verbose.
func newLogger(w interface{ Write([]byte) (int, error) }, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
