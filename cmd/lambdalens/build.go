package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lambdalens/lambdalens/buildsys"
)

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("build", "build [dir] [--out .vercel/output] [--arch x86_64|arm64] [--only PATTERN] [--zip] [--json]", stdout, stderr)
	out := fs.String("out", "", "Build Output directory (default <dir>/.vercel/output)")
	arch := fs.String("arch", "", "build every function for this architecture (x86_64 or arm64), overriding vercel.json")
	only := fs.String("only", "", "build only the functions whose ID or file matches this glob; the output then holds only those")
	zip := fs.Bool("zip", false, "also write a deterministic <function>.zip next to each .func")
	asJSON := fs.Bool("json", false, "print one JSON event per line, then the summary")
	jobs := fs.Int("jobs", 0, "functions built at once (0: one per CPU)")
	cacheDir := fs.String("cache-dir", "", "keep the build cache and GOCACHE/GOMODCACHE in this folder (for CI caching)")
	noCache := fs.Bool("no-cache", false, "rebuild every function even when the cache has it")
	verbose := fs.Bool("verbose", false, "log internal details to stderr")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	dir, ok := projectDir(pos, stderr, "build")
	if !ok {
		return 2
	}
	if *jobs < 0 {
		fmt.Fprintf(stderr, "lambdalens build: --jobs must be 0 (one per CPU) or more, not %d\n", *jobs)
		return 2
	}
	if *arch != "" && *arch != "x86_64" && *arch != "arm64" {
		fmt.Fprintf(stderr, "lambdalens build: --arch must be x86_64 or arm64, not %q\n", *arch)
		return 2
	}
	// Flags are relative to the working directory, as a user typing them
	// expects; buildsys resolves relative paths against the project root.
	for _, p := range []*string{out, cacheDir} {
		if *p != "" {
			abs, err := filepath.Abs(*p)
			if err != nil {
				fmt.Fprintf(stderr, "lambdalens build: %v\n", err)
				return 2
			}
			*p = abs
		}
	}
	style := buildsys.StyleAuto
	if *asJSON {
		style = buildsys.StyleJSON
	}
	logger := newLogger(stderr, *verbose)
	sum, err := buildsys.Run(ctx, buildsys.Options{
		Dir:      dir,
		OutDir:   *out,
		Arch:     *arch,
		Only:     *only,
		Zip:      *zip,
		Jobs:     *jobs,
		CacheDir: *cacheDir,
		NoCache:  *noCache,
		Runtimes: languageRuntimes(logger),
		Progress: stdout,
		Style:    style,
		Logger:   logger,
	})
	if err == nil {
		if len(sum.Functions) == 0 {
			fmt.Fprintf(stderr, "lambdalens build: %s in %s\n", noFunctions(sum.Legacy), dir)
		}
		return 0
	}
	var diags *buildsys.DiagnosticsError
	if errors.As(err, &diags) {
		printDiagnostics(stderr, diags.Diagnostics, isTerminal(stderr))
		fmt.Fprintf(stderr, "lambdalens build: the project has %d error(s); nothing was built\n", len(diags.Diagnostics))
		return 1
	}
	fmt.Fprintf(stderr, "lambdalens build: %v\n", err)
	return 1
}
