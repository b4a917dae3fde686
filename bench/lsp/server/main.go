// Command server is the language server alone, for bench/lsp when the
// lambdalens binary has no lsp subcommand: it serves LSP on stdin and
// stdout with the Go and Python runtimes, as `lambdalens lsp` does.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/lambdalens/lambdalens/lsp"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/python"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := lsp.Run(ctx, os.Stdin, os.Stdout, lsp.Config{
		Runtimes: map[runtimes.Language]runtimes.Runtime{runtimes.Go: &golang.Runtime{}, runtimes.Python: &python.Runtime{}},
		Logger:   log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "lsp:", err)
		if errors.Is(err, lsp.ErrNoShutdown) {
			os.Exit(1)
		}
		os.Exit(2)
	}
}
