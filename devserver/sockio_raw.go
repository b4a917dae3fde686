//go:build linux && !race && !386

package devserver

import (
	"syscall"
	"unsafe"
)

// sysRead, sysWrite and sysPeek are sockIO's system calls, made without
// the runtime's system-call entry (sockio_linux.go says why). Under the
// race detector, and on linux/386, they are made the ordinary way
// (sockio_race.go).

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(n), e
}

func sysWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	return int(n), e
}

// sysPeek peeks at one byte without waiting: 0 when there is a byte or
// EOF, EAGAIN when there is nothing yet.
func sysPeek(fd uintptr) syscall.Errno {
	var b [1]byte
	_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1, syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return e
}
