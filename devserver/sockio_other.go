//go:build !linux

package devserver

import "net"

// sockIO reads and writes one socket for the front and the hop transport.
// Outside Linux it is the connection itself (sockio_linux.go says what
// Linux does instead).
type sockIO struct{ nc net.Conn }

func newSockIO(nc net.Conn) *sockIO { return &sockIO{nc: nc} }

func (s *sockIO) Read(p []byte) (int, error)  { return s.nc.Read(p) }
func (s *sockIO) Write(p []byte) (int, error) { return s.nc.Write(p) }
