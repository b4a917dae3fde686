//go:build unix

package devserver

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// writeReady returns a function that reports whether w, a file (a
// terminal, a pipe, a regular file), would take a write of readyMax bytes
// now without blocking; nil for other writers, which Write then never
// writes to itself. Only one goroutine at a time may call it (the one
// that is writing a batch).
func writeReady(w io.Writer) func() bool {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	p := &pollOut{rc: rc}
	p.fds[0].Events = unix.POLLOUT
	p.pollFn = p.poll // bound once: Control takes it on every call
	return p.ready
}

type pollOut struct {
	rc     syscall.RawConn
	pollFn func(fd uintptr)
	fds    [1]unix.PollFd
	ok     bool
}

func (p *pollOut) ready() bool {
	p.ok = false
	if p.rc.Control(p.pollFn) != nil {
		return false
	}
	return p.ok
}

func (p *pollOut) poll(fd uintptr) {
	p.fds[0].Fd, p.fds[0].Revents = int32(fd), 0
	n, err := unix.Poll(p.fds[:], 0)
	p.ok = err == nil && n == 1 && p.fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) == 0 && p.fds[0].Revents&unix.POLLOUT != 0
}
