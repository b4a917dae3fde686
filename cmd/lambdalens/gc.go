package main

import (
	"os"
	"runtime/debug"
)

// Garbage collection for the processes that host the dev server (dev, and
// lsp, which runs it in-process). The dev server's live heap is a few MB
// and each proxied request allocates about 10 KB, so under Go's default
// GOGC=100 the collector runs dozens of times a second under load, each
// cycle taking one of the machine's cores for its mark phase. With a
// tenfold heap goal (about 60 MB resident under load instead of 25 MB)
// the dev server used 14 % less CPU per proxied request at 32 connections
// and 10 % less at 2 (bench/README.md, "Go dev"). The soft limit keeps a
// large live heap from growing elevenfold.
const (
	devGCPercent   = 1000
	devMemoryLimit = 256 << 20
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
