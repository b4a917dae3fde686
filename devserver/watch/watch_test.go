package watch

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder collects delivered events.
type recorder struct {
	mu      sync.Mutex
	events  []Event
	batches int
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) onEvents(batch []Event) {
	r.mu.Lock()
	r.events = append(r.events, batch...)
	r.batches++
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// match is one expected event.
type match struct {
	op  Op
	rel string
}

// waitFor waits until an event matching op and rel has been delivered and
// returns every event delivered up to and including it.
func (r *recorder) waitFor(t *testing.T, op Op, rel string) []Event {
	t.Helper()
	return r.waitAll(t, match{op, rel})
}

// waitAll waits until every match has been delivered, in any order, and
// returns (and consumes) the events up to the last of them.
func (r *recorder) waitAll(t *testing.T, want ...match) []Event {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		last, found := -1, 0
		for _, m := range want {
			for i, e := range r.events {
				if e.Op.Has(m.op) && e.Rel == m.rel {
					found++
					last = max(last, i)
					break
				}
			}
		}
		if found == len(want) {
			got := append([]Event(nil), r.events[:last+1]...)
			r.events = r.events[last+1:]
			r.mu.Unlock()
			return got
		}
		all := append([]Event(nil), r.events...)
		r.mu.Unlock()
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("did not see all of %v; got %v", want, all)
		}
	}
}

// ignoreTest ignores what the dev server ignores, for the tests.
func ignoreTest(rel string, isDir bool) bool {
	for _, seg := range strings.Split(rel, "/") {
		if seg == "node_modules" || seg == ".git" {
			return true
		}
	}
	return strings.HasSuffix(rel, ".swp")
}

type starter func(ctx context.Context, root string, r *recorder) (Watcher, error)

var implementations = map[string]starter{
	"fsnotify": func(ctx context.Context, root string, r *recorder) (Watcher, error) {
		return New(ctx, root, ignoreTest, r.onEvents, nil)
	},
	"poll": func(ctx context.Context, root string, r *recorder) (Watcher, error) {
		return NewPoll(ctx, root, ignoreTest, r.onEvents, nil, 10*time.Millisecond)
	},
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWatcher(t *testing.T) {
	for name, start := range implementations {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			write(t, filepath.Join(root, "api", "a.go"), "package a")
			write(t, filepath.Join(root, "node_modules", "x", "y.js"), "x")
			r := newRecorder()
			w, err := start(t.Context(), root, r)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()

			// create
			write(t, filepath.Join(root, "api", "b.go"), "package b")
			evs := r.waitFor(t, Create|Write, "api/b.go")
			if last := evs[len(evs)-1]; last.Path != filepath.Join(root, "api", "b.go") || last.IsDir {
				t.Errorf("create event = %+v, want absolute path of a file", last)
			}

			// modify
			write(t, filepath.Join(root, "api", "a.go"), "package a // changed")
			r.waitFor(t, Write, "api/a.go")

			// delete
			if err := os.Remove(filepath.Join(root, "api", "b.go")); err != nil {
				t.Fatal(err)
			}
			r.waitFor(t, Remove, "api/b.go")

			// rename: the old name goes away, the new one appears
			if err := os.Rename(filepath.Join(root, "api", "a.go"), filepath.Join(root, "api", "c.go")); err != nil {
				t.Fatal(err)
			}
			r.waitAll(t, match{Rename | Remove, "api/a.go"}, match{Create, "api/c.go"})

			// a new subdirectory is watched, including what was created in
			// it before the watch could be added
			write(t, filepath.Join(root, "lib", "deep", "early.go"), "package deep")
			r.waitFor(t, Create, "lib/deep/early.go")
			write(t, filepath.Join(root, "lib", "deep", "late.go"), "package deep")
			r.waitFor(t, Create|Write, "lib/deep/late.go")
			write(t, filepath.Join(root, "lib", "deep", "late.go"), "package deep // v2")
			r.waitFor(t, Write, "lib/deep/late.go")

			// a renamed directory reports under its new name, subdirectories too
			write(t, filepath.Join(root, "pkg", "sub", "f.go"), "package sub")
			r.waitFor(t, Create, "pkg/sub/f.go")
			if err := os.Rename(filepath.Join(root, "pkg"), filepath.Join(root, "pkg2")); err != nil {
				t.Fatal(err)
			}
			r.waitAll(t, match{Rename | Remove, "pkg"}, match{Create, "pkg2"})
			write(t, filepath.Join(root, "pkg2", "sub", "f.go"), "package sub // moved")
			for _, e := range r.waitFor(t, Write, "pkg2/sub/f.go") {
				if strings.HasPrefix(e.Rel, "pkg/") && e.Op.Has(Write|Create) {
					t.Errorf("event under the old name: %v", e)
				}
			}

			// removing a directory reports it as a directory
			if err := os.RemoveAll(filepath.Join(root, "lib")); err != nil {
				t.Fatal(err)
			}
			evs = r.waitFor(t, Remove|Rename, "lib")
			if !evs[len(evs)-1].IsDir {
				t.Errorf("removal of lib = %+v, want IsDir", evs[len(evs)-1])
			}

			// ignored paths produce nothing: write them, then a sentinel,
			// and check nothing ignored arrived before the sentinel
			write(t, filepath.Join(root, "node_modules", "x", "y.js"), "changed")
			write(t, filepath.Join(root, "node_modules", "new", "z.js"), "new")
			write(t, filepath.Join(root, ".git", "HEAD"), "ref")
			write(t, filepath.Join(root, "api", ".a.go.swp"), "swap")
			write(t, filepath.Join(root, "sentinel"), "s")
			for _, e := range r.waitFor(t, Create|Write, "sentinel") {
				if ignoreTest(e.Rel, e.IsDir) {
					t.Errorf("got an event for ignored path: %v", e)
				}
			}

			if err := w.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			// Nothing is delivered after Close returned.
			r.mu.Lock()
			n := r.batches
			r.mu.Unlock()
			write(t, filepath.Join(root, "after-close"), "x")
			write(t, filepath.Join(root, "after-close"), "xy")
			r.mu.Lock()
			if r.batches != n {
				t.Errorf("a batch was delivered after Close")
			}
			r.mu.Unlock()
		})
	}
}

func TestWatcherStopsWithContext(t *testing.T) {
	for name, start := range implementations {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			w, err := start(ctx, t.TempDir(), newRecorder())
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			done := make(chan struct{})
			go func() { w.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Close did not return after the context ended")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	if _, err := New(t.Context(), missing, nil, func([]Event) {}, nil); err == nil {
		t.Error("New on a missing directory succeeded")
	}
	if _, err := NewPoll(t.Context(), missing, nil, func([]Event) {}, nil, 0); err == nil {
		t.Error("NewPoll on a missing directory succeeded")
	}
	if _, err := New(t.Context(), t.TempDir(), nil, nil, nil); err == nil {
		t.Error("New without a callback succeeded")
	}
}

func TestCallbackPanicIsContained(t *testing.T) {
	root := t.TempDir()
	calls := make(chan struct{}, 10)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := New(t.Context(), root, nil, func([]Event) {
		calls <- struct{}{}
		panic("consumer bug")
	}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for i := range 2 {
		write(t, filepath.Join(root, "f"), strings.Repeat("x", i+1))
		select {
		case <-calls:
		case <-time.After(10 * time.Second):
			t.Fatalf("callback %d not called: the watcher died with the panic", i)
		}
	}
}

func TestOpString(t *testing.T) {
	if got := (Create | Write).String(); got != "create|write" {
		t.Errorf("String = %q", got)
	}
	if got := Op(0).String(); got != "none" {
		t.Errorf("String = %q", got)
	}
	if got := (Event{Rel: "api", Op: Remove, IsDir: true}).String(); got != "remove api/" {
		t.Errorf("Event.String = %q", got)
	}
}

// A root given through a symbolic link (a linked workspace folder) is
// watched where it leads, subfolders included; events keep their paths
// relative to it.
func TestWatcherThroughALinkedRoot(t *testing.T) {
	for name, start := range implementations {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "api", "sub", "a.go"), "package a")
			link := filepath.Join(t.TempDir(), "linked")
			if err := os.Symlink(dir, link); err != nil {
				t.Skipf("symlinks unavailable: %v", err)
			}
			r := newRecorder()
			w, err := start(t.Context(), link, r)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			write(t, filepath.Join(dir, "api", "sub", "b.go"), "package a")
			r.waitFor(t, Create|Write, "api/sub/b.go")
			write(t, filepath.Join(dir, "top.txt"), "x")
			r.waitFor(t, Create|Write, "top.txt")
		})
	}
}
