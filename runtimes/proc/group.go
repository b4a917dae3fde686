package proc

import (
	"os/exec"
	"time"
)

// Group makes cmd, a tool lambdalens waits for (go build, pip, uv), the
// leader of its own process group, and has the whole group killed when
// cmd's context ends: the tool's own children (the compiler and linker
// under go build, a build backend under pip) end with it instead of
// running on. On Linux the group leader also dies with lambdalens. Wait
// returns at most waitDelay after the kill even when a grandchild still
// holds cmd's output pipes.
//
// Call it after exec.CommandContext and before Start.
func Group(cmd *exec.Cmd, waitDelay time.Duration) {
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return killGroup(cmd) }
	cmd.WaitDelay = waitDelay
}
