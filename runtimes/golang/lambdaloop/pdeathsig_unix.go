//go:build unix && !linux

package lambdaloop

import "syscall"

// llSetParentDeathSignal does nothing: only Linux has a parent-death
// signal. Lambda runs Linux.
func llSetParentDeathSignal(attr *syscall.SysProcAttr) {}
