package devserver

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/devserver/watch"
	"github.com/lambdalens/lambdalens/runtimes"
)

// askLoadedTimeout bounds the questions of one batch to the processes; a
// process that does not answer in time is restarted.
const askLoadedTimeout = time.Second

// loadQuestion is a change whose restart depends on whether the function's
// process loaded one of the changed files (runtimes.LoadTracker).
type loadQuestion struct {
	f     *function
	lt    runtimes.LoadTracker
	hits  []watch.Event
	cause rebuildCause
}

// askable returns the serving process's LoadTracker when the answer can
// decide the restart: the process is running with no build under way or
// failed, and every change in hits is a write to a source file of the
// function's language other than its entrypoint (which is always loaded).
// A created, removed or renamed file, a manifest and any other input
// restart the process as before.
func (f *function) askable(hits []watch.Event) runtimes.LoadTracker {
	def := f.def.Load()
	ext := languageExts[def.Language()]
	for _, ev := range hits {
		if ev.Op != watch.Write || ev.Rel == def.File || !strings.HasSuffix(ev.Rel, ext) {
			return nil
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending != nil || f.failure != nil || f.startFailed || f.removed {
		return nil
	}
	inst := f.cur.Load()
	if inst == nil || inst.exited() {
		return nil
	}
	lt, _ := inst.proc.(runtimes.LoadTracker)
	return lt
}

// askLoaded asks the processes of qs, in parallel, whether they loaded
// the files that changed. A function whose process did, or could not
// tell, joins rebuild; the others keep their process, since the import
// that may come later reads the new file.
func (s *Server) askLoaded(qs []loadQuestion, rebuild map[*function]rebuildCause) {
	if len(qs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, askLoadedTimeout)
	defer cancel()
	answers := make([][]string, len(qs))
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		paths := make([]string, len(q.hits))
		for j, ev := range q.hits {
			paths[j] = ev.Path
		}
		wg.Go(func() { answers[i], errs[i] = q.lt.Loaded(ctx, paths) })
	}
	wg.Wait()
	for i, q := range qs {
		cause := q.cause
		switch {
		case errs[i] != nil:
			s.log.Debug("restarting: the process could not tell which files it loaded", "function", q.f.id, "err", errs[i])
			cause.reason = "changed " + q.hits[0].Rel
		case len(answers[i]) > 0:
			// The answer is among the paths asked: name it as its event does.
			cause.reason = "changed " + answers[i][0]
			for _, ev := range q.hits {
				if ev.Path == answers[i][0] {
					cause.reason = "changed " + ev.Rel
					break
				}
			}
		default:
			s.log.Debug("not restarting: the process has not loaded the changed files", "function", q.f.id, "files", len(q.hits))
			q.f.noteChange(cause.structural)
			continue
		}
		rebuild[q.f] = cause
	}
}

// noteChange records a change that needed no restart but may have changed
// the function's inputs.
func (f *function) noteChange(structural bool) {
	f.mu.Lock()
	f.inputsStale = f.inputsStale || structural
	f.mu.Unlock()
}
