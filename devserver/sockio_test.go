package devserver

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// sockPair is a connected pair of loopback TCP sockets: c is the end
// under test, peer the other.
func sockPair(t *testing.T) (c, peer *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		a, _ := ln.Accept()
		accepted <- a
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-accepted
	if a == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { d.Close(); a.Close() })
	return d.(*net.TCPConn), a.(*net.TCPConn)
}

// conns runs f once on a net.Conn and once on a sockIO over one: the
// two must behave alike, which is what the front and the hop transport
// rely on when they read and write through sockIO.
func conns(t *testing.T, f func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn)) {
	t.Run("net.Conn", func(t *testing.T) {
		c, peer := sockPair(t)
		f(t, c, c, peer)
	})
	t.Run("sockIO", func(t *testing.T) {
		c, peer := sockPair(t)
		f(t, newSockIO(c), c, peer)
	})
}

func TestSockIOMovesBytesBothWays(t *testing.T) {
	conns(t, func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn) {
		// More than the socket buffers hold, so that the write waits
		// for the reader (EAGAIN, then the poller) more than once.
		want := make([]byte, 16<<20)
		rand.Read(want)
		got := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(io.LimitReader(peer, int64(len(want))))
			got <- b
			peer.Write(want[:100<<10])
		}()
		n, err := rw.Write(want)
		if n != len(want) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(want))
		}
		if b := <-got; !bytes.Equal(b, want) {
			t.Fatalf("the peer read %d bytes, not the %d written", len(b), len(want))
		}
		back, err := io.ReadAll(io.LimitReader(rw, 100<<10))
		if err != nil || !bytes.Equal(back, want[:100<<10]) {
			t.Fatalf("read back %d bytes (%v), want the peer's %d", len(back), err, 100<<10)
		}
		if n, err := rw.Read(nil); n != 0 || err != nil {
			t.Fatalf("Read(nil) = %d, %v; want 0, nil", n, err)
		}
	})
}

func TestSockIOReadsEOFAfterAClose(t *testing.T) {
	conns(t, func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn) {
		peer.Write([]byte("last"))
		peer.Close()
		b, err := io.ReadAll(rw)
		if string(b) != "last" || err != nil {
			t.Fatalf("ReadAll = %q, %v; want \"last\", nil", b, err)
		}
		if n, err := rw.Read(make([]byte, 8)); n != 0 || err != io.EOF {
			t.Fatalf("Read after EOF = %d, %v; want 0, io.EOF", n, err)
		}
	})
}

func TestSockIOReportsAReset(t *testing.T) {
	conns(t, func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn) {
		peer.SetLinger(0) // close with a reset
		peer.Close()
		_, err := rw.Read(make([]byte, 8))
		if !isConnReset(err) {
			t.Fatalf("Read after a reset: %v; want ECONNRESET", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" {
			t.Fatalf("Read after a reset: %#v; want a *net.OpError for read", err)
		}
		// The connection is gone: a write fails too (EPIPE, after
		// the reset was read).
		if _, err := rw.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) && !isConnReset(err) {
			t.Fatalf("Write after a reset: %v; want EPIPE or ECONNRESET", err)
		}
	})
}

func TestSockIOKeepsDeadlinesAndClose(t *testing.T) {
	conns(t, func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn) {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := rw.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past the deadline: %v; want os.ErrDeadlineExceeded", err)
		}
		c.SetReadDeadline(time.Time{})
		done := make(chan error, 1)
		go func() {
			_, err := rw.Read(make([]byte, 8))
			done <- err
		}()
		// Close from another goroutine ends a read that waits in the
		// poller (shutdown closes idle connections this way).
		select {
		case err := <-done:
			t.Fatalf("Read returned %v before anything was sent", err)
		case <-time.After(20 * time.Millisecond):
		}
		c.Close()
		select {
		case err := <-done:
			if !errors.Is(err, net.ErrClosed) {
				t.Fatalf("Read on a closed connection: %v; want net.ErrClosed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Read did not return after Close")
		}
	})
}

// Errors from the connection itself (closed, past a deadline) name the
// operation as net.Conn's do: net/http's server, which reads handed-off
// connections through sockIO, takes a *net.OpError for "read" as the
// ordinary end of a connection, where another one would make it answer
// 400 Bad Request.
func TestSockIONamesItsOperationsAsNetConn(t *testing.T) {
	conns(t, func(t *testing.T, rw io.ReadWriter, c, peer *net.TCPConn) {
		c.SetReadDeadline(time.Unix(1, 0))
		_, err := rw.Read(make([]byte, 8))
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || !oe.Timeout() {
			t.Errorf("Read past the deadline: %v; want a *net.OpError for read that timed out", err)
		}
		c.Close()
		_, err = rw.Read(make([]byte, 8))
		if !errors.As(err, &oe) || oe.Op != "read" || !errors.Is(err, net.ErrClosed) {
			t.Errorf("Read on a closed connection: %v; want a *net.OpError for read, net.ErrClosed", err)
		}
		_, err = rw.Write([]byte("x"))
		if !errors.As(err, &oe) || oe.Op != "write" || !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write on a closed connection: %v; want a *net.OpError for write, net.ErrClosed", err)
		}
	})
}
