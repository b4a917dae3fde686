//go:build unix

package devserver

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// writeReady returns a function that reports whether w, a pipe or a
// regular file, would take a write of readyMax bytes now without
// blocking; nil for other writers, which Write then never writes to
// itself. Only one goroutine at a time may call it (the one that is
// writing a batch).
//
// A pipe polls writable only with PIPE_BUF bytes free (a page on Linux).
// A regular file always polls writable, so it is not polled. A terminal
// is left out: it polls writable with any room at all, and its output
// processing (a newline becomes two bytes) can then block a write.
func writeReady(w io.Writer) func() bool {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil
	case fi.Mode().IsRegular():
		return alwaysReady
	case fi.Mode()&os.ModeNamedPipe == 0:
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

func alwaysReady() bool { return true }

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
