package proc

import "syscall"

// setPdeathsig makes the kernel SIGKILL the child when the forking thread
// exits; see the package doc for how Start keeps that thread alive.
func setPdeathsig(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
