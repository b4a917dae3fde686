//go:build !linux

package devserver

// resetSoon reports whether a connection that ended cleanly was reset
// soon after. Without a portable way to read a socket's TCP state it
// says no: only a reset seen directly makes a request be sent again.
func (pc *hopConn) resetSoon() bool { return false }
