//go:build unix && !linux

package devserver

import (
	"syscall"
	"time"
)

// closedByPeer peeks at the connection without blocking: a kept-alive
// connection has nothing to read, so bytes (a response nobody asked for),
// EOF or an error mean it cannot be used. idle, how long it was in the
// pool, is not needed: the peek sees the close.
func (pc *hopConn) closedByPeer(idle time.Duration) bool {
	sc, ok := pc.nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = n > 0 || err != syscall.EAGAIN
		return true // never wait
	})
	return closed || err != nil
}
