package watch

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"time"
)

// DefaultPollInterval is NewPoll's interval when none is given.
const DefaultPollInterval = 500 * time.Millisecond

// pollWatcher walks the tree on an interval and compares what it sees with
// the previous walk. It needs no kernel resources, so it works where
// fsnotify does not (network file systems, exhausted inotify limits).
type pollWatcher struct {
	root     string
	ignore   IgnoreFunc
	onEvents func([]Event)
	log      *slog.Logger
	interval time.Duration

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// stamp is what the poller compares between walks.
type stamp struct {
	size  int64
	mtime time.Time
	mode  fs.FileMode
}

// NewPoll watches root by walking it every interval (DefaultPollInterval
// when interval <= 0). Other arguments are as for New.
func NewPoll(ctx context.Context, root string, ignore IgnoreFunc, onEvents func([]Event), logger *slog.Logger, interval time.Duration) (Watcher, error) {
	abs, ignore, err := checkArgs("watching files", root, ignore, onEvents)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	w := &pollWatcher{root: abs, ignore: ignore, onEvents: onEvents, log: orDefault(logger), interval: interval}
	first, err := w.scan()
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", abs, err)
	}
	ctx, w.cancel = context.WithCancel(ctx)
	w.wg.Go(func() { w.loop(ctx, first) })
	return w, nil
}

// Close stops polling and waits for the loop goroutine.
func (w *pollWatcher) Close() error {
	w.closeOnce.Do(func() {
		w.cancel()
		w.wg.Wait()
	})
	return nil
}

func (w *pollWatcher) loop(ctx context.Context, prev map[string]stamp) {
	ticker := time.NewTicker(w.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		cur, err := w.scan()
		if err != nil {
			w.log.Warn("polling for file changes", "err", err)
			continue
		}
		if batch := diff(w.root, prev, cur); len(batch) > 0 {
			for len(batch) > maxBatch {
				deliver(w.log, w.onEvents, batch[:maxBatch])
				batch = batch[maxBatch:]
			}
			deliver(w.log, w.onEvents, batch)
		}
		prev = cur
	}
}

// scan records every path below the root that ignore does not reject.
func (w *pollWatcher) scan() (map[string]stamp, error) {
	seen := make(map[string]stamp)
	err := filepath.WalkDir(w.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == w.root {
				return err
			}
			return nil // vanished or unreadable: treated as absent
		}
		if path == w.root {
			return nil
		}
		rel, ok := relPath(w.root, path)
		if !ok {
			return nil
		}
		if w.ignore(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		seen[rel] = stamp{size: info.Size(), mtime: info.ModTime(), mode: info.Mode()}
		return nil
	})
	return seen, err
}

// diff turns two scans into events.
func diff(root string, prev, cur map[string]stamp) []Event {
	var batch []Event
	abs := func(rel string) string { return filepath.Join(root, filepath.FromSlash(rel)) }
	for rel, s := range cur {
		old, ok := prev[rel]
		switch {
		case !ok:
			batch = append(batch, Event{Path: abs(rel), Rel: rel, Op: Create, IsDir: s.mode.IsDir()})
		case s.mode.IsDir() != old.mode.IsDir():
			batch = append(batch,
				Event{Path: abs(rel), Rel: rel, Op: Remove, IsDir: old.mode.IsDir()},
				Event{Path: abs(rel), Rel: rel, Op: Create, IsDir: s.mode.IsDir()})
		case !s.mode.IsDir() && (s.size != old.size || !s.mtime.Equal(old.mtime)):
			batch = append(batch, Event{Path: abs(rel), Rel: rel, Op: Write})
		}
	}
	for rel, s := range prev {
		if _, ok := cur[rel]; !ok {
			batch = append(batch, Event{Path: abs(rel), Rel: rel, Op: Remove, IsDir: s.mode.IsDir()})
		}
	}
	return batch
}
