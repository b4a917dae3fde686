package lambdaloop

import (
	"embed"
	"path"
)

// Version identifies the behaviour of the runtime sources. It is part of the
// build cache key of every Go function, so bump it whenever a change to the
// runtime files changes what a built bootstrap does.
const Version = "4"

// runtimeFiles are the files that make up the runtime: everything in this
// package except this file, doc.go and the tests. sources_test.go fails when
// a runtime file is missing from this list.
//
//go:embed loop.go runtimeapi.go wrapper.go child.go event.go event_vercel.go event_apigwv2.go event_apigwv1.go response.go proc_unix.go proc_other.go pdeathsig_linux.go pdeathsig_unix.go
var runtimeFiles embed.FS

// Sources returns the runtime's source files by base name. Each still starts
// with the clause "package lambdaloop"; the caller rewrites it to
// "package main" and writes the files next to a generated main.go. Build
// constraints (//go:build lines) are part of the content and must be kept.
// The map is freshly allocated on each call.
func Sources() map[string][]byte {
	entries, err := runtimeFiles.ReadDir(".")
	if err != nil {
		// The embedded file system is fixed at compile time; reading its
		// root cannot fail.
		return map[string][]byte{}
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		b, err := runtimeFiles.ReadFile(path.Join(".", e.Name()))
		if err != nil {
			continue
		}
		out[e.Name()] = b
	}
	return out
}
