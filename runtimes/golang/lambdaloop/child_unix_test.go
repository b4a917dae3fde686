//go:build unix

package lambdaloop

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func TestChildHasItsOwnProcessGroup(t *testing.T) {
	c := startTestChild(t, "serve")
	if fe := c.waitReady(context.Background(), 10*time.Second); fe != nil {
		t.Fatal(fe)
	}
	pgid, err := syscall.Getpgid(c.pid)
	if err != nil {
		t.Fatal(err)
	}
	if pgid != c.pid || pgid == syscall.Getpgrp() {
		t.Errorf("child pgid %d, child pid %d, our pgid %d", pgid, c.pid, syscall.Getpgrp())
	}
	c.stop()
	if !c.exited() {
		t.Error("stop returned with the child still running")
	}
}
