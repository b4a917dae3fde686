package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/lambdalens/lambdalens/lsp"
)

func runLSP(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("lsp", "lsp [--stdio | --listen 127.0.0.1:PORT] [--log FILE]", stdout, stderr)
	listen := fs.String("listen", "", "serve clients over TCP on this address instead of stdio (for debugging)")
	logFile := fs.String("log", "", "append the server's log to this file (default: stderr)")
	verbose := fs.Bool("verbose", false, "log every detail")
	// Editors' LSP clients (vscode-languageclient's stdio transport) pass
	// --stdio; stdio is the default, so it is accepted and means nothing.
	fs.Bool("stdio", true, "serve on stdin/stdout (the default)")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "lambdalens lsp: unexpected arguments %q\n", pos)
		return 2
	}
	logOut := stderr
	if *logFile != "" {
		f, err := os.OpenFile(*logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "lambdalens lsp: %v\n", err)
			return 2
		}
		defer f.Close()
		logOut = f
	}
	logger := newLogger(logOut, *verbose)
	cfg := lsp.Config{
		Runtimes: languageRuntimes(logger),
		Logger:   logger,
		Version:  versionString(),
	}
	var err error
	if *listen != "" {
		err = lsp.Listen(ctx, *listen, cfg)
	} else {
		err = lsp.Run(ctx, os.Stdin, stdout, cfg)
	}
	if err != nil {
		if errors.Is(err, lsp.ErrNoShutdown) {
			return 1 // the LSP specification's exit status for a missing shutdown
		}
		fmt.Fprintf(stderr, "lambdalens lsp: %v\n", err)
		return 1
	}
	return 0
}
