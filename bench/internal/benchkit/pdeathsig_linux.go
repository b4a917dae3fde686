package benchkit

import "syscall"

// setParentDeathSignal kills the child when the benchmark dies, so that an
// interrupted run leaves no dev server behind.
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
