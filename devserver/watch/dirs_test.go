package watch

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var dirImplementations = map[string]func(ctx context.Context, root string, r *recorder) (Dirs, error){
	"fsnotify": func(ctx context.Context, root string, r *recorder) (Dirs, error) {
		return NewDirs(ctx, root, ignoreTest, r.onEvents, nil)
	},
	"poll": func(ctx context.Context, root string, r *recorder) (Dirs, error) {
		return NewPollDirs(ctx, root, ignoreTest, r.onEvents, nil, 10*time.Millisecond)
	},
}

// Folders outside the root are watched as Set says, without their
// subfolders, with Rel relative to the root.
func TestDirs(t *testing.T) {
	for name, start := range dirImplementations {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			root := filepath.Join(base, "proj")
			lib, other := filepath.Join(base, "lib"), filepath.Join(base, "other")
			write(t, filepath.Join(root, "api", "a.go"), "package a")
			write(t, filepath.Join(lib, "lib.go"), "package lib")
			write(t, filepath.Join(other, "o.go"), "package other")
			r := newRecorder()
			w, err := start(t.Context(), root, r)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.Set([]string{lib})

			write(t, filepath.Join(lib, "lib.go"), "package lib // edited")
			got := r.waitFor(t, Write, "../lib/lib.go")
			if p := got[len(got)-1].Path; p != filepath.Join(lib, "lib.go") {
				t.Errorf("Path = %s", p)
			}
			write(t, filepath.Join(lib, "x.swp"), "ignored")
			write(t, filepath.Join(lib, "new.go"), "package lib")
			for _, e := range r.waitFor(t, Create, "../lib/new.go") {
				if strings.HasSuffix(e.Rel, ".swp") {
					t.Errorf("ignored file reported: %v", e)
				}
			}

			// Moving to another folder: the first is no longer watched.
			w.Set([]string{other})
			write(t, filepath.Join(lib, "late.go"), "package lib")
			write(t, filepath.Join(other, "o.go"), "package other // edited")
			for _, e := range r.waitFor(t, Write, "../other/o.go") {
				if e.Rel == "../lib/late.go" {
					t.Errorf("event of a folder no longer watched: %v", e)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w.Set([]string{lib}) // after Close: nothing, no panic
		})
	}
}
