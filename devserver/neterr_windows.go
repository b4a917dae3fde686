package devserver

import (
	"errors"
	"syscall"

	"golang.org/x/sys/windows"
)

// isConnReset reports a connection reset or aborted by the other end.
// Windows reports Winsock's own codes, which syscall.ECONNRESET does not
// match.
func isConnReset(err error) bool {
	return errors.Is(err, windows.WSAECONNRESET) || errors.Is(err, windows.WSAECONNABORTED) || errors.Is(err, syscall.ECONNRESET)
}

// isConnRefused reports a connection refused: nothing listens there.
func isConnRefused(err error) bool {
	return errors.Is(err, windows.WSAECONNREFUSED) || errors.Is(err, syscall.ECONNREFUSED)
}
