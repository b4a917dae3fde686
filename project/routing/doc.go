// Package routing turns a project's functions and vercel.json into one
// Build Output API v3 route table, and evaluates that table for requests.
//
// The build writes the table produced by Table into
// .vercel/output/config.json, and the dev server routes every request with
// a Router built from the very same table, so that dev and production agree.
//
// # Function routes
//
// ForFile gives the route of a function file the way Vercel's zero-config
// detection does (reference §2.2): api/users/[id].go serves
// /api/users/<id> with the value passed as the query parameter id, index
// files serve their directory, and a static file also answers to its name
// with the extension (api/hello.go) unless cleanUrls is on.
//
// Deliberate extension: Vercel treats [...slug] as a single segment whose
// query key is literally "...slug". Here [...slug] is a real catch-all
// (one or more segments, passed as slug=a/b/c) and [[...slug]] an optional
// catch-all (zero or more segments; /api/docs matches with no slug
// parameter at all). Both must be the last segment. Sort orders routes so
// that the more specific one wins: segment by segment static before
// [param] before catch-all, deeper paths first when one is a prefix of the
// other.
//
// # Sources and destinations
//
// CompileSource compiles a vercel.json "source" pattern exactly as
// @vercel/routing-utils does (path-to-regexp 6.1 with strict, sensitive
// and "/" as delimiter), and Destination rewrites ":name" references in a
// destination into "$1"/"$name" references, adding the parameters to the
// query of rewrites that do not use them, as Vercel does. The regular
// expressions must also compile with Go's RE2 engine: lookaround
// assertions and backreferences are reported as invalid sources.
//
// # The router
//
// Router follows the phases of Vercel's proxy (as implemented by
// vercel dev): the routes before {"handle":"filesystem"} run first
// (redirects and status routes stop, headers and other "continue" routes
// accumulate); then the filesystem is checked; on a miss the "miss" phase
// runs, then the routes after {"handle":"filesystem"} (a check:true
// rewrite whose destination does not exist enters the miss phase), then
// the filesystem again and finally the "error" phase. Routes of the
// "rewrite" and "resource" phases are evaluated as a continuation of the
// filesystem phase. "hit" routes add headers to found outputs.
//
// Deliberate choices, where Vercel's dev server and production may differ:
//   - query parameters produced by a route override those of the request
//     with the same name (vercel dev keeps the request's value);
//   - redirects keep the request's query parameters that the Location does
//     not set;
//   - a "$name" reference that names neither a capture group nor a has
//     capture expands to the empty string, as in vercel dev; the longest
//     known name wins, so "$x-token" works for a has key "x-token";
//   - has/missing values are anchored regular expressions.
package routing
