package devserver

import (
	"io"
	"net"
	"os"
	"syscall"
)

// sockIO reads and writes one socket for the front and the hop transport,
// the two ends of every proxied request.
//
// On Linux it makes the read(2) and write(2) calls with
// syscall.RawSyscall, through the connection's syscall.RawConn: the socket
// is non-blocking, so neither call can block, and when one would (EAGAIN)
// RawConn waits in the network poller as net.Conn does, deadlines and
// Close included. What it saves is the runtime's system-call entry. While
// every P is idle the runtime's monitor thread (sysmon) sleeps, and the
// next system call entered the ordinary way wakes it, after which it polls
// every 20 µs until the process is idle again. A proxy that waits for one
// side and then the other is idle between every two of its calls, so each
// request woke it about once: a futex wake on the request's path and a
// burst of 20 µs timer sleeps on the two cores the processes share (a
// sixth of the dev server's CPU in perf at 2 connections, a fiftieth
// since). sysmon still wakes for every other system call and on the
// process's timers.
type sockIO struct {
	nc net.Conn
	rc syscall.RawConn // nil: use nc

	// The call in progress, one per direction: a read and a write may
	// run at once, but unlike net.Conn's, two reads or two writes may
	// not (each user has one reader and one writer).
	rd, wr sockCall
	// peek is peekOnce, bound once; peeked its finding.
	peek   func(fd uintptr) bool
	peeked bool
}

// sockCall is one read or write; its do is bound once, so that a call
// allocates nothing.
type sockCall struct {
	p     []byte
	n     int
	errno syscall.Errno
	short bool // a write(2) wrote nothing without an error
	do    func(fd uintptr) bool
}

func newSockIO(nc net.Conn) *sockIO {
	s := &sockIO{nc: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			s.rc = rc
		}
	}
	s.rd.do = s.rd.read
	s.wr.do = s.wr.write
	s.peek = s.peekOnce
	return s
}

// read makes one read(2): false asks RawConn to wait until the socket is
// readable.
func (c *sockCall) read(fd uintptr) bool {
	for {
		n, e := sysRead(fd, c.p)
		switch e {
		case 0:
			c.n = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.errno = e
		return true
	}
}

// write writes all of p, waiting while the socket's buffer is full.
func (c *sockCall) write(fd uintptr) bool {
	for len(c.p) > 0 {
		n, e := sysWrite(fd, c.p)
		switch e {
		case 0:
			if n == 0 {
				// Not on a stream socket; net.Conn reports the same.
				c.short = true
				return true
			}
			c.n += n
			c.p = c.p[n:]
			continue
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.errno = e
		return true
	}
	return true
}

func (s *sockIO) Read(p []byte) (int, error) {
	if s.rc == nil {
		return s.nc.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	c := &s.rd
	c.p, c.n, c.errno = p, 0, 0
	err := s.rc.Read(c.do)
	c.p = nil
	switch {
	case err != nil:
		return 0, netOp(err, "read")
	case c.errno != 0:
		return 0, s.opError("read", c.errno)
	case c.n == 0:
		return 0, io.EOF
	}
	return c.n, nil
}

func (s *sockIO) Write(p []byte) (int, error) {
	if s.rc == nil {
		return s.nc.Write(p)
	}
	c := &s.wr
	c.p, c.n, c.errno, c.short = p, 0, 0, false
	err := s.rc.Write(c.do)
	c.p = nil
	switch {
	case err != nil:
		err = netOp(err, "write")
	case c.errno != 0:
		err = s.opError("write", c.errno)
	case c.short:
		err = io.ErrUnexpectedEOF
	}
	return c.n, err
}

// peekClosed reports whether a kept-alive connection, which has nothing
// to read, cannot be used: a byte (a response nobody asked for), EOF or an
// error is waiting. It never waits itself.
func (s *sockIO) peekClosed() bool {
	if s.rc == nil {
		return false
	}
	s.peeked = false
	err := s.rc.Read(s.peek)
	return s.peeked || err != nil
}

func (s *sockIO) peekOnce(fd uintptr) bool {
	e := sysPeek(fd)
	s.peeked = e != syscall.EAGAIN // a byte, EOF (0) or an error
	return true                    // never wait
}

// opError is the error net.Conn would return for errno.
func (s *sockIO) opError(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: s.nc.LocalAddr().Network(), Source: s.nc.LocalAddr(), Addr: s.nc.RemoteAddr(), Err: os.NewSyscallError(op, errno)}
}

// netOp names the operation of an error of RawConn's (the connection
// closed, a deadline past) as net.Conn's Read or Write would: "read", not
// "raw-read". net/http's server, which reads handed-off connections
// through sockIO, takes a *net.OpError for "read" as the ordinary end of a
// connection (any other makes it answer 400), and the hop's errors reach
// the developer's log. RawConn makes a new *net.OpError for each error.
func netOp(err error, op string) error {
	if oe, ok := err.(*net.OpError); ok {
		oe.Op = op
	}
	return err
}
