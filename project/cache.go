package project

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/lambdalens/lambdalens/project/config"
	"github.com/lambdalens/lambdalens/project/routing"
	"github.com/lambdalens/lambdalens/runtimes"
	"github.com/lambdalens/lambdalens/runtimes/golang"
	"github.com/lambdalens/lambdalens/runtimes/python"
)

// Cache memoizes work across loads so that reloading after a one-file
// change re-analyzes only that file: per-file analysis (keyed by file and
// kind, validated by size and modification time for files on disk and by a
// content hash for unsaved buffers) and the route table (keyed by a hash of
// vercel.json and the function list). It is safe for concurrent use. The
// zero value is not usable: call NewCache. A nil *Cache disables caching.
type Cache struct {
	mu      sync.Mutex
	seed    maphash.Seed
	entries map[cacheKey]cacheEntry
	routes  routesEntry
	// conflicts memoizes routing.Conflicts by a hash of the route IDs.
	conflicts struct {
		sum   uint64
		valid bool
		res   []routing.Conflict
	}
	// matches memoizes vercel.json "functions" matching per file, for one
	// version of vercel.json (matchSum).
	matchSum uint64
	matches  map[string]int
	// analyzed counts analyses actually run (for tests and benchmarks).
	analyzed int
}

type cacheKey struct {
	file string
	kind runtimes.Kind
}

// fileSig identifies one version of a file: its size and modification time
// on disk, or the hash of an overlay's contents (overlay true).
type fileSig struct {
	size    int64
	mtime   time.Time
	sum     uint64
	overlay bool
}

type cacheEntry struct {
	sig fileSig
	res analysis
}

type routesEntry struct {
	sum    uint64
	valid  bool
	routes []routing.Route
	diags  []runtimes.Diagnostic
}

// analysis is the outcome of analyzing one candidate file.
type analysis struct {
	ep    *runtimes.Entrypoint
	diags []runtimes.Diagnostic
}

// NewCache returns an empty Cache.
func NewCache() *Cache {
	return &Cache{seed: maphash.MakeSeed(), entries: map[cacheKey]cacheEntry{}}
}

// Analyzed reports how many files were analyzed (cache misses) so far.
func (c *Cache) Analyzed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.analyzed
}

// lookup returns the memoized analysis of cand when sig still matches.
func (c *Cache) lookup(cand candidate, sig fileSig) (analysis, bool) {
	if c == nil {
		return analysis{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[cacheKey{cand.file, cand.kind}]
	return e.res, ok && e.sig == sig
}

// store memoizes an analysis.
func (c *Cache) store(cand candidate, sig fileSig, res analysis) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.entries[cacheKey{cand.file, cand.kind}] = cacheEntry{sig: sig, res: res}
	c.analyzed++
	c.mu.Unlock()
}

// table returns the route table for in, memoized by a hash of the
// vercel.json bytes and the function list.
func (c *Cache) table(configSrc []byte, in routing.Input) ([]routing.Route, []runtimes.Diagnostic) {
	if c == nil {
		return routing.Table(in)
	}
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.Write(configSrc)
	h.WriteString("\x00" + in.NotFoundPage)
	for _, f := range in.Functions {
		h.WriteString("\x00" + f.ID + "\x00" + f.Route.Src)
		if f.CatchAll {
			h.WriteByte(1)
		}
		if f.KeepPath {
			h.WriteByte(2)
		}
	}
	sum := h.Sum64()
	c.mu.Lock()
	e := c.routes
	c.mu.Unlock()
	if e.valid && e.sum == sum {
		return e.routes, e.diags
	}
	routes, diags := routing.Table(in)
	c.mu.Lock()
	c.routes = routesEntry{sum: sum, valid: true, routes: routes, diags: diags}
	c.mu.Unlock()
	return routes, diags
}

// conflictsOf returns routing.Conflicts(routes), memoized by the IDs.
func (c *Cache) conflictsOf(routes []routing.FileRoute) []routing.Conflict {
	if c == nil {
		return routing.Conflicts(routes)
	}
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, r := range routes {
		h.WriteString(r.ID + "\x00")
	}
	sum := h.Sum64()
	c.mu.Lock()
	e := c.conflicts
	c.mu.Unlock()
	if e.valid && e.sum == sum {
		return e.res
	}
	res := routing.Conflicts(routes)
	c.mu.Lock()
	c.conflicts.sum, c.conflicts.valid, c.conflicts.res = sum, true, res
	c.mu.Unlock()
	return res
}

// matchFunction returns cfg.MatchFunction(file), memoized per version of
// vercel.json (configSrc).
func (c *Cache) matchFunction(configSrc []byte, cfg *config.Config, file string) int {
	if c == nil {
		i, _ := cfg.MatchFunction(file)
		return i
	}
	sum := maphash.Bytes(c.seed, configSrc)
	c.mu.Lock()
	if c.matches == nil || c.matchSum != sum {
		c.matches, c.matchSum = map[string]int{}, sum
	}
	i, ok := c.matches[file]
	c.mu.Unlock()
	if ok {
		return i
	}
	i, _ = cfg.MatchFunction(file)
	c.mu.Lock()
	if c.matchSum == sum {
		c.matches[file] = i
	}
	c.mu.Unlock()
	return i
}

func runAnalysis(c candidate, src []byte) analysis {
	switch {
	case c.lang == runtimes.Go && c.kind == runtimes.KindServer:
		a := golang.AnalyzeServer(c.file, src)
		return analysis{a.Entrypoint, a.Diagnostics}
	case c.lang == runtimes.Go:
		a := golang.AnalyzeFunction(c.file, src)
		return analysis{a.Entrypoint, a.Diagnostics}
	case c.kind == runtimes.KindApp:
		a := python.AnalyzeApp(c.file, src)
		return analysis{a.Entrypoint, a.Diagnostics}
	default:
		a := python.AnalyzeFunction(c.file, src)
		return analysis{a.Entrypoint, a.Diagnostics}
	}
}
