//go:build linux && (race || 386)

package devserver

import (
	"errors"
	"syscall"
)

// Under the race detector sockIO makes its system calls through package
// syscall, whose reads and writes tell the detector that what one
// goroutine wrote to a socket happened before another read it. The raw
// calls (sockio_raw.go) carry no such annotation, so a race build would
// report races between a test and the handler its request reached.
//
// linux/386 makes them here too: package syscall has no SYS_RECVFROM
// there (socket calls go through socketcall), so sockio_raw.go would not
// build.

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return n, errnoOf(err)
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), p)
	return n, errnoOf(err)
}

func sysPeek(fd uintptr) syscall.Errno {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	errors.As(err, &e)
	return e
}
