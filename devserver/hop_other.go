//go:build !unix

package devserver

import "time"

// hopPeekAfter is the idle time after which a kept-alive connection is
// taken as closed where it cannot be peeked at (processes close idle
// connections after seconds: uvicorn after 5, gunicorn after 2).
const hopPeekAfter = 500 * time.Millisecond

// closedByPeer reports whether a kept-alive connection may have been
// closed by the process. Without a portable non-blocking peek, one idle
// for longer than hopPeekAfter is taken as closed; a younger one is used
// (a request that fails on it with a reset is sent again, RoundTrip).
func (pc *hopConn) closedByPeer(idle time.Duration) bool {
	return idle > hopPeekAfter
}
