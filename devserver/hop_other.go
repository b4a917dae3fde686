//go:build !unix

package devserver

import "time"

// closedByPeer reports whether a kept-alive connection may have been
// closed by the process. Without a portable non-blocking peek, one idle
// for longer than hopPeekAfter is taken as closed (processes close idle
// connections after seconds: uvicorn after 5, gunicorn after 2), so that a
// request that cannot be sent twice does not fail on it; a younger one is
// used, and a replayable request that fails on it is sent again
// (RoundTrip).
func (pc *hopConn) closedByPeer(idle time.Duration) bool {
	return idle > hopPeekAfter
}
