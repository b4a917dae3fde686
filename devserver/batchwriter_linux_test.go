package devserver

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stalledTerminal opens a pseudo-terminal with the default output
// processing whose other end is never read.
func stalledTerminal(t *testing.T) *os.File {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}

// A terminal nobody reads does not block a Write before batchMax bytes
// wait: only the goroutine that writes the batches waits for it.
func TestBatchWriterStalledTerminal(t *testing.T) {
	bw := newBatchWriter(stalledTerminal(t))
	line := []byte(strings.Repeat("x", 199) + "\n")
	for i := range 200 << 10 / len(line) { // 200 KB: the terminal's buffer is far smaller
		done := make(chan struct{})
		go func() { bw.Write(line); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("write %d blocked after %d bytes with a stalled terminal", i, i*len(line))
		}
	}
}
