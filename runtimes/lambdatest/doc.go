// Package lambdatest runs built Lambda artifacts under the real AWS Lambda
// Runtime Interface Emulator (RIE) from Go tests.
//
// RIE builds RIE once per machine from the Go module proxy and caches it in
// the user cache directory. Start launches RIE on free 127.0.0.1 ports with a
// clean, Lambda-like environment around a function directory, and
// Emulator.Invoke sends one event at a time (RIE crashes on overlapping
// invokes). The event builders make the three payloads an HTTP function
// receives (Vercel invocation, API Gateway payload 2.0 / Function URL, API
// Gateway REST payload 1.0), and DecodeResponse reads the answer back,
// telling a function error apart from an HTTP response.
//
// For Python artifacts, StartPython runs awslambdaric (from a venv made
// once per machine, RICPython) as the managed runtime's bootstrap. The
// Python helpers the runtime's and the CLI's tests share live here too:
// HostPython, RequirePyPI (both skip loudly), CacheDir and Venv, which
// makes a pinned venv under the user cache directory and moves it into
// place only once complete.
//
// Where RIE differs from Lambda (see the lambda-runtime reference): a
// function error comes back as HTTP 200 with the error document as the body,
// so it is recognised by its shape; the function runs in place, as the
// caller's user, on the host's kernel; arm64 artifacts are skipped on an
// amd64 host.
//
// Only Linux can run RIE; elsewhere the helpers skip the test.
package lambdatest
