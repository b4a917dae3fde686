package devserver

import (
	"context"
	"io"
	"sync"
)

// batchMax is how much output may wait for the writer before the next
// Write blocks until it is written (a terminal that is not being read).
const batchMax = 1 << 20

// batchWriter takes writes into a buffer that one goroutine writes out:
// a request never waits for the terminal, and under load the lines of
// many requests leave in one write(2) instead of one each. The goroutine
// runs only while there is something to write; Flush joins it.
type batchWriter struct {
	w io.Writer

	mu      sync.Mutex
	cond    sync.Cond // signalled when a batch was written
	buf     []byte    // waiting to be written
	spare   []byte    // the buffer the goroutine writes from, reused
	running bool      // the writing goroutine has not finished its loop
	// exited is closed when the newest writing goroutine has returned;
	// nil before the first write.
	exited chan struct{}
}

func newBatchWriter(w io.Writer) *batchWriter {
	bw := &batchWriter{w: w}
	bw.cond.L = &bw.mu
	return bw
}

// Write queues a copy of p; it never fails (see loop).
func (bw *batchWriter) Write(p []byte) (int, error) {
	bw.mu.Lock()
	for len(bw.buf) >= batchMax && bw.running {
		bw.cond.Wait()
	}
	bw.buf = append(bw.buf, p...)
	if !bw.running {
		bw.running = true
		bw.exited = make(chan struct{})
		go bw.loop(bw.exited)
	}
	bw.mu.Unlock()
	return len(p), nil
}

// loop writes batches until the buffer is empty, then closes exited.
func (bw *batchWriter) loop(exited chan struct{}) {
	defer close(exited)
	bw.mu.Lock()
	for len(bw.buf) > 0 {
		batch := bw.buf
		bw.buf, bw.spare = bw.spare[:0], nil
		bw.mu.Unlock()
		// The user's terminal or a pipe: a failed write has nowhere better
		// to be reported.
		_, _ = bw.w.Write(batch)
		bw.mu.Lock()
		if cap(batch) <= 64<<10 {
			bw.spare = batch[:0]
		}
		bw.cond.Broadcast()
	}
	bw.running = false
	bw.cond.Broadcast()
	bw.mu.Unlock()
}

// Flush returns once everything written before it has been written out
// and the goroutine that wrote it has returned, or when ctx ends first (a
// terminal that is not being read): then with ctx's cause.
func (bw *batchWriter) Flush(ctx context.Context) error {
	bw.mu.Lock()
	exited := bw.exited
	bw.mu.Unlock()
	if exited == nil {
		return nil
	}
	// The goroutine running now (or the last one) returns only with the
	// buffer empty, so it has written everything written before Flush.
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
