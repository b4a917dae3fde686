// Package devserver is `lambdalens dev`: one local URL for a whole
// project, with Vercel's routing in front of a warm process per function.
//
// # Request path
//
// Connections are served by the front (front.go): one goroutine per
// connection parses each plain HTTP/1.1 request and answers it through a
// ResponseWriter that frames responses exactly as net/http's server does
// (a differential test and a fuzz target hold it to that). The first
// request that is not plain — an upgrade, Expect: 100-continue, a chunked
// upload, HTTP/1.0, anything malformed — hands its connection, unread
// bytes included, to a net/http server for good.
//
// Every request goes through one adapter (Server.ServeHTTP) that assigns a
// Vercel-style request id, runs the handler (which returns an error rather
// than writing one), renders errors as JSON, HTML or text by the Accept
// header, and logs one line. The handler routes the request with the
// project's route table (the same table the build writes, compiled once by
// project/routing) against a Filesystem whose outputs are the function IDs
// and the files of the public directory, then:
//
//   - proxies function outputs with httputil.ReverseProxy (Rewrite, a
//     shared keep-alive Transport, immediate flushing for streams and
//     server-sent events, WebSocket upgrades passed through), sending the
//     original path with the route's query merged in;
//   - serves static outputs with http.ServeContent (content types, ETag and
//     If-None-Match, Range, HEAD);
//   - answers redirects, forced statuses and 404s, and proxies external
//     rewrites.
//
// Proxy failures map to Vercel's errors with errors.Is, never by error
// text: an unreachable process is 502 NO_RESPONSE_FROM_FUNCTION, a request
// the process dropped (a crash) or a Go handler's panic 500
// FUNCTION_INVOCATION_FAILED, a request
// past the function's maxDuration 504 FUNCTION_INVOCATION_TIMEOUT, a body
// over 4.5 MB 413 FUNCTION_PAYLOAD_TOO_LARGE.
//
// Nothing on the request path loads the project or takes a lock in the
// common case: the routes, functions, static files and child environment
// live in an immutable snapshot behind an atomic pointer, and a function's
// serving process behind another.
//
// # Processes
//
// Each function gets one process, started on its first request (or at
// startup with Config.Prewarm) through its language's runtimes.Runtime and
// kept warm. Concurrent first requests share one start. A process that
// crashes is reported with its exit status and restarted by the next
// request. Close stops every process (each runs in its own process group,
// see runtimes/proc) and joins every goroutine the server started.
//
// # Reloading
//
// A file watcher (package watch) reports changes in batches, delivered on
// the leading edge. The reload loop drops events whose file content did
// not change, reloads the project model when the configuration, the
// environment files or the set of entrypoints may have changed, and asks
// each function whether the change touches its inputs (as the runtime
// reported them after its last build). An affected function is rebuilt in
// the background while the old process keeps serving; the new process is
// swapped in atomically once it reported its port, and the old one is
// stopped after its in-flight requests finish. Changes that arrive during
// a build are coalesced into one follow-up build. A failed build replaces
// the function's responses with a page showing the compiler output until
// the next good build; while a later build runs, requests wait for it
// instead of getting that page (it is of older code than the build's).
//
// # Events
//
// Everything worth telling (ready, requests, builds, processes, output
// lines, warnings) is an Event: printed to Config.Out as text or JSON
// lines, and passed to Config.Events for in-process consumers such as the
// language server.
package devserver
