//go:build unix && !linux

package proc

import "syscall"

// setPdeathsig is a no-op: only Linux has a parent-death signal.
func setPdeathsig(*syscall.SysProcAttr) {}
