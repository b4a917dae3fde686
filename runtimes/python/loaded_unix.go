//go:build unix

package python

import (
	"fmt"
	"net"
	"os"
	"syscall"
)

// newControl returns a connected pair of Unix sockets: the parent's end as
// a *control, the child's as a file to pass as fd 4. Both are
// close-on-exec, so that no other child inherits them (exec clears the flag
// on the descriptor it passes).
func newControl() (*control, *os.File, error) {
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("creating the control socket: %w", err)
	}
	parent := os.NewFile(uintptr(fds[0]), "lambdalens-control")
	conn, err := net.FileConn(parent)
	parent.Close() // FileConn holds a duplicate
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, fmt.Errorf("creating the control socket: %w", err)
	}
	return newControlConn(conn), os.NewFile(uintptr(fds[1]), "lambdalens-control-child"), nil
}
