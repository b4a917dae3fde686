//go:build unix

package devserver

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readNow reads what the pipe holds, without waiting.
func readNow(t *testing.T, r *os.File) string {
	t.Helper()
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		var n int
		var rerr error
		rc.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf)
			return true // one attempt: no waiting
		})
		if n <= 0 {
			if rerr != nil && !errors.Is(rerr, syscall.EAGAIN) {
				t.Fatal(rerr)
			}
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

// A Write to an output that can take it is written before Write returns,
// by the caller.
func TestBatchWriterWritesAtOnceWhenReady(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	bw := newBatchWriter(w)
	for i := range 3 {
		line := strings.Repeat("x", 100) + string(rune('a'+i)) + "\n"
		bw.Write([]byte(line))
		if got := readNow(t, r); got != line {
			t.Fatalf("write %d: the pipe held %q right after Write, want the line", i, got)
		}
	}
}

// A Write to a regular file is in the file when Write returns.
func TestBatchWriterWritesFileAtOnce(t *testing.T) {
	name := filepath.Join(t.TempDir(), "out.log")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := newBatchWriter(f)
	want := ""
	for i := range 3 {
		line := strings.Repeat("x", 100) + string(rune('a'+i)) + "\n"
		bw.Write([]byte(line))
		want += line
		if got, _ := os.ReadFile(name); string(got) != want {
			t.Fatalf("write %d: the file held %q right after Write, want %q", i, got, want)
		}
	}
}

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
