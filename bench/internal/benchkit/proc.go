package benchkit

import (
	"errors"
	"fmt"
	"os/exec"
	"time"
)

// Proc is a child process running in its own process group, so that
// stopping it also stops what it started (the go command's compilers, a
// dev server's function processes, node's workers).
type Proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// Start starts cmd in a new process group. The returned Proc owns one
// goroutine, which waits for the process; Stop joins it.
func Start(cmd *exec.Cmd) (*Proc, error) {
	if err := setProcessGroup(cmd); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// PID is the process id, which is also its process group id.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited and its output was copied.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the exit error once Done is closed.
func (p *Proc) Err() error {
	select {
	case <-p.done:
		return p.err
	default:
		return nil
	}
}

// Stop sends SIGINT to the process group, waits up to grace for the
// process to exit, then kills the whole group and waits for it. It
// returns nil when the process exited on its own or on SIGINT.
func (p *Proc) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	if err := interruptGroup(pgid); err != nil {
		return fmt.Errorf("interrupting process group %d: %w", pgid, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		// The leader is gone; make sure no child it left behind survives.
		_ = killGroup(pgid)
		return nil
	case <-timer.C:
	}
	if err := killGroup(pgid); err != nil {
		return fmt.Errorf("killing process group %d: %w", pgid, err)
	}
	<-p.done
	return errors.New("process did not stop within the grace period and was killed")
}
