package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/runtimes/proc"
)

// vercelResult is what `vercel dev --local` measured on the same project.
type vercelResult struct {
	version string
	first   time.Duration   // start → first 200
	seq     []time.Duration // sequential request latencies, sorted
	save    []time.Duration // save → new text served
}

// benchVercel runs `vercel dev --local` on a third copy of the project,
// with the workarounds of vercel-cli-offline.md: a toolchain line in
// go.mod, no .vercel/project.json, telemetry off and its state folders in
// the run's scratch folder.
func benchVercel(ctx context.Context, o options, project, work string, r *report) error {
	v, err := benchkit.FindVercel()
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench/dev: vercel dev")
	dir := filepath.Join(work, "vercel", filepath.Base(project))
	if err := benchkit.CopyTree(project, dir); err != nil {
		return err
	}
	goVersion, err := benchkit.GoVersion(ctx)
	if err != nil {
		return err
	}
	if err := benchkit.AddGoToolchain(dir, goVersion); err != nil {
		return err
	}
	env := v.Env(filepath.Join(work, "vercel-state"))
	res := &vercelResult{}
	r.vercel = res
	if out, err := exec.CommandContext(ctx, v.Bin, "--version").CombinedOutput(); err == nil {
		res.version, _, _ = strings.Cut(strings.TrimSpace(string(out)), "\n")
	}

	port, err := benchkit.FreePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(v.Bin, "dev", "--local", "--yes", "--listen", "127.0.0.1:"+strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Env = env
	output := proc.NewTail(16 << 10)
	cmd.Stdout, cmd.Stderr = output, output
	start := time.Now()
	p, err := benchkit.Start(cmd)
	if err != nil {
		return err
	}
	defer p.Stop(10 * time.Second)
	url := "http://127.0.0.1:" + strconv.Itoa(port) + o.path
	client := benchkit.NewClient(2 * time.Minute)
	if _, _, err := benchkit.PollFor(ctx, client, url, "", benchkit.Poll{Interval: 50 * time.Millisecond, Timeout: 3 * time.Minute}); err != nil {
		return fmt.Errorf("first request through vercel dev: %w\nvercel output:\n%s", err, output)
	}
	res.first = time.Since(start)
	if res.seq, err = benchkit.Sequential(ctx, client, url, o.vercelRequests); err != nil {
		return fmt.Errorf("sequential requests through vercel dev: %w\nvercel output:\n%s", err, output)
	}
	edit, err := benchkit.NewEditor(filepath.Join(dir, o.editFile), o.marker, o.rename)
	if err != nil {
		return err
	}
	poll := benchkit.Poll{Interval: o.poll, Timeout: 2 * time.Minute}
	for i := 1; i <= max(o.vercelEdits, 1); i++ {
		if err := benchkit.Pause(ctx, benchkit.Settle); err != nil {
			return err
		}
		tag := benchkit.Tag("v", i)
		t0 := time.Now()
		if err := edit.Write(tag); err != nil {
			return err
		}
		seen, _, err := benchkit.PollFor(ctx, client, url, tag, poll)
		if err != nil {
			return fmt.Errorf("vercel dev after editing %s: %w\nvercel output:\n%s", o.editFile, err, output)
		}
		res.save = append(res.save, seen.Sub(t0))
	}
	return nil
}
