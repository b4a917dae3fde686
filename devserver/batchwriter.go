package devserver

import (
	"context"
	"io"
	"sync"
	"time"
)

const (
	// batchMax is how much output may wait for the writer before the next
	// Write blocks until it is written (a terminal that is not being read).
	batchMax = 1 << 20
	// batchDelay is how long a line waits for the lines after it before
	// they are written together. Under load that makes one write(2) for
	// the lines of many requests, and whoever reads the output (a
	// terminal, an editor, the benchmark's pipe) wakes once per batch
	// instead of once per request; a person does not see 5 ms.
	batchDelay = 5 * time.Millisecond
)

// batchWriter takes writes into a buffer that is written out in batches
// by a goroutine: a request never waits for the terminal, and the lines
// of the requests within batchDelay of each other leave in one write(2).
//
// The first Write to an empty buffer arms a timer; when it fires, a
// goroutine writes what has accumulated, then whatever came meanwhile,
// until the buffer is empty. A Write that finds batchMax bytes waiting
// hands them to the goroutine without waiting for the timer. Flush writes
// what waits without the delay and joins the goroutine.
type batchWriter struct {
	w io.Writer

	mu      sync.Mutex
	delay   time.Duration // batchDelay; tests change it
	cond    sync.Cond     // signalled when a batch was written
	timer   *time.Timer   // runs fire; made by the first Write
	buf     []byte        // waiting to be written
	spare   []byte        // the buffer of the last batch written, reused
	pending bool          // the timer is armed for what waits in buf
	writing bool          // the goroutine is writing batches
	// idle is closed when neither pending nor writing; made by Flush.
	idle chan struct{}
}

func newBatchWriter(w io.Writer) *batchWriter {
	bw := &batchWriter{w: w, delay: batchDelay}
	bw.cond.L = &bw.mu
	return bw
}

// Write queues a copy of p. It blocks only while batchMax bytes wait
// and a batch is being written; it never fails (see writeBatch).
func (bw *batchWriter) Write(p []byte) (int, error) {
	bw.mu.Lock()
	defer bw.mu.Unlock()
	for len(bw.buf) >= batchMax && (bw.writing || bw.pending) {
		if bw.pending {
			bw.writeNow()
		}
		if len(bw.buf) >= batchMax {
			bw.cond.Wait()
		}
	}
	bw.buf = append(bw.buf, p...)
	if bw.pending || bw.writing {
		return len(p), nil // written with the batch that is waiting or being written
	}
	bw.pending = true
	if bw.timer == nil {
		bw.timer = time.AfterFunc(bw.delay, bw.fire)
	} else {
		bw.timer.Reset(bw.delay)
	}
	return len(p), nil
}

// writeNow hands what waits to the goroutine without waiting for the
// timer. Called with mu held while pending. If the timer has fired
// already, fire is about to take the batch, and pending stays set until
// it has.
func (bw *batchWriter) writeNow() {
	if bw.timer.Stop() {
		bw.pending, bw.writing = false, true
		go bw.loop(bw.take())
	}
}

// fire is the timer's function: it writes the batch that waited.
func (bw *batchWriter) fire() {
	bw.mu.Lock()
	bw.pending, bw.writing = false, true
	batch := bw.take()
	bw.mu.Unlock()
	bw.loop(batch)
}

// take returns the waiting bytes as a batch and gives buf the spare.
// Called with mu held.
func (bw *batchWriter) take() []byte {
	batch := bw.buf
	bw.buf, bw.spare = bw.spare[:0], nil
	return batch
}

// loop writes batch, then the batches that come, until the buffer is
// empty.
func (bw *batchWriter) loop(batch []byte) {
	for more := true; more; {
		batch, more = bw.writeBatch(batch)
	}
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
		bw.writing = false
		if bw.idle != nil {
			close(bw.idle)
			bw.idle = nil
		}
		return nil, false
	}
	return bw.take(), true
}

// Flush returns once everything written before it has been written out
// and the goroutine that wrote it has finished, or when ctx ends first (a
// terminal that is not being read): then with ctx's cause. What waits for
// the timer is written at once.
func (bw *batchWriter) Flush(ctx context.Context) error {
	bw.mu.Lock()
	if bw.pending {
		bw.writeNow()
	}
	if !bw.pending && !bw.writing {
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
