package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("inspect", "inspect [dir] [--json]", stdout, stderr)
	asJSON := fs.Bool("json", false, "print the whole project model as JSON")
	pos, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	dir, ok := projectDir(pos, stderr, "inspect")
	if !ok {
		return 2
	}
	p, err := project.Load(ctx, dir, project.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "lambdalens inspect: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			fmt.Fprintf(stderr, "lambdalens inspect: writing JSON: %v\n", err)
			return 1
		}
	} else {
		printFunctions(stdout, p)
	}
	printDiagnostics(stderr, p.Diagnostics, isTerminal(stderr))
	if p.HasErrors() {
		return 1
	}
	return 0
}

// noFunctions says what a project without functions lacks: where it
// looked (legacy builds name every function).
func noFunctions(legacy bool) string {
	if legacy {
		return "no functions found (vercel.json's builds name no @vercel/go or @vercel/python file)"
	}
	return "no functions found (looked for api/**/*.go, api/**/*.py, a Go server and a Python app)"
}

// printFunctions writes the table of functions.
func printFunctions(w io.Writer, p *project.Project) {
	if len(p.Functions) == 0 {
		fmt.Fprintln(w, noFunctions(p.Legacy()))
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tRUNTIME\tKIND\tROUTE\tMEMORY\tMAX DURATION\tARCH")
	for _, f := range p.Functions {
		kind := string(f.Kind())
		if f.Entrypoint.AppKind != runtimes.AppUnknown {
			kind += " (" + string(f.Entrypoint.AppKind) + ")"
		}
		maxDur := strconv.Itoa(f.Config.MaxDuration) + "s"
		if f.Config.MaxDurationMax {
			maxDur = "max"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d MB\t%s\t%s\n", f.File, runtimeLabel(p, f), kind, f.Route.Pattern, f.Config.Memory, maxDur, f.Config.Architecture)
	}
	tw.Flush()
}

func runtimeLabel(p *project.Project, f *project.Function) string {
	switch f.Language() {
	case runtimes.Go:
		if p.GoVersion.Value != "" {
			return "go " + p.GoVersion.Value
		}
	case runtimes.Python:
		return "python " + p.PythonVersion.Value
	}
	return string(f.Language())
}

// printDiagnostics writes one "file:line:col: severity: message" line per
// diagnostic, coloured by severity on a terminal.
func printDiagnostics(w io.Writer, diags []runtimes.Diagnostic, color bool) {
	for _, d := range diags {
		line := d.String()
		if color {
			c := map[runtimes.Severity]string{runtimes.SeverityError: "31", runtimes.SeverityWarning: "33", runtimes.SeverityInfo: "36", runtimes.SeverityHint: "2"}[d.Severity]
			line = "\x1b[" + c + "m" + line + "\x1b[0m"
		}
		fmt.Fprintln(w, line)
	}
}
