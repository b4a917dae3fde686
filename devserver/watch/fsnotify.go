package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// notifyWatcher is the fsnotify implementation. fsnotify watches single
// directories, so it watches every directory of the tree and adds the new
// ones as they are created.
type notifyWatcher struct {
	root     string
	ignore   IgnoreFunc
	onEvents func([]Event)
	log      *slog.Logger
	fsw      *fsnotify.Watcher

	// dirs are the watched directories (absolute). Owned by the loop
	// goroutine once New has returned.
	dirs map[string]struct{}

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New watches root and every directory below it that ignore does not
// reject, and calls onEvents with batches of changes until ctx ends or
// Close is called. ignore may be nil; logger nil means slog.Default().
func New(ctx context.Context, root string, ignore IgnoreFunc, onEvents func([]Event), logger *slog.Logger) (Watcher, error) {
	abs, ignore, err := checkArgs("watching files", root, ignore, onEvents)
	if err != nil {
		return nil, err
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching %s: creating fsnotify watcher: %w", abs, err)
	}
	w := &notifyWatcher{
		root:     abs,
		ignore:   ignore,
		onEvents: onEvents,
		log:      orDefault(logger),
		fsw:      fsw,
		dirs:     make(map[string]struct{}),
	}
	if err := w.addTree(abs, nil); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("watching %s: %w", abs, err)
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Go(func() { w.loop(ctx) })
	return w, nil
}

// Close stops watching and waits for the loop goroutine.
func (w *notifyWatcher) Close() error {
	w.closeOnce.Do(func() {
		w.cancel()
		w.wg.Wait()
		w.closeErr = w.fsw.Close()
	})
	return w.closeErr
}

// addTree watches dir and its subdirectories. When found is not nil it
// receives a Create event for every entry below dir: those may have been
// created before the watch was in place.
func (w *notifyWatcher) addTree(dir string, found *[]Event) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path != dir && errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			if path == dir {
				return err
			}
			w.log.Warn("cannot read directory; its changes will be missed", "path", path, "err", err)
			return nil
		}
		rel, ok := relPath(w.root, path)
		if !ok {
			return nil
		}
		if path != w.root && w.ignore(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if found != nil && path != dir {
			*found = append(*found, Event{Path: path, Rel: rel, Op: Create, IsDir: d.IsDir()})
		}
		if !d.IsDir() {
			return nil
		}
		if err := w.fsw.Add(path); err != nil {
			if path == dir && path == w.root {
				return fmt.Errorf("adding watch on %s: %w", path, err)
			}
			w.log.Warn("cannot watch directory; its changes will be missed", "path", path, "err", err)
			return nil
		}
		w.dirs[path] = struct{}{}
		return nil
	})
}

// forgetTree drops the watches of dir and everything below it. inotify
// removes the watch of a deleted or moved directory itself, but the
// watches of its subdirectories would keep reporting under their old names.
func (w *notifyWatcher) forgetTree(dir string) {
	prefix := dir + string(filepath.Separator)
	for d := range w.dirs {
		if d == dir || strings.HasPrefix(d, prefix) {
			delete(w.dirs, d)
			// The watch may be gone already; that is the expected case.
			_ = w.fsw.Remove(d)
		}
	}
}

func (w *notifyWatcher) loop(ctx context.Context) {
	var batch []Event
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			batch = w.convert(batch[:0], ev)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			batch = w.handleError(batch[:0], err)
		}
		batch = w.collect(ctx, batch)
		if len(batch) > 0 {
			deliver(w.log, w.onEvents, batch)
			batch = make([]Event, 0, cap(batch))
		}
	}
}

// collect adds the events already queued behind the first one (and, were
// Debounce not zero, those arriving within it) to batch. Errors are left
// for the main loop.
func (w *notifyWatcher) collect(ctx context.Context, batch []Event) []Event {
	var deadline <-chan time.Time // nil: Debounce is zero, take only what is queued
	if Debounce > 0 {
		t := time.NewTimer(Debounce)
		defer t.Stop()
		deadline = t.C
	}
	for len(batch) < maxBatch {
		var ev fsnotify.Event
		var ok bool
		if deadline == nil {
			select {
			case ev, ok = <-w.fsw.Events:
			default:
				return batch
			}
		} else {
			select {
			case ev, ok = <-w.fsw.Events:
			case <-deadline:
				return batch
			case <-ctx.Done():
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch = w.convert(batch, ev)
	}
	return batch
}

func (w *notifyWatcher) handleError(batch []Event, err error) []Event {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		w.log.Warn("file change events were lost; rescanning", "err", err)
		return append(batch, Event{Op: Overflow})
	}
	w.log.Warn("file watcher error", "err", err)
	return batch
}

// convert appends the Events for one fsnotify event to batch.
func (w *notifyWatcher) convert(batch []Event, ev fsnotify.Event) []Event {
	rel, ok := relPath(w.root, ev.Name)
	if !ok || rel == "." {
		return batch
	}
	var op Op
	switch {
	case ev.Has(fsnotify.Create):
		op = Create
	case ev.Has(fsnotify.Remove):
		op = Remove
	case ev.Has(fsnotify.Rename):
		op = Rename
	case ev.Has(fsnotify.Write):
		op = Write
	default:
		return batch // Chmod alone: editors and indexers touch attributes all the time
	}
	if op == Remove || op == Rename {
		_, wasDir := w.dirs[ev.Name]
		if wasDir {
			w.forgetTree(ev.Name)
		}
		if w.ignore(rel, wasDir) {
			return batch
		}
		return append(batch, Event{Path: ev.Name, Rel: rel, Op: op, IsDir: wasDir})
	}
	info, err := os.Lstat(ev.Name)
	if err != nil {
		// Gone again already; its removal event follows.
		return batch
	}
	isDir := info.IsDir()
	if w.ignore(rel, isDir) {
		return batch
	}
	batch = append(batch, Event{Path: ev.Name, Rel: rel, Op: op, IsDir: isDir})
	if op == Create && isDir {
		if err := w.addTree(ev.Name, &batch); err != nil {
			w.log.Warn("cannot watch new directory", "path", ev.Name, "err", err)
		}
	}
	return batch
}
