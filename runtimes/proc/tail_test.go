package proc

import (
	"strings"
	"testing"
)

func TestTail(t *testing.T) {
	tail := NewTail(8)
	for _, w := range []string{"abc", "defgh", "ijk"} {
		if n, err := tail.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", w, n, err)
		}
	}
	if got := tail.String(); got != "defghijk" {
		t.Errorf("after three writes: %q, want the last 8 bytes %q", got, "defghijk")
	}
	long := strings.Repeat("x", 20) + "12345678"
	tail.Write([]byte(long))
	if got := tail.String(); got != "12345678" {
		t.Errorf("after a write longer than the tail: %q, want %q", got, "12345678")
	}
	if cap(tail.buf) > 2*len(long) {
		t.Errorf("buffer capacity %d grew past what the writes needed", cap(tail.buf))
	}
}
