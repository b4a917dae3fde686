// Package config reads vercel.json: a positioned JSON parser (ParseJSON and
// Node), the typed Config that the rest of lambdalens consumes (Parse), and
// the validation Vercel applies to the file, with every diagnostic placed on
// the exact key or value it is about.
//
// The parser is hand-written because encoding/json keeps no positions.
// Positions are byte based like everywhere in lambdalens (1-based line,
// 1-based byte column, 0-based byte offset); lines end at '\n'. It keeps
// member order and duplicate keys, recovers from the common slips (comments,
// trailing commas, missing commas, unquoted keys) so that an editor still
// gets a tree, and stops at anything else. It never panics: nesting is
// limited to 1000 levels, invalid UTF-8 in strings becomes U+FFFD with a
// warning, and numbers too large for a float64 keep their source text.
//
// Validation follows the schemas the Vercel CLI checks vercel.json against
// (@vercel/build-utils and @vercel/routing-utils) and its cross-key rules,
// with these deliberate differences:
//   - "maxDuration" is limited to 900 s, AWS Lambda's hard limit, so that
//     artifacts also run on plain Lambda;
//   - "includeFiles"/"excludeFiles" also accept an array of globs;
//   - legacy "routes" src patterns must compile with Go's regexp package;
//     PCRE-only constructs (lookaround, backreferences, ...) are errors;
//   - unknown top-level keys are warnings, and properties lambdalens does
//     not act on (rewrite transforms, route locale, ...) get a warning.
//
// Diagnostic codes are stable; the LSP layer keys quick fixes on them:
//
//	json-syntax, json-comment, json-trailing-comma    syntax errors
//	json-too-deep, json-invalid-utf8, json-duplicate-key
//	config-not-object      the file is not an object
//	unknown-key            unknown top-level key (warning, "did you mean")
//	unknown-property       unknown property of a nested object
//	unsupported-property   accepted by Vercel, ignored by lambdalens (warning)
//	invalid-type           a value of the wrong JSON type
//	missing-property       a required property is absent
//	too-many-entries, value-too-long, source-too-long
//	functions-empty, functions-too-many, functions-and-builds
//	function-pattern-length, function-pattern-slash, function-pattern-glob
//	function-empty, function-memory, function-max-duration,
//	function-architecture, function-runtime-version,
//	function-runtime-unsupported (warning), function-files-glob,
//	function-files-length, function-max-concurrency, function-trigger,
//	function-affinity
//	build-use, build-use-unsupported (warning), build-src-glob
//	routes-mixed, route-handle, route-handle-extra-keys, route-src-regexp,
//	route-src-unsupported-regexp, status-code
//	source-leading-slash, redirect-status-code,
//	redirect-permanent-and-status-code, headers-empty,
//	service-destination-unsupported (warning)
//	has-type, has-host-key, has-condition-empty, has-condition-unsupported
//	env-invalid-name (warning), cron-path
package config
