package devserver

import (
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/runtimes"
)

// reloader turns file events into project reloads and function rebuilds.
//
// Rebuilds are debounced on the leading edge (see watch.Debounce): the
// first batch is processed at once, batches that arrive while one is being
// processed are merged into the next round, and a function whose build is
// running when a change arrives gets exactly one follow-up build
// (function.changed). Content checksums drop events that changed nothing,
// such as the second write event of an in-place save.
type reloader struct {
	s *Server

	mu    sync.Mutex
	queue []watch.Event // guarded by mu
	wake  chan struct{} // capacity 1: "the queue is not empty"

	// hashes are the content checksums of files seen in events, by
	// absolute path; truncated holds write events that found their file
	// empty, until their recheck time. Both owned by the run goroutine.
	hashes    map[string]uint64
	truncated map[string]truncation
	seed      maphash.Seed
	// dropped counts events dropped as no-ops and processed the batches
	// handled, for tests.
	dropped, processed atomic.Int64
}

// Files at the project root whose change reloads the project model.
var reloadFiles = map[string]bool{
	"vercel.json": true, ".vercelignore": true, ".nowignore": true,
	".env": true, ".env.local": true,
	"go.mod": true, "go.work": true,
	"pyproject.toml": true, "requirements.txt": true, "Pipfile": true,
}

// Files that affect every function of a language, wherever its inputs
// are.
var languageManifests = map[runtimes.Language][]string{
	runtimes.Go: {"go.mod", "go.sum", "go.work", "go.work.sum"},
	runtimes.Python: {"requirements.txt", "requirements.in", "requirements-frozen.txt", "requirements.frozen.txt",
		"pyproject.toml", "Pipfile", "Pipfile.lock", "uv.lock", "pylock.toml", ".python-version"},
}

var languageExts = map[runtimes.Language]string{runtimes.Go: ".go", runtimes.Python: ".py"}

// emptyGrace is how long a write event that finds its file empty waits
// for the write that fills it. An in-place save truncates the file (one
// event) and then writes the whole buffer (another event) within
// milliseconds; acting on the first would build an empty file and then
// build again. So the empty state is held back, and the second event,
// which sees the complete content, starts the one build at once (or
// nothing, when the content is unchanged). Only a file that really stays
// empty waits for emptyGrace. This delays no complete save.
const emptyGrace = 150 * time.Millisecond

// truncation is a held-back write event (see emptyGrace).
type truncation struct {
	ev  watch.Event
	due time.Time
}

func newReloader(s *Server) *reloader {
	return &reloader{s: s, wake: make(chan struct{}, 1), hashes: make(map[string]uint64),
		truncated: make(map[string]truncation), seed: maphash.MakeSeed()}
}

// maxPrimed bounds how many files prime hashes.
const maxPrimed = 20000

// prime records the checksums of the project's source and configuration
// files, so that even the first save of an unchanged file is recognized.
// It runs before the watcher starts: a change made after the scan always
// arrives as an event.
func (r *reloader) prime(root string) {
	n := 0
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel := filepath.ToSlash(p[len(root)+1:])
		if ignoreWatch(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !primed(rel) {
			return nil
		}
		if n++; n > maxPrimed {
			return filepath.SkipAll
		}
		if h, _, ok := r.hash(p); ok {
			r.hashes[p] = h
		}
		return nil
	})
}

// primed reports the files prime records: sources, manifests and
// configuration.
func primed(rel string) bool {
	switch path.Ext(rel) {
	case ".go", ".py":
		return true
	}
	base := path.Base(rel)
	if reloadFiles[base] {
		return true
	}
	for _, names := range languageManifests {
		if slices.Contains(names, base) {
			return true
		}
	}
	return false
}

// enqueue is the watcher's callback. It never blocks on the processing.
func (r *reloader) enqueue(batch []watch.Event) {
	r.mu.Lock()
	r.queue = append(r.queue, batch...)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// run processes queued events until the server closes.
func (r *reloader) run() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		if due, ok := r.nextDue(); ok {
			timer.Reset(time.Until(due))
		}
		select {
		case <-r.s.ctx.Done():
			return
		case <-r.wake:
		case <-timer.C:
		}
		timer.Stop()
		r.mu.Lock()
		events := r.queue
		r.queue = nil
		r.mu.Unlock()
		r.process(append(events, r.takeDue(time.Now())...))
		r.processed.Add(1)
	}
}

// nextDue is the earliest recheck time of a held-back write.
func (r *reloader) nextDue() (time.Time, bool) {
	var next time.Time
	for _, t := range r.truncated {
		if next.IsZero() || t.due.Before(next) {
			next = t.due
		}
	}
	return next, !next.IsZero()
}

// takeDue returns the held-back writes whose time has come. They stay in
// truncated until dropUnchanged sees them past their due time.
func (r *reloader) takeDue(now time.Time) []watch.Event {
	var out []watch.Event
	for _, t := range r.truncated {
		if !t.due.After(now) {
			out = append(out, t.ev)
		}
	}
	return out
}

func (r *reloader) process(events []watch.Event) {
	s := r.s
	events = r.dropUnchanged(events)
	if len(events) == 0 {
		return
	}
	snap := s.state.Load()
	reload, static, overflow := false, false, false
	for _, ev := range events {
		if ev.Op.Has(watch.Overflow) {
			overflow, reload = true, true
			continue
		}
		if outsideRoot(ev.Rel) {
			// A folder outside the root that inputs name: the project
			// model is the root's; the functions are matched below.
			continue
		}
		// Without a static folder, a file appearing outside api/ may make
		// the project root one (project.Project.PublicDir), if the project
		// is of the kind whose root can be.
		if triggersReload(ev) || snap.staticRoot == "" && !ev.IsDir && ev.Op.Has(watch.Create) &&
			!strings.HasPrefix(ev.Rel, "api/") && snap.proj.RootCanBeStatic() {
			reload = true
		}
		// The set of static files changes only when files appear or go
		// away (a write is served fresh from the disk).
		if snap.staticRoot != "" && inDir(ev.Path, snap.staticRoot) && (ev.IsDir || ev.Op != watch.Write) {
			static = true
		}
	}
	rebuild := map[*function]rebuildCause{}
	if reload {
		next, err := s.load(s.ctx, snap)
		var lost []string
		if err == nil {
			lost = vanished(snap, next, events)
		}
		switch {
		case err != nil:
			if !s.closing() {
				s.warn("reloading the project failed; keeping the previous routes and functions: " + err.Error())
			}
		case len(lost) > 0:
			// An in-place save truncates the file before writing it: the
			// loader saw an empty entrypoint. The write that completes the
			// save is another event and reloads again; until then the
			// function keeps serving instead of answering 404.
			s.log.Debug("ignoring a reload that lost functions whose entrypoints were only written", "files", lost)
		default:
			r.publish(snap, next, rebuild)
			snap = next
		}
	} else if static {
		snap = s.withStatic(snap)
		s.state.Store(snap)
	}
	structural := make([]bool, len(events))
	for i, ev := range events {
		structural[i] = s.structural(ev)
	}
	var questions []loadQuestion
	for _, f := range snap.funcs {
		cause, ok := rebuild[f]
		if overflow {
			cause = rebuildCause{reason: "file events were lost", structural: true}
			ok = true
		}
		var hits []watch.Event
		for i, ev := range events {
			if f.affectedBy(ev) {
				hits = append(hits, ev)
				cause.structural = cause.structural || structural[i]
			}
		}
		if !ok && len(hits) > 0 {
			if lt := f.askable(hits); lt != nil {
				questions = append(questions, loadQuestion{f: f, lt: lt, hits: hits, cause: cause})
				continue
			}
			cause.reason, ok = "changed "+hits[0].Rel, true
		}
		if ok {
			rebuild[f] = cause
		}
	}
	s.askLoaded(questions, rebuild)
	// One call per function: a second one would queue a follow-up build.
	for f, cause := range rebuild {
		f.changed(cause.reason, cause.structural)
	}
}

// rebuildCause says why a function is rebuilt and whether its inputs may
// have changed.
type rebuildCause struct {
	reason     string
	structural bool
}

// publish makes next the current snapshot: functions gone from the project
// are retired, kept ones get their new definition and are added to rebuild
// when their entrypoint or the environment changed.
func (r *reloader) publish(prev, next *snapshot, rebuild map[*function]rebuildCause) {
	s := r.s
	s.state.Store(next)
	s.reportLoad(next, prev)
	for id, f := range prev.funcs {
		if next.funcs[id] != f {
			f.remove()
		}
	}
	envChanged := !slices.Equal(prev.env, next.env)
	for id, f := range next.funcs {
		if prev.funcs[id] != f {
			if s.cfg.Prewarm {
				f.prewarm()
			}
			continue
		}
		def := next.proj.Function(id)
		old := f.def.Swap(def)
		switch {
		case envChanged:
			rebuild[f] = rebuildCause{reason: "environment changed"}
		case old.Entrypoint != def.Entrypoint:
			rebuild[f] = rebuildCause{reason: "entrypoint changed"}
		}
	}
}

// vanished lists the entrypoints of functions missing from next although
// the batch only wrote to them (no removal or rename).
func vanished(prev, next *snapshot, events []watch.Event) []string {
	var out []string
	for id, f := range prev.funcs {
		if next.funcs[id] != nil {
			continue
		}
		file := f.def.Load().File
		written, removed := false, false
		for _, ev := range events {
			if ev.Rel != file {
				continue
			}
			written = written || ev.Op.Has(watch.Write)
			removed = removed || ev.Op.Has(watch.Remove) || ev.Op.Has(watch.Rename)
		}
		if written && !removed {
			out = append(out, file)
		}
	}
	return out
}

// triggersReload reports whether ev may change the project model: its
// configuration or environment files, any Go or Python file (an entrypoint
// may appear, go away or change its handler; legacy "builds" globs can
// point anywhere) and directories appearing or going away (api/ folders,
// the public directory). With the loader's cache a reload costs a few
// milliseconds even for hundreds of functions.
func triggersReload(ev watch.Event) bool {
	if !strings.Contains(ev.Rel, "/") && reloadFiles[ev.Rel] {
		return true
	}
	if ev.IsDir {
		return !ev.Op.Has(watch.Write)
	}
	switch path.Ext(ev.Rel) {
	case ".go", ".py":
		return true
	}
	return false
}

// dropUnchanged removes write and create events of files whose content is
// what it was at the previous event for the same file, holds back write
// events that find their file freshly emptied (see emptyGrace), and turns
// the creation of a file already seen into a write.
func (r *reloader) dropUnchanged(events []watch.Event) []watch.Event {
	now := time.Now()
	kept := events[:0]
	for _, ev := range events {
		switch {
		case ev.Op.Has(watch.Overflow):
			// Events were lost: the checksums no longer say what the
			// processes were built from (a lost save, then a save that
			// restores the checksummed content, would look unchanged).
			clear(r.hashes)
		case ev.IsDir:
		case ev.Op.Has(watch.Remove) || ev.Op.Has(watch.Rename):
			delete(r.hashes, ev.Path)
			delete(r.truncated, ev.Path)
		default:
			h, size, ok := r.hash(ev.Path)
			if !ok {
				delete(r.hashes, ev.Path)
				delete(r.truncated, ev.Path)
				break
			}
			old, seen := r.hashes[ev.Path]
			if size == 0 && ev.Op == watch.Write && (!seen || old != h) {
				t, held := r.truncated[ev.Path]
				if !held {
					r.truncated[ev.Path] = truncation{ev: ev, due: now.Add(emptyGrace)}
					continue
				}
				if t.due.After(now) {
					continue // more writes of the emptied file, within the grace
				}
				// Still empty after emptyGrace: a real change.
			}
			delete(r.truncated, ev.Path)
			if seen && old == h {
				r.dropped.Add(1)
				continue
			}
			r.hashes[ev.Path] = h
			if seen && ev.Op.Has(watch.Create) {
				// A file replaced by another (an editor's safe save
				// renames a new file over it) is a write of new content.
				ev.Op = ev.Op&^watch.Create | watch.Write
			}
		}
		kept = append(kept, ev)
	}
	return kept
}

// maxHashed bounds the size of files whose content is compared; bigger
// files always count as changed.
const maxHashed = 8 << 20

// hash returns the checksum and size of a regular file's content.
func (r *reloader) hash(p string) (sum uint64, size int64, ok bool) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxHashed {
		return 0, 0, false
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	n, err := io.Copy(&h, f)
	if err != nil {
		return 0, 0, false
	}
	return h.Sum64(), n, true
}

func inDir(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}
