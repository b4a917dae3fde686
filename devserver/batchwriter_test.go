package devserver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer counts the writes it received.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	gate   chan struct{} // when set, each write waits for a receive
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	if l.gate != nil {
		<-l.gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes++
	return l.buf.Write(p)
}

func TestBatchWriterKeepsLinesAndOrder(t *testing.T) {
	out := &lockedBuffer{}
	bw := newBatchWriter(out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(bw, "w%d %d\n", w, i)
			}
		})
	}
	wg.Wait()
	bw.Flush(t.Context())
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(out.buf.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines written, want %d", len(got), writers*lines)
	}
	for _, line := range got {
		var w, i int
		if _, err := fmt.Sscanf(line, "w%d %d", &w, &i); err != nil || w >= writers || i != next[w] {
			t.Fatalf("line %q out of order or torn (next of writer %d is %d)", line, w, next[w])
		}
		next[w]++
	}
	if out.writes >= writers*lines {
		t.Errorf("%d writes for %d lines: nothing was batched", out.writes, writers*lines)
	}
}

// (*lockedBuffer).snapshot returns what was written and in how many writes.
func (l *lockedBuffer) snapshot() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String(), l.writes
}

// Lines written within the delay leave in one write, and only once the
// delay has passed or Flush asks.
func TestBatchWriterWaitsForMore(t *testing.T) {
	out := &lockedBuffer{}
	bw := newBatchWriter(out)
	bw.delay = time.Hour
	for i := range 3 {
		fmt.Fprintf(bw, "line %d\n", i)
	}
	if got, writes := out.snapshot(); writes != 0 {
		t.Fatalf("%d writes (%q) before the delay passed, want none", writes, got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := bw.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v (it must not wait for the delay)", err)
	}
	if got, writes := out.snapshot(); got != "line 0\nline 1\nline 2\n" || writes != 1 {
		t.Errorf("after Flush: %q in %d writes, want the three lines in one", got, writes)
	}
	// Nothing waits any more: the timer stopped by Flush never writes.
	if err := bw.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	bw.mu.Lock()
	pending, writing := bw.pending, bw.writing
	bw.mu.Unlock()
	if pending || writing {
		t.Errorf("after Flush: pending %v, writing %v; want neither", pending, writing)
	}
}

// Without a Flush, what waits is written once the delay has passed, and
// the next line arms the timer again.
func TestBatchWriterWritesAfterTheDelay(t *testing.T) {
	out := &lockedBuffer{}
	bw := newBatchWriter(out)
	bw.delay = 10 * time.Millisecond
	want := ""
	for i := range 3 {
		line := fmt.Sprintf("line %d\n", i)
		bw.Write([]byte(line))
		want += line
		eventually(t, 10*time.Second, fmt.Sprintf("line %d written", i), func() (bool, string) {
			got, _ := out.snapshot()
			return got == want, fmt.Sprintf("%q written", got)
		})
	}
	if _, writes := out.snapshot(); writes != 3 {
		t.Errorf("%d writes for three lines a delay apart, want 3", writes)
	}
}

// A buffer that fills up does not wait for the delay.
func TestBatchWriterFullBufferIsWrittenAtOnce(t *testing.T) {
	out := &lockedBuffer{}
	bw := newBatchWriter(out)
	bw.delay = time.Hour
	line := bytes.Repeat([]byte("x"), 64<<10)
	go func() { // a Write that waited for the delay would block here, not the test
		for range batchMax/len(line) + 1 {
			bw.Write(line)
		}
	}()
	eventually(t, 10*time.Second, "the full buffer written without the delay", func() (bool, string) {
		got, _ := out.snapshot()
		return len(got) >= batchMax, fmt.Sprintf("%d bytes written", len(got))
	})
}

// A Flush right after a Write, with the timer firing at once, finds it
// stopped or already running: either way everything is out when Flush
// returns.
func TestBatchWriterFlushRacesTheTimer(t *testing.T) {
	out := &lockedBuffer{}
	bw := newBatchWriter(out)
	bw.delay = 0
	want := 0
	for i := range 5000 {
		line := fmt.Sprintf("line %d\n", i)
		bw.Write([]byte(line))
		want += len(line)
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := bw.Flush(ctx)
		cancel()
		if err != nil {
			t.Fatalf("Flush %d: %v", i, err)
		}
		if got, _ := out.snapshot(); len(got) != want {
			t.Fatalf("after Flush %d: %d bytes written, want %d", i, len(got), want)
		}
	}
}

func TestBatchWriterBlocksWhenTheReaderStalls(t *testing.T) {
	out := &lockedBuffer{gate: make(chan struct{})}
	bw := newBatchWriter(out)
	line := bytes.Repeat([]byte("x"), 64<<10)
	// The first batchMax bytes are handed to the writing goroutine, which
	// stalls; the next writes fill the buffer up to batchMax again, then
	// Write blocks.
	returned := make(chan int, 128)
	go func() {
		for i := range 2*batchMax/len(line) + 4 {
			bw.Write(line)
			returned <- i
		}
		close(returned)
	}()
	n := 0
	deadline := time.After(10 * time.Second)
	for stalled := false; !stalled; {
		select {
		case _, ok := <-returned:
			if !ok {
				t.Fatalf("every Write returned while the output was stalled")
			}
			n++
		case <-time.After(200 * time.Millisecond):
			stalled = true // no Write returned for a while: blocked
		case <-deadline:
			t.Fatal("timed out")
		}
	}
	// Blocked with at most batchMax bytes waiting (besides the batch the
	// stalled write holds).
	bw.mu.Lock()
	waiting := len(bw.buf)
	bw.mu.Unlock()
	if waiting > batchMax || n >= 2*batchMax/len(line)+4 {
		t.Errorf("%d writes returned and %d bytes wait with the output stalled, want Write to block at %d", n, waiting, batchMax)
	}
	// Flush gives up when its context ends before the output drains.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	err := bw.Flush(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush with the output stalled = %v, want the context's deadline", err)
	}
	close(out.gate) // let every write through
	for range returned {
	}
	if err := bw.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if want := (2*batchMax/len(line) + 4) * len(line); out.buf.Len() != want {
		t.Errorf("%d bytes written, want %d", out.buf.Len(), want)
	}
}

// After close, events are dropped: nothing writes to Config.Out once the
// server's Close has returned.
func TestPrinterCloseDropsLateEvents(t *testing.T) {
	out := &lockedBuffer{}
	var hooked int
	p := newPrinter(func(Event) { hooked++ }, out, false, false)
	p.emit(Event{Type: EventRequest, Method: "GET", Path: "/before", Status: 200})
	if err := p.close(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.emit(Event{Type: EventRequest, Method: "GET", Path: "/after", Status: 200})
	if err := p.flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	out.mu.Lock()
	text := out.buf.String()
	out.mu.Unlock()
	if !strings.Contains(text, "/before") || strings.Contains(text, "/after") {
		t.Errorf("output %q: want /before written and /after dropped", text)
	}
	if hooked != 1 {
		t.Errorf("the events hook saw %d events, want 1 (none after close)", hooked)
	}
}
