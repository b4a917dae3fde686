//go:build unix

package lambdaloop

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
)

// llExec replaces the process image; it returns only on failure.
func llExec(path string, argv, env []string) error {
	return syscall.Exec(path, argv, env)
}

// llSetChildProcAttr puts cmd's process in its own process group and, where
// the OS allows, has it killed when this process dies.
func llSetChildProcAttr(cmd *exec.Cmd) {
	attr := &syscall.SysProcAttr{Setpgid: true}
	llSetParentDeathSignal(attr)
	cmd.SysProcAttr = attr
}

// llSignalGroup sends sig to the process group led by pid. A group that is
// already gone is not an error.
func llSignalGroup(pid int, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return errors.New("not a unix signal")
	}
	if err := syscall.Kill(-pid, s); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// llTerminationSignals are the signals after which the runtime stops its
// child and exits.
var llTerminationSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT}

// llSigKill is the signal that cannot be caught.
var llSigKill os.Signal = syscall.SIGKILL

// llSigTerm asks for a graceful stop.
var llSigTerm os.Signal = syscall.SIGTERM
