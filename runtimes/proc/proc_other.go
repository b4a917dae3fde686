//go:build !unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// fd3Supported: Windows cannot pass extra descriptors, so PortFD3 falls
// back to the port file.
const fd3Supported = false

func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup has no process groups to work with here: it kills the child
// itself (Windows cannot deliver SIGINT to another console process).
func signalGroup(p *os.Process, _ os.Signal) error {
	if p == nil {
		return os.ErrProcessDone
	}
	return p.Kill()
}

func signalGroupPID(int, os.Signal) error { return nil }

// killGroup kills cmd's process: there are no process groups here.
func killGroup(cmd *exec.Cmd) error { return signalGroup(cmd.Process, os.Kill) }
