//go:build !unix

package devserver

// closedByPeer reports a kept-alive connection with unread bytes (a
// response nobody asked for). Without a portable non-blocking peek, a
// connection the process closed while idle is found when a request on it
// fails, and replayable requests are sent again (RoundTrip).
func (pc *hopConn) closedByPeer() bool {
	return pc.br.Buffered() > 0
}
