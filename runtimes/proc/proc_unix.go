//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// fd3Supported: unix children inherit Cmd.ExtraFiles as fd 3 onwards.
const fd3Supported = true

func sysProcAttr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true}
	setPdeathsig(a)
	return a
}

// signalGroup signals the process group led by p (the child was started
// with Setpgid, so its pgid is its pid).
func signalGroup(p *os.Process, sig os.Signal) error {
	if p == nil {
		return os.ErrProcessDone
	}
	return signalGroupPID(p.Pid, sig)
}

func signalGroupPID(pid int, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		s = syscall.SIGKILL
	}
	if err := syscall.Kill(-pid, s); err != nil {
		if err == syscall.ESRCH {
			return os.ErrProcessDone
		}
		return err
	}
	return nil
}

// killGroup kills the process group cmd leads.
func killGroup(cmd *exec.Cmd) error { return signalGroup(cmd.Process, syscall.SIGKILL) }
