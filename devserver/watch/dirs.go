package watch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Dirs watches a set of folders that changes while it runs, each without
// its subfolders: the folders outside the project that the project's code
// comes from (a parent module, a replace directory, a go.work module),
// which the tree watcher does not see.
//
// Events are those of a Watcher. Event.Rel is the path relative to the
// root given to NewDirs, so it starts with "../" for a folder outside it
// (the absolute, slash-separated path when there is no relative one).
// A change made to a folder before Set added it is not reported.
type Dirs interface {
	Watcher
	// Set makes dirs (absolute paths) the watched folders: it starts
	// watching the new ones and stops watching those not in dirs. A
	// folder that cannot be watched (it does not exist yet) is tried again
	// by the next Set. Set after Close does nothing.
	Set(dirs []string)
}

// outsideRel is path relative to root, slash-separated: "../lib/x.go".
func outsideRel(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(path)
}

// notifyDirs is the fsnotify implementation of Dirs.
type notifyDirs struct {
	root     string
	ignore   IgnoreFunc
	onEvents func([]Event)
	log      *slog.Logger
	fsw      *fsnotify.Watcher

	mu        sync.Mutex
	want      map[string]bool // the folders Set asked for; true when watched
	closed    bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	err       error
}

// NewDirs returns a Dirs that uses the operating system's notifications.
// It watches nothing until Set is called. root is what Event.Rel is
// relative to; ignore, onEvents and logger are as for New.
func NewDirs(ctx context.Context, root string, ignore IgnoreFunc, onEvents func([]Event), logger *slog.Logger) (Dirs, error) {
	abs, ignore, err := checkArgs("watching folders", root, ignore, onEvents)
	if err != nil {
		return nil, err
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching folders outside %s: creating fsnotify watcher: %w", abs, err)
	}
	w := &notifyDirs{root: abs, ignore: ignore, onEvents: onEvents, log: orDefault(logger), fsw: fsw, want: map[string]bool{}}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Go(func() { w.loop(ctx) })
	return w, nil
}

func (w *notifyDirs) Set(dirs []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	next := map[string]bool{}
	for _, d := range dirs {
		d = filepath.Clean(d)
		watched := w.want[d]
		if !watched {
			if err := w.fsw.Add(d); err != nil {
				w.log.Debug("cannot watch folder yet", "path", d, "err", err)
			} else {
				watched = true
			}
		}
		next[d] = watched
	}
	for d, watched := range w.want {
		if _, ok := next[d]; !ok && watched {
			_ = w.fsw.Remove(d) // gone already when the folder was deleted
		}
	}
	w.want = next
}

func (w *notifyDirs) Close() error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.cancel()
		w.wg.Wait()
		w.err = w.fsw.Close()
	})
	return w.err
}

func (w *notifyDirs) loop(ctx context.Context) {
	for {
		var batch []Event
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			batch = w.convert(batch, ev)
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				batch = append(batch, Event{Op: Overflow})
			} else {
				w.log.Warn("file watcher error", "err", err)
			}
		}
		// Take what is queued behind (see Debounce).
	queued:
		for len(batch) < maxBatch {
			select {
			case ev, ok := <-w.fsw.Events:
				if !ok {
					break queued
				}
				batch = w.convert(batch, ev)
			default:
				break queued
			}
		}
		if len(batch) > 0 {
			deliver(w.log, w.onEvents, batch)
		}
	}
}

func (w *notifyDirs) convert(batch []Event, ev fsnotify.Event) []Event {
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
		return batch
	}
	path := filepath.Clean(ev.Name)
	rel := outsideRel(w.root, path)
	isDir := false
	if op == Remove || op == Rename {
		w.mu.Lock()
		if watched, ok := w.want[path]; ok {
			// The folder itself went away, and its watch with it: the
			// next Set watches it again if it is back.
			isDir = true
			if watched {
				w.want[path] = false
			}
		}
		w.mu.Unlock()
	} else {
		info, err := os.Lstat(path)
		if err != nil {
			return batch
		}
		isDir = info.IsDir()
	}
	if w.ignore(rel, isDir) {
		return batch
	}
	return append(batch, Event{Path: path, Rel: rel, Op: op, IsDir: isDir})
}

// pollDirs is the polling implementation of Dirs.
type pollDirs struct {
	root     string
	ignore   IgnoreFunc
	onEvents func([]Event)
	log      *slog.Logger
	interval time.Duration

	mu     sync.Mutex
	dirs   []string         // guarded by mu
	prev   map[string]stamp // by absolute path; guarded by mu
	closed bool

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// NewPollDirs returns a Dirs that reads its folders every interval
// (DefaultPollInterval when interval <= 0). Other arguments are as for
// NewDirs.
func NewPollDirs(ctx context.Context, root string, ignore IgnoreFunc, onEvents func([]Event), logger *slog.Logger, interval time.Duration) (Dirs, error) {
	abs, ignore, err := checkArgs("watching folders", root, ignore, onEvents)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	w := &pollDirs{root: abs, ignore: ignore, onEvents: onEvents, log: orDefault(logger), interval: interval, prev: map[string]stamp{}}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Go(func() { w.loop(ctx) })
	return w, nil
}

func (w *pollDirs) Set(dirs []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	var next []string
	for _, d := range dirs {
		next = append(next, filepath.Clean(d))
	}
	slices.Sort(next)
	next = slices.Compact(next)
	// New folders start from what they hold now: no events for it.
	for _, d := range next {
		if _, ok := slices.BinarySearch(w.dirs, d); !ok {
			w.scanDir(d, w.prev)
		}
	}
	for p := range w.prev {
		if _, ok := slices.BinarySearch(next, filepath.Dir(p)); !ok {
			delete(w.prev, p)
		}
	}
	w.dirs = next
}

func (w *pollDirs) Close() error {
	w.closeOnce.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.cancel()
		w.wg.Wait()
	})
	return nil
}

func (w *pollDirs) loop(ctx context.Context) {
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		w.mu.Lock()
		cur := map[string]stamp{}
		for _, d := range w.dirs {
			w.scanDir(d, cur)
		}
		batch := w.diff(cur)
		w.prev = cur
		w.mu.Unlock()
		for len(batch) > maxBatch {
			deliver(w.log, w.onEvents, batch[:maxBatch])
			batch = batch[maxBatch:]
		}
		if len(batch) > 0 {
			deliver(w.log, w.onEvents, batch)
		}
	}
}

// scanDir records the entries of dir that ignore does not reject.
func (w *pollDirs) scanDir(dir string, into map[string]stamp) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return // absent or unreadable: treated as empty
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if w.ignore(outsideRel(w.root, p), e.IsDir()) {
			continue
		}
		if info, err := e.Info(); err == nil {
			into[p] = stamp{size: info.Size(), mtime: info.ModTime(), mode: info.Mode()}
		}
	}
}

// diff turns the previous and the current scan into events.
func (w *pollDirs) diff(cur map[string]stamp) []Event {
	var batch []Event
	ev := func(p string, op Op, isDir bool) Event {
		return Event{Path: p, Rel: outsideRel(w.root, p), Op: op, IsDir: isDir}
	}
	for p, s := range cur {
		old, ok := w.prev[p]
		switch {
		case !ok:
			batch = append(batch, ev(p, Create, s.mode.IsDir()))
		case s.mode.IsDir() != old.mode.IsDir():
			batch = append(batch, ev(p, Remove, old.mode.IsDir()), ev(p, Create, s.mode.IsDir()))
		case !s.mode.IsDir() && (s.size != old.size || !s.mtime.Equal(old.mtime)):
			batch = append(batch, ev(p, Write, false))
		}
	}
	for p, s := range w.prev {
		if _, ok := cur[p]; !ok {
			batch = append(batch, ev(p, Remove, s.mode.IsDir()))
		}
	}
	slices.SortFunc(batch, func(a, b Event) int { return strings.Compare(a.Path, b.Path) })
	return batch
}
