package main

import (
	"fmt"
	"maps"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process checks of the dev tests: what /proc says about the dev server's
// children, and the wait for a process to be gone.

// procStat is what the tests read from /proc/<pid>/stat.
type procStat struct {
	comm  string
	state byte
	pgrp  int
	start string // clock ticks after boot
}

// readProcStat reads /proc/<pid>/stat; ok is false when the process is
// gone.
func readProcStat(pid int) (procStat, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	s := string(data)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, false
	}
	// Fields after the command: state ppid pgrp session ... starttime (22nd
	// field overall, the 20th here).
	f := strings.Fields(s[end+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, false
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return procStat{}, false
	}
	return procStat{comm: s[open+1 : end], state: f[0][0], pgrp: pgrp, start: f[19]}, true
}

// alive reports whether the process pid started at start (any time when
// start is empty) runs: it exists and is not a zombie.
func alive(pid int, start string) bool {
	st, ok := readProcStat(pid)
	return ok && st.state != 'Z' && (start == "" || st.start == start)
}

// leftovers describes the live processes of lambdalens's process group or
// of any function's, and the function processes still running.
func (d *devServer) leftovers() []string {
	d.mu.Lock()
	starts := maps.Clone(d.starts)
	d.mu.Unlock()
	groups := map[int]bool{d.cmd.Process.Pid: true}
	var out []string
	for pid, start := range starts {
		groups[pid] = true
		if start != "" && alive(pid, start) {
			out = append(out, fmt.Sprintf("function process %d is still running", pid))
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return append(out, "reading /proc: "+err.Error())
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readProcStat(pid); ok && st.state != 'Z' && groups[st.pgrp] {
			out = append(out, fmt.Sprintf("process %d (%s) of process group %d is still running", pid, st.comm, st.pgrp))
		}
	}
	return out
}

// killLeftovers kills, by process group, what lambdalens and its
// functions left running.
func (d *devServer) killLeftovers() {
	d.mu.Lock()
	starts := maps.Clone(d.starts)
	d.mu.Unlock()
	if alive(d.cmd.Process.Pid, "") || len(d.leftovers()) > 0 {
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	}
	for pid, start := range starts {
		if start != "" && alive(pid, start) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// waitDead waits until pid (started at start) is gone or a zombie.
func waitDead(t *testing.T, pid int, start string) {
	t.Helper()
	deadline := time.Now().Add(devStopTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for alive(pid, start) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs %s after SIGKILL", pid, devStopTimeout)
		}
		<-tick.C
	}
}

// startOf is the start time recorded for a function process.
func (d *devServer) startOf(pid int) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts[pid]
}
