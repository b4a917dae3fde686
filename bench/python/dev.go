package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/bench/internal/load"
)

// devResult is what the dev benchmark measured on one example.
type devResult struct {
	first time.Duration // start → first 200 (includes the interpreter start)
	proxy []load.Pair
	// save holds the save-to-served samples; the floor is interpreter
	// start + import of the app.
	save *benchkit.SaveToServed
}

// floorScript starts nothing but the interpreter and imports the app by
// its file, with the project root on sys.path, as a dev server must.
const floorScript = `import importlib.util, sys
root, path = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
spec = importlib.util.spec_from_file_location("lambdalens_bench_floor", path)
mod = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = mod
spec.loader.exec_module(mod)
`

func benchDev(ctx context.Context, o options, bin string, ex example, src, venv, work string) (*devResult, error) {
	llDir, floorDir := filepath.Join(work, "lambdalens", ex.name), filepath.Join(work, "floor", ex.name)
	for _, dir := range []string{llDir, floorDir} {
		if err := benchkit.CopyTree(src, dir); err != nil {
			return nil, err
		}
	}
	res := &devResult{}
	start := time.Now()
	dev, err := benchkit.StartDev(ctx, bin, llDir, venvEnv(venv), 2*time.Minute)
	if err != nil {
		return nil, err
	}
	defer dev.Stop()
	url := dev.URL + ex.path
	client := benchkit.NewClient(2 * time.Minute)
	if _, _, err := benchkit.PollFor(ctx, client, url, "", benchkit.Poll{Interval: 50 * time.Millisecond, Timeout: 3 * time.Minute}); err != nil {
		return nil, fmt.Errorf("first request through lambdalens dev: %w\n%s\n%s", err, strings.Join(dev.Problems(), "\n"), dev.Stderr())
	}
	res.first = time.Since(start)
	addr, err := dev.ProcessAddr(ctx, ex.function, 30*time.Second)
	if err != nil {
		return nil, err
	}
	if res.proxy, err = load.Compare(ctx, "http://"+addr+ex.path, url, o.conns, o.rounds, o.duration); err != nil {
		return nil, err
	}

	llEdit, err := benchkit.NewEditor(filepath.Join(llDir, ex.editFile), ex.marker, false)
	if err != nil {
		return nil, err
	}
	floorEdit, err := benchkit.NewEditor(filepath.Join(floorDir, ex.editFile), ex.marker, false)
	if err != nil {
		return nil, err
	}
	poll := dev.SavePoll(o.poll, o.onBuild)
	python := filepath.Join(venv, "bin", "python")
	floorEnv := venvEnv(venv, "PYTHONUNBUFFERED=1", "PYTHONPYCACHEPREFIX="+filepath.Join(work, "floor-pycache"))
	floorSample := func(tag string) (benchkit.FloorSample, error) {
		t0 := time.Now()
		if err := floorEdit.Write(tag); err != nil {
			return benchkit.FloorSample{}, err
		}
		cmd := exec.CommandContext(ctx, python, "-c", floorScript, floorDir, filepath.Join(floorDir, ex.editFile))
		cmd.Dir = floorDir
		cmd.Env = floorEnv
		if _, err := benchkit.Timed(cmd); err != nil {
			return benchkit.FloorSample{}, fmt.Errorf("the floor (import of %s): %w", ex.editFile, err)
		}
		return benchkit.FloorSample{Total: time.Since(t0)}, nil
	}
	res.save, err = benchkit.AlternateEdits(ctx, dev, o.edits, benchkit.EditAndPoll(ctx, dev, client, url, llEdit, poll, ex.editFile), floorSample)
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *devResult) print(o options, ex example) {
	fmt.Printf("## dev: %s\n\n", ex.name)
	fmt.Printf("Function %s, `GET %s` (same path direct). Start → first 200: %s.\n\n", ex.function, ex.path, benchkit.Ms(r.first))
	fmt.Printf("### Requests through the dev server vs. direct\n\n%d rounds of %v per target, alternating; medians.\n\n", o.rounds, o.duration)
	load.PrintPairs(os.Stdout, r.proxy)
	fmt.Printf("\n### Save to served\n\n")
	fmt.Printf("%d timed edits of %s (the text `%s` in it gets a tag appended), alternating with the floor. lambdalens: write → %s until the tag is served. Floor: write → `python -c` that imports %s with the project root on sys.path → exit.\n\n",
		len(r.save.LL), ex.editFile, ex.marker, benchkit.PollMethod(o.poll, o.onBuild), ex.editFile)
	fmt.Println("| | median | min–max |")
	fmt.Println("|---|---:|---:|")
	fmt.Printf("| lambdalens dev: save → new text served | %s | %s |\n", benchkit.Ms(benchkit.Median(r.save.LL)), benchkit.Spread(r.save.LL))
	fmt.Printf("| (its build-finished durations) | %s | %s |\n", benchkit.Ms(benchkit.Median(r.save.LLBuilds)), benchkit.Spread(r.save.LLBuilds))
	fmt.Printf("| floor: interpreter start + import | %s | %s |\n", benchkit.Ms(benchkit.Median(r.save.Floor)), benchkit.Spread(r.save.Floor))
	fmt.Printf("\n- lambdalens / floor (medians): %.3f×\n\n", benchkit.Ratio(benchkit.Median(r.save.LL), benchkit.Median(r.save.Floor)))
}
