package main

import (
	"os"
	"runtime/debug"
)

// Garbage collection for `lambdalens dev`. The dev server's live heap is a
// few MB and each proxied request allocates about 10 KB, so under Go's
// default GOGC=100 the collector runs dozens of times a second under load,
// each cycle taking one of the machine's cores for its mark phase. With a
// tenfold heap goal (about 60 MB resident under load instead of 25 MB)
// the dev server used 12 % less CPU per proxied request at 32 connections
// and 10 % less at 2 (bench/README.md, "Go dev"). The soft limit keeps a
// large live heap from growing elevenfold; it is far above any dev
// server's live heap, since near it the collector would run almost
// continuously. The language server keeps Go's defaults: its live heap
// (type-checked packages) can be large.
const (
	devGCPercent   = 1000
	devMemoryLimit = 1 << 30
)

// tuneGC applies devGCPercent and devMemoryLimit unless the user set
// GOGC or GOMEMLIMIT.
func tuneGC() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(devGCPercent)
	debug.SetMemoryLimit(devMemoryLimit)
}
