//go:build unix

package proc

import (
	"bufio"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A tool's own children die with it when its context ends (go build's
// compiler, pip's build backend): here a shell's background sleep.
func TestGroupKillsTheToolsChildren(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", "sleep 60 & echo $!; wait")
	Group(cmd, 2*time.Second)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the background pid: %v", err)
	}
	gpid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || gone(gpid) {
		t.Fatalf("background sleep %q not running (%v)", line, err)
	}
	cancel()
	if err := cmd.Wait(); err == nil {
		t.Error("Wait after the context ended = nil, want the kill")
	}
	waitGone(t, gpid, "the tool's child after its context ended")
}
