// Package buildsys implements `lambdalens build`: it builds every function
// of a project into Vercel's Build Output API v3 layout, with artifacts that
// run on AWS Lambda as they are.
//
// # Layout written
//
//	.vercel/output/
//	  config.json                 {"version": 3, "routes": project.Routes, "overrides"?}
//	  functions/<ID>.func/        every file the function needs, materialised
//	  functions/<ID>.func/.vc-config.json
//	  functions/<ID>.zip          with Options.Zip: the .func contents, reproducible
//	  static/                     the public directory, less what Vercel ignores
//
// .vc-config.json holds handler, runtime, runtimeLanguage, architecture,
// memory, maxDuration (a number or "max"), affinity, maxConcurrency,
// environment, regions, functionFailoverRegions, supportsWrapper,
// supportsResponseStreaming, experimentalTriggers and supportsCancellation,
// in the order of Vercel's Lambda fields, indented by two spaces. The
// runtime's Artifact gives handler, runtime, language, environment and the
// supportsWrapper/supportsResponseStreaming flags; the vercel.json
// "functions" rule that matched (project.Project.FunctionRule) gives the
// rest, each only when the rule sets it, as Vercel writes them: a function
// that vercel.json does not configure has no memory or maxDuration, so the
// platform's defaults apply (project.DefaultMemory and DefaultMaxDuration
// are the dev server's and inspect's). The resolved architecture is always
// written. The zip holds what
// Lambda runs: the .func contents without .vc-config.json.
//
// static/ leaves out what Vercel never uploads and the dev server never
// serves: runtimes/fileutil's default ignore list and the project's
// .vercelignore (else .nowignore), matched against paths relative to the
// project root. With cleanUrls, config.json "overrides" maps each static
// "x.html" to the path "x" (Vercel's writeStaticFile).
//
// # Builders
//
// A Builder builds one function. Behaviour is layered with decorators, as in
// ko's pkg/build: the runtime dispatcher (one runtimes.Runtime per language)
// at the bottom, WithCache around it, WithLimit outside. Run composes them
// and builds every selected function concurrently; one failure does not
// cancel or hide the others.
//
// # Decisions
//
//   - Options.Arch (--arch) wins over vercel.json "architecture": an explicit
//     flag on the command line is the more specific wish. Without it each
//     function keeps its own (vercel.json, else x86_64).
//   - Options.Only (--only) builds and writes only the selected functions;
//     config.json still lists every route. Functions of a previous output
//     that were not selected are not carried over: the output is always
//     exactly what this run built.
//   - The output is replaced atomically: everything is built into a sibling
//     directory (.vercel/output.tmp-*) that replaces the old output only when
//     every function built. A failed or cancelled build leaves the previous
//     output as it was. An existing output directory is replaced only if it
//     is empty or holds a config.json, so a mistyped --out never wipes
//     source files.
//   - Build cache entries live in <CacheDir>/build/<key>/ (the function's
//     files, the runtime's artifact and, with Zip, the zip per timestamp).
//     The functions' files and zips in the output are hard links to the
//     entry's where the file system allows it, built and restored ones
//     alike, so that a no-op build takes milliseconds: treat the output
//     as read-only. The cached files are read-only except on Windows (the
//     zips do not change: zipper normalises modes), and each entry records
//     the size, modification time and mode of its files when stored; an
//     entry whose files differ when it is looked up (written through the
//     output by root or after a chmod, say) is rebuilt and replaced, never
//     restored. Entries unused for CacheTTL (a week) are pruned after a
//     successful build.
//   - Project diagnostics of error severity stop the build before anything
//     is compiled.
//
// The user's tree is never written to: runtimes build from Root into OutDir
// and their caches, and buildsys only writes under the output's parent
// directory and the cache directory.
package buildsys
