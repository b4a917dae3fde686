//go:build linux

package lambdaloop

import "syscall"

// llSetParentDeathSignal makes the kernel SIGKILL the child when the thread
// that started it dies. The runtime starts its child from a goroutine locked
// to its thread for the life of the child, so this means "when the runtime
// dies", including when the Lambda sandbox (or RIE) SIGKILLs the runtime's
// process group, which the child, in a group of its own, is not part of.
func llSetParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGKILL
}
