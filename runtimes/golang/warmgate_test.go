package golang

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gateRun starts n followers through the gate once the leader's build has
// begun, and returns a channel of their results.
func gateRun(t *testing.T, r *Runtime, s buildSettings, cached func(context.Context) bool, leaderBuild func() error, n int, follower func() error) (leaderErr chan error, followers chan error) {
	t.Helper()
	leaderErr = make(chan error, 1)
	followers = make(chan error, n)
	started := make(chan struct{})
	go func() {
		leaderErr <- r.throughGate(t.Context(), s, cached, func() error {
			close(started)
			return leaderBuild()
		})
	}()
	<-started
	for range n {
		go func() { followers <- r.throughGate(t.Context(), s, cached, follower) }()
	}
	return leaderErr, followers
}

func TestWarmGateColdCacheWaitsForTheLeader(t *testing.T) {
	r := testRuntime()
	s := buildSettings{goos: "linux", arch: "arm64", flags: []string{"-trimpath"}}
	release := make(chan struct{})
	var leaderDone, early atomic.Bool
	leaderErr, followers := gateRun(t, r, s,
		func(context.Context) bool { return false },
		func() error { <-release; leaderDone.Store(true); return errors.New("compile error") },
		3,
		func() error {
			if !leaderDone.Load() {
				early.Store(true)
			}
			return nil
		})
	// A follower that slipped through would run now; give it the chance.
	select {
	case err := <-followers:
		t.Fatalf("a follower finished while the leader was still building (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-leaderErr; err == nil || err.Error() != "compile error" {
		t.Errorf("leader: %v, want its own build error", err)
	}
	for range 3 {
		if err := <-followers; err != nil {
			t.Errorf("follower: %v", err)
		}
	}
	if early.Load() {
		t.Error("a follower built before the leader was done")
	}
}

func TestWarmGateWarmCacheOpensAtOnce(t *testing.T) {
	r := testRuntime()
	s := buildSettings{goos: "linux", arch: "amd64"}
	release := make(chan struct{})
	leaderErr, followers := gateRun(t, r, s,
		func(context.Context) bool { return true },
		func() error { <-release; return nil },
		3,
		func() error { return nil })
	// Every follower finishes while the leader is still building.
	deadline := time.After(30 * time.Second)
	for range 3 {
		select {
		case err := <-followers:
			if err != nil {
				t.Errorf("follower: %v", err)
			}
		case <-deadline:
			t.Fatal("followers waited for the leader although the cache was warm")
		}
	}
	close(release)
	if err := <-leaderErr; err != nil {
		t.Errorf("leader: %v", err)
	}
	// Other targets have their own gate.
	if r.gate(s) == r.gate(buildSettings{goos: "linux", arch: "arm64"}) {
		t.Error("two targets share a gate")
	}
}

func TestWarmGateFollowerCancelled(t *testing.T) {
	r := testRuntime()
	s := buildSettings{goos: "linux", arch: "amd64", flags: []string{"-x"}}
	var wg sync.WaitGroup
	defer wg.Wait()
	release := make(chan struct{})
	defer close(release)
	started := make(chan struct{})
	wg.Go(func() {
		r.throughGate(t.Context(), s, func(context.Context) bool { return false }, func() error { close(started); <-release; return nil })
	})
	<-started
	cause := errors.New("build cancelled")
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(cause)
	if err := r.throughGate(ctx, s, func(context.Context) bool { return false }, func() error { return nil }); !errors.Is(err, cause) {
		t.Errorf("cancelled follower: %v, want %v", err, cause)
	}
}

// TestStdCached asks the real go command: an empty build cache lacks
// net/http, the default one has it once go build put it there.
func TestStdCached(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := &plan{t: &target{modDir: t.TempDir()}, env: mergeEnv(os.Environ(), []string{"GOCACHE=" + t.TempDir()})}
	if testRuntime().stdCached(t.Context(), p) {
		t.Error("stdCached with an empty GOCACHE = true")
	}
	p.env = os.Environ()
	if out, err := exec.CommandContext(t.Context(), "go", "build", "net/http").CombinedOutput(); err != nil {
		t.Fatalf("go build net/http: %v\n%s", err, out)
	}
	if !testRuntime().stdCached(t.Context(), p) {
		t.Error("stdCached after go build net/http = false")
	}
}
