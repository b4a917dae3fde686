//go:build linux && !race && !386

package devserver

import (
	"io"
	"testing"
)

func TestSockIOAllocatesNothing(t *testing.T) {
	c, peer := sockPair(t)
	s := newSockIO(c)
	msg := []byte("GET / HTTP/1.1\r\n\r\n")
	buf := make([]byte, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(peer, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
		if _, err := peer.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(s, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("a write and a read through sockIO allocated %v times; want 0", allocs)
	}
}
