package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// flagSet is a command's flags and where its usage goes: stdout when it
// was asked for (-h, "lambdalens help <cmd>"), stderr after a flag error.
type flagSet struct {
	*flag.FlagSet
	synopsis       string
	stdout, stderr io.Writer
}

// newFlagSet returns the flags of the command name, whose usage line is
// synopsis. Flag errors go to stderr.
func newFlagSet(name, synopsis string, stdout, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The flag package calls Usage both for -h and after an error, before
	// saying which; parseInterspersed prints it, knowing.
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: synopsis, stdout: stdout, stderr: stderr}
}

// printUsage writes the usage line and the flags to w.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: lambdalens %s\n\nFlags:\n", fs.synopsis)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(fs.stderr)
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("inspect examples/go-api --json"). It returns the positional
// arguments, or an exit code when parsing stopped: 0 for -h, with the
// usage on stdout; 2 for a bad flag, with the error and the usage on
// stderr.
func parseInterspersed(fs *flagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(fs.stdout)
				return nil, 0, false
			}
			fs.printUsage(fs.stderr)
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
