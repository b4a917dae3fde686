//go:build unix

package devserver

import "syscall"

// closedByPeer peeks at the connection without blocking: a kept-alive
// connection has nothing to read, so EOF or an error means the process
// closed it.
func (pc *hopConn) closedByPeer() bool {
	if pc.br.Buffered() > 0 {
		return true // a response nobody asked for
	}
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
