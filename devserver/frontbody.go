package devserver

import (
	"errors"
	"io"
	"net/http"
	"sync"
)

// errClientGone is the cancellation cause of a request whose client
// closed its connection.
var errClientGone = errors.New("the client closed the connection")

// frontBody is the body of a request the front serves: Content-Length
// bytes of the connection. Like net/http's, it is safe for concurrent use
// (a transport may still read it while the response is being written),
// Close drains up to frontDiscardBody so that the connection can be kept,
// and reads after the handler returned fail.
type frontBody struct {
	c *frontConn
	// closing: the request asked to close the connection, so Close does
	// not drain.
	closing bool

	mu        sync.Mutex
	remaining int64
	sawEOF    bool
	closed    bool
	// earlyClose: closed with more than frontDiscardBody unread, so the
	// connection cannot carry another request.
	earlyClose bool
}

func (b *frontBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.readLocked(p)
}

func (b *frontBody) readLocked(p []byte) (int, error) {
	if b.remaining == 0 {
		b.sawEOF = true
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	n, err := b.c.br.Read(p)
	b.remaining -= int64(n)
	switch {
	case b.remaining == 0:
		b.sawEOF = true
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// Close drains up to frontDiscardBody of what is left, as net/http's
// body does; more left (or exactly that much: net/http cannot tell) is an
// early close, after which the connection ends.
func (b *frontBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	switch {
	case b.sawEOF || b.remaining == 0 || b.closing:
		return nil
	case b.remaining > frontDiscardBody:
		b.earlyClose = true
		return nil
	}
	var buf [4 << 10]byte
	var drained int64
	for {
		n, err := b.readLocked(buf[:min(len(buf), int(frontDiscardBody-drained))])
		drained += int64(n)
		if err == io.EOF || drained == frontDiscardBody {
			b.earlyClose = drained == frontDiscardBody
			return nil
		}
		if err != nil {
			b.earlyClose = true
			return err
		}
	}
}
