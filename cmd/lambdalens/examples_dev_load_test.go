package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/devserver"
)

// The reload-under-load test of the dev examples: clients keep sending
// while the handler is saved, and not one request may fail.

// loadStats collects what the clients of testDevReloadUnderLoad saw.
type loadStats struct {
	mu       sync.Mutex
	total    int
	seen     map[string]int // body → count
	failures []string       // the first ones
	nFailed  int
	regress  []string // a client got an older version after a newer one
	changed  chan struct{}
}

const maxKeptFailures = 10

func (s *loadStats) record(client int, prev *int, version int, what string, failed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total++
	if failed {
		s.nFailed++
		if len(s.failures) < maxKeptFailures {
			s.failures = append(s.failures, fmt.Sprintf("client %d: %s", client, what))
		}
	} else {
		s.seen[what]++
		if version < *prev && len(s.regress) < maxKeptFailures {
			s.regress = append(s.regress, fmt.Sprintf("client %d got version %d after version %d", client, version, *prev))
		}
		*prev = max(*prev, version)
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

// testDevReloadUnderLoad: 8 clients request / of examples/python-fastapi
// for about 6 s while greetings.py is edited 3 times (in place, by rename,
// in place): no request fails, every version is served, and no client
// sees an older version after a newer one.
func testDevReloadUnderLoad(t *testing.T, bin string) {
	const (
		clients      = 8
		minDuration  = 6 * time.Second
		maxPerClient = 20000
		edits        = 3
	)
	venv := devFrameworkVenv(t)
	root := copyExample(t, "python-fastapi", "python-fastapi", "")
	d := startDev(t, bin, root, venv)
	versionBody := func(v int) string {
		if v == 0 {
			return `{"message":"Hello from FastAPI!"}`
		}
		return fmt.Sprintf(`{"message":"Hello v%d from FastAPI!"}`, v)
	}
	bodies := map[string]int{}
	for v := range edits + 1 {
		bodies[versionBody(v)] = v
	}
	d.poll("/", "the first version", func(r reply) bool { return r.status == 200 && r.body == versionBody(0) })

	stats := &loadStats{seen: map[string]int{}, changed: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), devTimeout)
	defer cancel()
	until := time.Now().Add(minDuration)
	allSeen := make(chan struct{}) // closed once the edits are over
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			prev := 0
			for range maxPerClient {
				select {
				case <-allSeen:
					if time.Now().After(until) {
						return
					}
				case <-ctx.Done():
					return
				default:
				}
				rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
				r, err := d.send(rctx, http.MethodGet, "/", nil, nil)
				rcancel()
				switch v, known := bodies[r.body]; {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					stats.record(c, &prev, 0, err.Error(), true)
				case r.status != 200 || !known:
					stats.record(c, &prev, 0, r.String(), true)
				default:
					stats.record(c, &prev, v, r.body, false)
				}
			}
		})
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	// waitServed waits until version v was served n times.
	waitServed := func(v, n int) bool {
		for {
			stats.mu.Lock()
			got, changed := stats.seen[versionBody(v)], stats.changed
			stats.mu.Unlock()
			if got >= n {
				return true
			}
			select {
			case <-changed:
			case <-finished:
				return false
			case <-ctx.Done():
				return false
			}
		}
	}

	mark := d.mark()
	greetings := filepath.Join(root, "greetings.py")
	orig := string(mustRead(t, greetings))
	ok := waitServed(0, 1)
	for v := 1; ok && v <= edits; v++ {
		src := strings.Replace(orig, `f"Hello from {name}!"`, fmt.Sprintf(`f"Hello v%d from {name}!"`, v), 1)
		if v == 2 {
			writeByRename(t, greetings, src)
		} else {
			writeInPlace(t, greetings, src)
		}
		// The last version keeps the load on for a while, through the
		// stop of the process it replaced.
		n := 1
		if v == edits {
			n = 20 * clients
		}
		ok = waitServed(v, n)
	}
	close(allSeen)
	<-finished
	cancel()
	elapsed := time.Since(start)

	stats.mu.Lock()
	defer stats.mu.Unlock()
	t.Logf("%d requests from %d clients in %s (%.0f/s), %d failed; bodies: %v",
		stats.total, clients, elapsed.Round(time.Millisecond), float64(stats.total)/elapsed.Seconds(), stats.nFailed, stats.seen)
	if !ok {
		t.Errorf("not every version was served within %s", devTimeout)
	}
	if stats.nFailed > 0 {
		t.Errorf("%d of %d requests failed during the reloads; the first ones:\n%s", stats.nFailed, stats.total, strings.Join(stats.failures, "\n"))
	}
	if len(stats.regress) > 0 {
		t.Errorf("a client got an older version after a newer one:\n%s", strings.Join(stats.regress, "\n"))
	}
	for v := range edits + 1 {
		if stats.seen[versionBody(v)] == 0 {
			t.Errorf("version %d (%s) was never served", v, versionBody(v))
		}
	}
	var builds, failedBuilds []string
	for _, ev := range d.eventsFrom(mark) {
		switch ev.Type {
		case devserver.EventBuildStarted:
			builds = append(builds, ev.Reason)
		case devserver.EventBuildFailed:
			failedBuilds = append(failedBuilds, ev.Message)
		}
	}
	t.Logf("builds during the load: %q", builds)
	if len(failedBuilds) > 0 {
		t.Errorf("builds failed during the edits (a half-written file was built?): %q", failedBuilds)
	}
	if _, err := os.Stat(filepath.Join(root, ".greetings.py.swp")); err == nil {
		t.Errorf("the rename left its temporary file")
	}
}
