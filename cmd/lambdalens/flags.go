package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// newFlagSet returns a FlagSet whose usage text goes to stderr and names
// the command.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: lambdalens %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("inspect examples/go-api --json"). It returns the positional
// arguments, or an exit code when parsing stopped (0 for -h).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), 0, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// projectDir returns the single optional directory argument, with
// symbolic links resolved: the project's files are walked from its root,
// and a walk does not enter a root that is a link (macOS's /tmp is one).
func projectDir(pos []string, stderr io.Writer, name string) (string, bool) {
	dir := "."
	switch len(pos) {
	case 0:
	case 1:
		dir = pos[0]
	default:
		fmt.Fprintf(stderr, "lambdalens %s: expected at most one directory, got %d arguments\n", name, len(pos))
		return "", false
	}
	// Resolved from the absolute path: "." through a linked working
	// directory is the link ($PWD) to filepath.Abs.
	if abs, err := filepath.Abs(dir); err == nil {
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			dir = real // else the command reports the path as given
		}
	}
	return dir, true
}

// isTerminal reports whether w is a terminal and colour is wanted
// (NO_COLOR unset).
func isTerminal(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
