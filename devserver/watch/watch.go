// Package watch reports file changes under a directory tree in batches.
//
// A Watcher calls onEvents with every change below its root, except those
// its ignore function rejects. Two implementations share that contract:
// New uses the operating system's notifications (fsnotify) and adds every
// new directory as it appears; NewPoll walks the tree on an interval, for
// file systems or limits that notifications cannot cope with.
//
// Batches are delivered on the leading edge (see Debounce). Callbacks run
// on the watcher's own goroutine, one at a time, and never after Close has
// returned.
package watch

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"
)

// Debounce is how long a watcher waits, after the first event of a burst,
// for more events to join the batch: zero.
//
// Rationale: a trailing window adds its whole length to every
// save-to-reload round trip (vercel dev aggregates for 500 ms, air sleeps
// for 1 s). Instead the first event is delivered at once together with
// every event already queued behind it, and the consumer absorbs the rest
// of a burst: an in-place save fires two write events, the first starts a
// rebuild immediately (leading edge), the second arrives while it runs and
// is coalesced with anything else into one follow-up rebuild, which the
// dev server skips when the file's content checksum did not change.
const Debounce time.Duration = 0

// maxBatch bounds the events delivered in one callback so that a huge
// burst (a git checkout) is handed over in digestible pieces.
const maxBatch = 4096

// Op is what happened to a path.
type Op uint8

const (
	// Create: the path appeared (also reported for the contents of a
	// directory that was created or moved into the tree).
	Create Op = 1 << iota
	// Write: the file's content changed. More writes may follow.
	Write
	// Remove: the path was deleted.
	Remove
	// Rename: the path was moved away; a new name inside the tree is
	// reported as a Create.
	Rename
	// Overflow: events were lost; consumers should rescan everything. Path
	// and Rel are empty.
	Overflow
)

func (o Op) String() string {
	if o == 0 {
		return "none"
	}
	var parts []string
	for _, n := range []struct {
		op   Op
		name string
	}{{Create, "create"}, {Write, "write"}, {Remove, "remove"}, {Rename, "rename"}, {Overflow, "overflow"}} {
		if o&n.op != 0 {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}

// Has reports whether o includes op.
func (o Op) Has(op Op) bool { return o&op != 0 }

// Event is one change.
type Event struct {
	// Path is the absolute path.
	Path string
	// Rel is Path relative to the root, slash-separated.
	Rel string
	Op  Op
	// IsDir is true when the path is a directory (for Remove and Rename:
	// was a watched directory).
	IsDir bool
}

func (e Event) String() string {
	if e.IsDir {
		return fmt.Sprintf("%s %s/", e.Op, e.Rel)
	}
	return fmt.Sprintf("%s %s", e.Op, e.Rel)
}

// Watcher watches a tree until it is closed.
type Watcher interface {
	// Close stops the watcher and waits until its goroutine has returned;
	// no callback runs after Close returns. It is safe to call twice.
	Close() error
}

// IgnoreFunc says whether a path (slash-separated, relative to the root)
// and, for a directory, everything below it is of no interest.
type IgnoreFunc func(rel string, isDir bool) bool

// checkArgs checks the arguments every watcher takes: onEvents must be
// set, root is resolved (resolveRoot), and a nil ignore ignores nothing.
// what names the watcher in errors.
func checkArgs(what, root string, ignore IgnoreFunc, onEvents func([]Event)) (string, IgnoreFunc, error) {
	if onEvents == nil {
		return "", nil, errors.New(what + ": onEvents is nil")
	}
	abs, err := resolveRoot(root)
	if err != nil {
		return "", nil, err
	}
	if ignore == nil {
		ignore = func(string, bool) bool { return false }
	}
	return abs, ignore, nil
}

// resolveRoot returns root as an absolute path, through the symbolic
// links that lead to it: a root given through a link (a linked workspace
// folder) is watched where it leads, since neither the walk nor the
// events enter a link. Event.Path is then under the resolved root;
// Event.Rel is the same either way.
func resolveRoot(root string) (string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("watching %s: %w", root, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	return abs, nil
}

// relPath returns path relative to root with forward slashes.
func relPath(root, path string) (string, bool) {
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func orDefault(l *slog.Logger) *slog.Logger {
	if l == nil {
		l = slog.Default()
	}
	return l.With("component", "watch")
}

// deliver calls onEvents and turns a panic in it into a log record, so a
// bug in a consumer does not take the watcher (and the dev server) down.
func deliver(log *slog.Logger, onEvents func([]Event), batch []Event) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("file change callback panicked", "panic", r, "stack", string(debug.Stack()))
		}
	}()
	onEvents(batch)
}
