package golang

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/lambdalens/lambdalens/runtimes"
)

// In workspace mode the go command writes missing checksums into
// go.work.sum beside go.work, -mod=readonly or not: dev builds, Inputs
// and CacheKey must leave it in the cache, and still follow the user's
// go.work.
func TestGoWorkSumStaysInTheCache(t *testing.T) {
	requireGo(t)
	t.Parallel()
	p := loadProject(t, "goworksum")
	before := snapshot(t, p.dir)
	r := testRuntime()
	cache := filepath.Join(p.root, ".vercel", "cache")
	proc, err := startDev(t, r, p, cache, "api/api/hello.go", function("Handler"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := get(t, proc.Addr(), "/"), "shared true"; got != want {
		t.Errorf("GET / = %q, want %q", got, want)
	}
	in, err := r.Inputs(t.Context(), runtimes.InputsRequest{Root: p.root, File: "api/api/hello.go"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"go.work", "go.work.sum"} {
		if !slices.Contains(in.Files, filepath.Join(p.root, f)) {
			t.Errorf("Inputs.Files lack the user's %s: %v", f, in.Files)
		}
	}
	req := buildRequest(p, "api/api/hello.go", function("Handler"), t.TempDir(), cache)
	k1, err := r.CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, before, snapshot(t, p.dir))

	// The key follows the user's go.work, not the copy.
	p.write(t, "go.work", "go 1.22\n\nuse ./api\n")
	k2, err := r.CacheKey(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if k1 == k2 {
		t.Error("the cache key did not change with go.work")
	}
}
