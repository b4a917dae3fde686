package devserver

import (
	"time"

	"golang.org/x/sys/unix"
)

// hopResetWait bounds how long a connection that ended cleanly before
// any response byte is watched for the reset that says the process never
// read the request. On loopback it follows the end within microseconds;
// when none comes, the failing request's answer is this much later.
const hopResetWait = 10 * time.Millisecond

// tcpClose is TCP_CLOSE (linux/tcp_states.h): the state a connection
// that received a reset is in (one that only received a FIN is in
// CLOSE_WAIT).
const tcpClose = 7

// closedByPeer peeks at the connection without blocking (sockIO's
// peekClosed): a kept-alive connection has nothing to read. idle, how
// long it was in the pool, is not needed: the peek sees the close.
func (pc *hopConn) closedByPeer(idle time.Duration) bool {
	return pc.sio.peekClosed()
}

// resetSoon reports whether the connection, after a clean end, was reset
// within hopResetWait. It polls the connection's TCP state: a reset
// leaves no other trace once EOF was read.
func (pc *hopConn) resetSoon() bool {
	rc := pc.sio.rc // sockIO looked it up when the connection was made
	if rc == nil {
		return false
	}
	deadline := time.Now().Add(hopResetWait)
	for {
		var state uint8
		_ = rc.Control(func(fd uintptr) {
			if info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err == nil {
				state = info.State
			}
		})
		if state == tcpClose {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Microsecond) // a kernel state, polled for at most hopResetWait
	}
}
