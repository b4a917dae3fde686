//go:build unix

package devserver

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A Write to a full pipe returns without waiting for it; once the pipe is
// read, everything arrives in order.
func TestBatchWriterFullPipeDoesNotBlock(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	// Fill the pipe.
	rc, err := w.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fill := bytes.Repeat([]byte("f"), 4096)
	filled := 0
	for {
		var n int
		rc.Write(func(fd uintptr) bool {
			n, _ = syscall.Write(int(fd), fill)
			return true
		})
		if n <= 0 {
			break
		}
		filled += n
	}
	bw := newBatchWriter(w)
	returned := make(chan struct{})
	go func() {
		bw.Write([]byte("one\n"))
		bw.Write([]byte("two\n"))
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked on a full pipe")
	}
	got := make(chan string)
	go func() {
		var all []byte
		buf := make([]byte, 64<<10)
		for len(all) < filled+8 {
			n, err := r.Read(buf)
			if err != nil {
				break
			}
			all = append(all, buf[:n]...)
		}
		got <- string(all)
	}()
	if err := bw.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != strings.Repeat("f", filled)+"one\ntwo\n" {
		t.Errorf("read %d bytes ending %q, want the filling then the two lines", len(s), s[max(0, len(s)-12):])
	}
}
