package main

import (
	"context"
	"fmt"
	"io"

	"github.com/lambdalens/lambdalens/devserver"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("dev", "dev [dir] [--listen 127.0.0.1:3000] [--prewarm] [--json]", stdout, stderr)
	listen := fs.String("listen", devserver.DefaultListen, "address to listen on (host:port, :port or port); the next free port is used when it is taken")
	prewarm := fs.Bool("prewarm", false, "start every function at startup instead of on its first request")
	asJSON := fs.Bool("json", false, "print one JSON event per line (ready, request, build, process)")
	verbose := fs.Bool("verbose", false, "log internal details to stderr")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	dir, ok := projectDir(pos, stderr, "dev")
	if !ok {
		return 2
	}
	tuneGC()
	logger := newLogger(stderr, *verbose)
	srv, err := devserver.New(devserver.Config{
		Dir:      dir,
		Listen:   *listen,
		Prewarm:  *prewarm,
		Runtimes: languageRuntimes(logger),
		Logger:   logger,
		Out:      stdout,
		JSON:     *asJSON,
		Color:    !*asJSON && isTerminal(stdout),
	})
	if err != nil {
		fmt.Fprintf(stderr, "lambdalens dev: %v\n", err)
		return 1
	}
	procsCtx, stopProcs := context.WithCancel(ctx)
	waitProcs := devserver.GovernProcs(procsCtx, logger)
	defer func() { stopProcs(); waitProcs() }()
	// Run serves until ctx ends (SIGINT/SIGTERM), then stops every child.
	if err := srv.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "lambdalens dev: %v\n", err)
		return 1
	}
	return 0
}
