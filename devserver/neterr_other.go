//go:build !windows

package devserver

import (
	"errors"
	"syscall"
)

// isConnReset reports a connection reset by the other end.
func isConnReset(err error) bool { return errors.Is(err, syscall.ECONNRESET) }

// isConnRefused reports a connection refused: nothing listens there.
func isConnRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }
