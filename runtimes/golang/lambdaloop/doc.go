// Package lambdaloop is the Lambda runtime that lambdalens compiles into
// every Go function it builds (the "bootstrap" of a provided.al2023 Lambda).
//
// It speaks the Lambda Runtime API directly with the standard library only,
// so that a build needs nothing beyond the user's own cached modules. It turns
// each invocation event into an *http.Request, serves it with the user's
// http.Handler into an in-memory response, and answers in the shape of the
// event. Three event shapes are accepted:
//
//   - the Vercel invocation payload {"Action":"Invoke","body":"<json>"},
//     answered like github.com/vercel/go-bridge;
//   - API Gateway HTTP API payload 2.0, which is also the Lambda Function URL
//     event;
//   - API Gateway REST API payload 1.0 (proxy integration).
//
// Anything else is answered with a function error.
//
// # How the package is used
//
// The build does not import this package from the module cache. Package
// golang embeds its source files (see Sources) and lays them over, unchanged,
// as a package "lambdaloop" inside a virtual directory of the user's module
// (go build -overlay), next to a generated main.go:
//
//	func main() { lambdaloop.Start(http.HandlerFunc(userpkg.Handler)) }
//
// or, for a Go standalone server compiled separately as "user-server":
//
//	func main() { lambdaloop.StartChild("user-server") }
//
// Keeping it a package of its own means no identifier of the user's can
// collide with the runtime's. The files also compile when rewritten into a
// package main (the lambdatest end-to-end test does this), hence the rules
// below.
//
// Architecture Invariant: the runtime files import only the standard library,
// declare no init or main function, and prefix every unexported package-level
// identifier with "ll" so that they cannot collide with what a generated main
// declares or imports. sources_test.go enforces this. In return, a generated
// main.go must not declare package-level identifiers named like the standard
// packages the runtime files import (http, json, os, time, ...): Go forbids a
// name in both a file's imports and the package block.
//
// # Behaviour worth knowing
//
//   - The invocation deadline (Lambda-Runtime-Deadline-Ms) is the deadline of
//     the request's context. The X-Ray trace id is passed to the handler as
//     the X-Amzn-Trace-Id request header when the event has none; nothing is
//     written to the process environment per request.
//   - A panic in the handler is reported as a function error of type
//     "Runtime.Panic" with the stack trace, and then the process exits with
//     status 1, as aws-lambda-go does: a panicking handler may have left locks
//     held or state half-written, and Lambda simply starts a fresh process for
//     the next invocation. The exception is a panic with http.ErrAbortHandler
//     (the documented way for a handler to abort a response, used by
//     httputil.ReverseProxy): it becomes a "Runtime.HandlerAborted" function
//     error and the process keeps serving.
//   - AWS_LAMBDA_EXEC_WRAPPER is honoured before anything else: the variable
//     is removed and the wrapper is executed in place of the process with the
//     original arguments, so the wrapper's exec of the bootstrap runs the
//     loop.
//   - Request.RemoteAddr is "IP:0" (net/http's "IP:port" form, so that
//     net.SplitHostPort and httputil.ReverseProxy accept it). Request.RequestURI
//     keeps the query string, unlike go-bridge.
package lambdaloop
