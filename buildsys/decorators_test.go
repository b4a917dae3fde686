package buildsys

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/project"
	"github.com/lambdalens/lambdalens/runtimes"
)

// countingBuilder writes one file and counts its builds; its key is fixed.
type countingBuilder struct {
	key    string
	builds atomic.Int64
	err    error
}

func (c *countingBuilder) Build(ctx context.Context, req Request) (*Result, error) {
	c.builds.Add(1)
	if c.err != nil {
		return nil, c.err
	}
	if err := os.WriteFile(filepath.Join(req.OutDir, "bootstrap"), []byte("bin"), 0o755); err != nil {
		return nil, err
	}
	return &Result{Artifact: &runtimes.Artifact{Handler: "bootstrap", Runtime: "provided.al2023"}}, nil
}

func (c *countingBuilder) CacheKey(context.Context, Request) (string, error) { return c.key, nil }

func request(t *testing.T) Request {
	return Request{Function: &project.Function{ID: "api/x", File: "api/x.go"}, Arch: "x86_64", OutDir: t.TempDir()}
}

func TestWithCache(t *testing.T) {
	dir := t.TempDir()
	inner := &countingBuilder{key: "k1"}
	b := WithCache(inner, dir, slog.New(slog.DiscardHandler))

	first := request(t)
	res, err := b.Build(context.Background(), first)
	if err != nil || res.Cached || res.Key != "k1" {
		t.Fatalf("first Build = %+v, %v; want a fresh build", res, err)
	}
	req := request(t)
	res, err = b.Build(context.Background(), req)
	if err != nil || !res.Cached || res.Artifact.Handler != "bootstrap" {
		t.Fatalf("second Build = %+v, %v; want a cache hit", res, err)
	}
	if n := inner.builds.Load(); n != 1 {
		t.Errorf("inner builds = %d, want 1", n)
	}
	// Built and restored files alike are read-only links to the entry's,
	// so that a write to one fails rather than changing the entry.
	cached, err := os.Stat(filepath.Join(dir, "k1", cacheFilesDir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]string{"built": first.OutDir, "restored": req.OutDir} {
		st, err := os.Stat(filepath.Join(out, "bootstrap"))
		if err != nil || st.Mode().Perm() != cachedPerm(0o755) || !os.SameFile(st, cached) {
			t.Errorf("%s bootstrap: %v, %v; want mode %v, the entry's file", what, st, err, cachedPerm(0o755))
		}
	}

	// A corrupt entry is rebuilt and replaced.
	if err := os.WriteFile(filepath.Join(dir, "k1", cacheArtifactFile), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = b.Build(context.Background(), request(t))
	if err != nil || res.Cached {
		t.Fatalf("Build over a corrupt entry = %+v, %v; want a rebuild", res, err)
	}
	if res, err = b.Build(context.Background(), request(t)); err != nil || !res.Cached {
		t.Fatalf("Build after repair = %+v, %v; want a cache hit", res, err)
	}
	if n := inner.builds.Load(); n != 2 {
		t.Errorf("inner builds = %d, want 2", n)
	}

	// An entry whose files are gone is broken, not missing: the output
	// folder it was partly restored into is emptied before the rebuild.
	if err := os.RemoveAll(filepath.Join(dir, "k1", cacheFilesDir)); err != nil {
		t.Fatal(err)
	}
	req = request(t)
	if err := os.WriteFile(filepath.Join(req.OutDir, "stale.txt"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = b.Build(context.Background(), req); err != nil || res.Cached {
		t.Fatalf("Build over an entry without files = %+v, %v; want a rebuild", res, err)
	}
	if _, err := os.Stat(filepath.Join(req.OutDir, "stale.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file from before the rebuild is left in the output: %v", err)
	}
	if n := inner.builds.Load(); n != 3 {
		t.Errorf("inner builds = %d, want 3", n)
	}
	// Entries are removed by moving them out of the way first, so that a
	// removal cut short cannot leave a complete-looking entry.
	if err := removeEntry(filepath.Join(dir, "k1")); err != nil {
		t.Fatal(err)
	}
	if err := removeEntry(filepath.Join(dir, "k1")); err != nil {
		t.Errorf("removing a missing entry: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "k1*")); len(left) > 0 {
		t.Errorf("left after removeEntry: %v", left)
	}

	// Keys that are not one path element are refused.
	for _, key := range []string{"", "..", "../../etc", "a/b"} {
		bad := &countingBuilder{key: key}
		if _, err := WithCache(bad, dir, nil).Build(context.Background(), request(t)); err == nil || bad.builds.Load() != 0 {
			t.Errorf("key %q: err = %v, builds = %d; want a refusal", key, err, bad.builds.Load())
		}
	}

	// Failures are not cached.
	failing := &countingBuilder{key: "k2", err: errors.New("boom")}
	fb := WithCache(failing, dir, nil)
	for range 2 {
		if _, err := fb.Build(context.Background(), request(t)); err == nil {
			t.Fatal("failing build succeeded")
		}
	}
	if n := failing.builds.Load(); n != 2 {
		t.Errorf("failing builds = %d, want 2 (failures must not be cached)", n)
	}
}

func TestWithLimit(t *testing.T) {
	var in, max atomic.Int64
	release := make(chan struct{})
	inner := builderFunc(func(ctx context.Context, req Request) (*Result, error) {
		n := in.Add(1)
		defer in.Add(-1)
		for m := max.Load(); n > m && !max.CompareAndSwap(m, n); m = max.Load() {
		}
		<-release
		return &Result{}, nil
	})
	b := WithLimit(inner, 3)
	errs := make(chan error, 7)
	for range 7 {
		go func() {
			_, err := b.Build(context.Background(), request(t))
			errs <- err
		}()
	}
	waitFor(t, "three builds", func() bool { return in.Load() == 3 })
	close(release)
	for range 7 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if max.Load() != 3 {
		t.Errorf("max in flight = %d, want 3", max.Load())
	}

	// A cancelled wait for a slot is an error that names the function.
	started, block, holderDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	one := WithLimit(builderFunc(func(ctx context.Context, req Request) (*Result, error) {
		close(started)
		<-block
		return &Result{}, nil
	}), 1)
	go func() {
		defer close(holderDone)
		one.Build(context.Background(), request(t))
	}()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	waiterErr := make(chan error, 1)
	go func() {
		_, err := one.Build(ctx, request(t))
		waiterErr <- err
	}()
	cancel()
	if err := <-waiterErr; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "api/x.go") {
		t.Errorf("waiting for a slot with a cancelled context: %v", err)
	}
	close(block)
	<-holderDone

	if l := WithLimit(inner, 0).(*limitBuilder); l.sem.TryAcquire(int64(runtime.NumCPU())) == false {
		t.Error("WithLimit(0) does not default to the number of CPUs")
	}
}

func TestRunPrunesTheCache(t *testing.T) {
	p := threeFunctions(t)
	build := filepath.Join(p.Root, ".vercel", "cache", "build")
	old := time.Now().Add(-30 * 24 * time.Hour)
	for _, name := range []string{"stale-entry", "stale.tmp-123", "recent-entry"} {
		writeFile(t, filepath.Join(build, name, cacheArtifactFile), "{}")
		if name != "recent-entry" {
			if err := os.Chtimes(filepath.Join(build, name), old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := &fakeRuntime{lang: runtimes.Go}
	if _, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f), CacheTTL: -1}); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(build); len(ents) != 6 {
		t.Errorf("a negative CacheTTL pruned: %d entries, want 6", len(ents))
	}
	// Age this run's entries, then use them: a cache hit makes them recent.
	ents, _ := os.ReadDir(build)
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "stale") && e.Name() != "recent-entry" {
			os.Chtimes(filepath.Join(build, e.Name()), old, old)
		}
	}
	sum, err := Run(context.Background(), Options{Project: p, Runtimes: goRuntimes(f)})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	ents, _ = os.ReadDir(build)
	for _, e := range ents {
		got = append(got, e.Name())
	}
	want := []string{"recent-entry", sum.Functions[0].Key, sum.Functions[1].Key, sum.Functions[2].Key}
	slices.Sort(want)
	if !slices.Equal(got, want) || !sum.Functions[0].Cached {
		t.Errorf("cache after pruning = %q, want %q", got, want)
	}
}
