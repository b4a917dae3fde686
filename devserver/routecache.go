package devserver

import (
	"slices"
	"sync"

	"github.com/lambdalens/lambdalens/project/routing"
)

// routeCacheMax bounds a routeCache: when it is full, it starts over.
// routeCacheMaxKey is the longest host, path and query (together) it
// keeps a result for.
const (
	routeCacheMax    = 4096
	routeCacheMaxKey = 2 << 10
)

// routeCache remembers the routing results of one snapshot, so that a
// path requested again is not routed again: routing is a tenth of the dev
// server's own work on a proxied request (bench/README.md). A snapshot's
// routes and outputs never change (a change makes a new snapshot, with a
// new cache), and when no route looks at headers or cookies
// (routing.Router.ReadsHeaders) a result depends only on the request's
// method, host, path and query, which make the key. A snapshot whose
// routes read headers has no cache.
//
// Results are shared by the requests that get them, read-only: the header
// and query values are clipped to their length, so that appending to one
// (http.Header.Add on a response header that took a route's value) copies
// it instead of writing into the cached array.
type routeCache struct {
	mu sync.RWMutex
	m  map[routeKey]*routing.Result
}

type routeKey struct{ method, host, path, query string }

// newRouteCache returns the cache for router, or nil when its results
// cannot be cached.
func newRouteCache(router *routing.Router) *routeCache {
	if router.ReadsHeaders() {
		return nil
	}
	return &routeCache{m: make(map[routeKey]*routing.Result)}
}

// route returns snap's routing of req, from the cache when it has it. A
// nil cache routes every request.
func (c *routeCache) route(snap *snapshot, req routing.Request) routing.Result {
	if c == nil || req.Host == "" || len(req.Host)+len(req.Path)+len(req.RawQuery) > routeCacheMaxKey {
		// Without Host, a host condition reads the Host header. Long
		// URLs are not kept: 4096 of them could take gigabytes.
		return snap.router.Route(req, snap)
	}
	k := routeKey{req.Method, req.Host, req.Path, req.RawQuery}
	c.mu.RLock()
	res, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return *res
	}
	r := snap.router.Route(req, snap)
	r.Headers, r.Query = clipValues(r.Headers), clipValues(r.Query)
	c.mu.Lock()
	if len(c.m) >= routeCacheMax {
		clear(c.m)
	}
	c.m[k] = &r
	c.mu.Unlock()
	return r
}

// clipValues clips every value slice of h to its length, in place.
func clipValues(h map[string][]string) map[string][]string {
	for k, v := range h {
		h[k] = slices.Clip(v)
	}
	return h
}
