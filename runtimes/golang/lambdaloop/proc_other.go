//go:build !unix

package lambdaloop

import (
	"errors"
	"os"
	"os/exec"
)

// Lambda functions run on Linux; these stubs only let the package compile
// elsewhere (lambdalens itself embeds it on every OS).

func llExec(path string, argv, env []string) error {
	return errors.New("exec is not supported on this operating system")
}

func llSetChildProcAttr(cmd *exec.Cmd) {}

func llSignalGroup(pid int, sig os.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Signal(sig)
}

var llTerminationSignals = []os.Signal{os.Interrupt}

var llSigKill os.Signal = os.Kill

var llSigTerm os.Signal = os.Kill
