package devserver

import (
	"context"
	"io"
	"sync"
)

const (
	// batchMax is how much output may wait for the writer before the next
	// Write blocks until it is written (a terminal that is not being read).
	batchMax = 1 << 20
	// readyMax is the largest batch a Write writes itself when the output
	// is ready: POSIX's smallest PIPE_BUF, which a pipe that polls
	// writable takes without blocking.
	readyMax = 512
)

// batchWriter takes writes into a buffer that is written out in batches:
// a request never waits for the terminal, and under load the lines of
// many requests leave in one write(2) instead of one each.
//
// A Write that finds no batch being written writes its own bytes at
// once when the output, a pipe or a file, says it can take them without
// blocking (see writeReady; a poll(2) on Unix): at low load that costs a request one
// write(2), where starting a goroutine for it woke a second thread.
// Otherwise a goroutine writes the batches until the buffer is empty;
// Flush joins it.
type batchWriter struct {
	w     io.Writer
	ready func() bool // nil: never written from Write (see writeReady)

	mu      sync.Mutex
	cond    sync.Cond // signalled when a batch was written
	buf     []byte    // waiting to be written
	spare   []byte    // the buffer of the last batch written, reused
	writing bool      // a batch is being written, by a Write or the goroutine
	// idle is closed when writing ends; made by Flush while writing.
	idle chan struct{}
}

func newBatchWriter(w io.Writer) *batchWriter {
	bw := &batchWriter{w: w, ready: writeReady(w)}
	bw.cond.L = &bw.mu
	return bw
}

// Write queues a copy of p and writes what is waiting if no one else
// is; it never fails (see writeBatch).
func (bw *batchWriter) Write(p []byte) (int, error) {
	if bw.queue(p) {
		bw.writeOut()
	}
	return len(p), nil
}

// queue appends a copy of p to the waiting bytes. When no batch is being
// written, it returns true, and the caller must call writeOut (it may
// release its own locks first: the printer does).
func (bw *batchWriter) queue(p []byte) (mustWrite bool) {
	bw.mu.Lock()
	defer bw.mu.Unlock()
	for len(bw.buf) >= batchMax && bw.writing {
		bw.cond.Wait()
	}
	bw.buf = append(bw.buf, p...)
	if bw.writing {
		return false
	}
	bw.writing = true
	return true
}

// writeOut writes the waiting bytes itself if the output is ready for
// them, else (or if more came meanwhile) starts the goroutine that writes
// them.
func (bw *batchWriter) writeOut() {
	bw.mu.Lock()
	batch := bw.take()
	bw.mu.Unlock()
	if bw.ready != nil && len(batch) <= readyMax && bw.ready() {
		var more bool
		if batch, more = bw.writeBatch(batch); !more {
			return
		}
		// More came while this one wrote: not this caller's to write.
	}
	go bw.loop(batch)
}

// take returns the waiting bytes as a batch and gives buf the spare.
// Called with mu held.
func (bw *batchWriter) take() []byte {
	batch := bw.buf
	bw.buf, bw.spare = bw.spare[:0], nil
	return batch
}

// writeBatch writes a batch and keeps its buffer as the spare; then it
// takes the next batch, or, with none waiting, ends writing and reports
// no more.
func (bw *batchWriter) writeBatch(batch []byte) (next []byte, more bool) {
	// The user's terminal or a pipe: a failed write has nowhere better
	// to be reported.
	_, _ = bw.w.Write(batch)
	bw.mu.Lock()
	defer bw.mu.Unlock()
	if cap(batch) <= 64<<10 {
		bw.spare = batch[:0]
	}
	bw.cond.Broadcast()
	if len(bw.buf) == 0 {
		bw.stopWriting()
		return nil, false
	}
	return bw.take(), true
}

// stopWriting ends writing and wakes the Flushes waiting for that. Called
// with mu held and buf empty.
func (bw *batchWriter) stopWriting() {
	bw.writing = false
	bw.cond.Broadcast()
	if bw.idle != nil {
		close(bw.idle)
		bw.idle = nil
	}
}

// loop writes batch, then the batches that come, until the buffer is
// empty.
func (bw *batchWriter) loop(batch []byte) {
	for more := true; more; {
		batch, more = bw.writeBatch(batch)
	}
}

// Flush returns once everything written before it has been written out
// and the goroutine that wrote it, if any, has finished, or when ctx ends
// first (a terminal that is not being read): then with ctx's cause.
func (bw *batchWriter) Flush(ctx context.Context) error {
	bw.mu.Lock()
	if !bw.writing {
		bw.mu.Unlock()
		return nil
	}
	if bw.idle == nil {
		bw.idle = make(chan struct{})
	}
	idle := bw.idle
	bw.mu.Unlock()
	// Writing ends only with the buffer empty, so everything written
	// before Flush has been written by then.
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
