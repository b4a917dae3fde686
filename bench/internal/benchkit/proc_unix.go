//go:build unix

package benchkit

import (
	"os/exec"
	"syscall"
)

func setProcessGroup(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setParentDeathSignal(cmd.SysProcAttr)
	return nil
}

func interruptGroup(pgid int) error { return ignoreGone(syscall.Kill(-pgid, syscall.SIGINT)) }

func killGroup(pgid int) error { return ignoreGone(syscall.Kill(-pgid, syscall.SIGKILL)) }

// ignoreGone treats "no such process" as success: the group already ended.
func ignoreGone(err error) error {
	if err == syscall.ESRCH {
		return nil
	}
	return err
}
