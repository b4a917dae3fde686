//go:build unix && !linux

package benchkit

import "syscall"

// setParentDeathSignal does nothing where Pdeathsig does not exist.
func setParentDeathSignal(*syscall.SysProcAttr) {}
