// Package golang is the Go runtime: it finds the entrypoint of a Go file,
// runs it as a dev process, and builds it into an AWS Lambda. Its Runtime
// implements runtimes.Runtime; everything it hands to the layers above is a
// plain type of package runtimes.
//
// # Entrypoints
//
// Go code is served in two shapes (runtimes.Kind):
//
//   - A function (KindFunction) is one file under api/ (not a _test.go file,
//     not under a folder starting with "_" or "."), serving the route its
//     path gives. Its package may have any name but main, and it exports a
//     handler, func Handler(w http.ResponseWriter, r *http.Request); the
//     name is free, the signature is not. The other files of its package
//     are compiled with it.
//   - A standalone server (KindServer) is a package main (main.go,
//     cmd/api/main.go or cmd/server/main.go) whose func main listens on
//     $PORT and serves every path no function takes.
//
// # Analysis
//
// AnalyzeFunction and AnalyzeServer read one file and say what it is. They
// run on every keystroke in the language server, so they are syntactic
// only: one go/parser pass (SkipObjectResolution, AllErrors; tens of
// microseconds for a typical handler), no type checking, no go/packages,
// no file system. Types are matched by how they are written, against the
// file's own import of "net/http": an aliased import (nethttp "net/http")
// and a dot-import are followed, and a local type that merely happens to
// be called ResponseWriter is not mistaken for net/http's. This is the rule
// Vercel's analyzer applies to the parameter text, made exact.
//
// The parser recovers from syntax errors, so a handler whose declaration
// parsed is still found while the user is typing elsewhere in the file.
// The first syntax errors are reported (go-syntax), and conclusions that a
// broken file cannot support ("there is no handler") wait until it parses.
//
// Where Vercel fails the build, the analysis says why, in the editor:
// package main under api/ (go-package-main), several handlers in one file
// (go-multiple-handlers), a func meant as a handler but with the wrong
// signature (go-handler-signature), a server that is not package main or
// has no func main. It improves on Vercel in one place on purpose: an api/
// file without any handler is a helper of its package (go-helper-file, a
// hint), not a build error.
//
// Positions are byte based (1-based line and column, 0-based offset) and
// ignore //line directives: they point into the file as the editor shows
// it.
//
// # Dev processes
//
// StartDev compiles an entrypoint for the host with exactly one go build
// (CGO_ENABLED=0, -trimpath, -ldflags "-s -w") and starts the binary
// through package proc, in its own process group. A function is compiled
// into a generated main package that serves its handler on 127.0.0.1 and
// reports the port on fd 3; unlike Vercel's dev server, the whole package
// is compiled, not only the entry file, so helpers beside the handler work
// in dev as they do in production. A standalone server is built as it is
// (never with go run, which would orphan the server when the go command
// is killed) and started with PORT set. The user's tree is never written:
// generated files, and a go.mod when there is none, are laid over it with
// go build -overlay. Without a go.mod, imports of other modules resolve as
// on Vercel, through go mod tidy, run in a scratch module under the cache
// only when the package's set of such imports changes; its go.mod and
// go.sum are laid over with the rest. Inputs lists the directories and files a build
// depends on, so that the dev server rebuilds only when one of them
// changes.
//
// # Lambda builds
//
// Build writes a provided.al2023 Lambda whose executable is "bootstrap". A
// function's bootstrap is a generated main that runs the handler under
// package lambdaloop, a standard-library-only implementation of the Lambda
// Runtime API that accepts Vercel's invocation payload and the API Gateway
// and Function URL events. A standalone server becomes a bootstrap that
// starts the user's binary ("user-server") and forwards invocations to it.
// Binaries are cross-compiled from a fixed environment (GOOS=linux,
// GOARCH=amd64 or arm64 as the function's architecture says, CGO_ENABLED=0,
// -trimpath, no build id), so the artifact's architecture and its binary
// always agree and two checkouts give byte-identical files. CacheKey
// changes whenever Build's output would; compiler output travels in a
// *runtimes.BuildError with the diagnostics parsed out of it.
package golang
