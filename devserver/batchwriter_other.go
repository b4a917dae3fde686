//go:build !unix

package devserver

import "io"

// writeReady is nil without poll(2): every batch is written by the
// batchWriter's goroutine.
func writeReady(io.Writer) func() bool { return nil }
