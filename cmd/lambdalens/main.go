// Command lambdalens is a local toolchain for serverless functions written
// in Go and Python: a dev server for the whole project (lambdalens dev),
// AWS-Lambda-ready builds in Vercel's Build Output API layout (lambdalens
// build), a project inspector (lambdalens inspect) and a language server
// (lambdalens lsp).
//
// main stays trivial: it sets up signal handling and dispatches to one file
// per subcommand.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"dev", "serve the project on one local URL, with hot reload", runDev},
		{"build", "build Lambda-ready functions into .vercel/output", runBuild},
		{"inspect", "show the project's functions, routes and problems", runInspect},
		{"lsp", "run the language server (stdio, or --listen for debugging)", runLSP},
		{"version", "print the version", runVersion},
		{"help", "show help for a command", runHelp},
	}
}

// run dispatches args to a subcommand and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "--help", "-help":
		usage(stdout)
		return 0
	case "-v", "--version":
		return runVersion(ctx, nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "lambdalens: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, "lambdalens: a local toolchain for Go and Python serverless functions\n\nUsage:\n  lambdalens <command> [arguments]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"lambdalens help <command>\" for a command's flags.\n")
}

func runHelp(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] && c.name != "help" {
			return c.run(ctx, []string{"-h"}, stdout, stderr)
		}
	}
	if args[0] == "help" {
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "lambdalens help: unknown command %q\n", args[0])
	return 2
}
