package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// The siblings benchmark: a project of several FastAPI functions, each
// importing a module of its own and one they all share. An edit of the
// module only the first function imports restarts that function alone; an
// edit of the shared module restarts them all, which is what every edit
// of a .py file cost before the dev server asked the processes what they
// had imported. Both are timed, alternating, from the save until the first
// function serves the edit.

const siblingFn = `from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from lib import shared, own_%[1]d

app = FastAPI()


@app.get("/api/f%[1]d", response_class=PlainTextResponse)
def index():
    return shared.TEXT + " " + own_%[1]d.TEXT
`

// siblingsResult holds the samples of the siblings benchmark.
type siblingsResult struct {
	n                  int
	own, shared        []time.Duration // save → served
	ownBuilt, allBuilt []int           // builds each edit started
}

func benchSiblings(ctx context.Context, o options, bin, venv, work string) (*siblingsResult, error) {
	n := o.siblings
	files := map[string]string{"lib/shared.py": "TEXT = 'shared'\n"}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("api/f%d.py", i)] = fmt.Sprintf(siblingFn, i)
		files[fmt.Sprintf("lib/own_%d.py", i)] = fmt.Sprintf("TEXT = 'own%d'\n", i)
	}
	for name, src := range files {
		p := filepath.Join(work, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return nil, err
		}
	}
	dev, err := benchkit.StartDev(ctx, bin, work, venvEnv(venv), 2*time.Minute)
	if err != nil {
		return nil, err
	}
	defer dev.Stop()
	client := benchkit.NewClient(2 * time.Minute)
	for i := 1; i <= n; i++ {
		url := fmt.Sprintf("%s/api/f%d", dev.URL, i)
		if _, _, err := benchkit.PollFor(ctx, client, url, "own", benchkit.Poll{Interval: 50 * time.Millisecond, Timeout: 3 * time.Minute}); err != nil {
			return nil, fmt.Errorf("first request to %s: %w\n%s", url, err, strings.Join(dev.Problems(), "\n"))
		}
	}
	own, err := benchkit.NewEditor(filepath.Join(work, "lib", "own_1.py"), "own1", false)
	if err != nil {
		return nil, err
	}
	shared, err := benchkit.NewEditor(filepath.Join(work, "lib", "shared.py"), "shared", false)
	if err != nil {
		return nil, err
	}
	url := dev.URL + "/api/f1"
	poll := dev.SavePoll(o.poll, o.onBuild)
	res := &siblingsResult{n: n}
	// sample edits one module and waits for the edit to be served and
	// for every build it started to end, so that the next sample starts
	// on a quiet machine.
	sample := func(ed *benchkit.Editor, file, tag string) (time.Duration, int, error) {
		if err := dev.WaitIdle(ctx, 3*time.Minute); err != nil {
			return 0, 0, err
		}
		if err := benchkit.Pause(ctx, benchkit.Settle); err != nil {
			return 0, 0, err
		}
		before := dev.Started()
		d, err := benchkit.EditAndPoll(ctx, dev, client, url, ed, poll, file)(tag)
		if err != nil {
			return 0, 0, err
		}
		if err := dev.WaitIdle(ctx, 3*time.Minute); err != nil {
			return 0, 0, err
		}
		return d, dev.Started() - before, nil
	}
	// The shared module's tag stays in what /api/f1 serves, so each
	// sample waits for its own tag only.
	for i := 0; i <= o.edits; i++ {
		d, built, err := sample(own, "lib/own_1.py", benchkit.Tag("o", i))
		if err != nil {
			return nil, err
		}
		d2, built2, err := sample(shared, "lib/shared.py", benchkit.Tag("a", i))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			continue // untimed: warms the interpreter's caches for both
		}
		res.own, res.ownBuilt = append(res.own, d), append(res.ownBuilt, built)
		res.shared, res.allBuilt = append(res.shared, d2), append(res.allBuilt, built2)
	}
	return res, nil
}

func (r *siblingsResult) print(o options) {
	fmt.Printf("## dev: %d sibling FastAPI functions\n\n", r.n)
	fmt.Printf("api/f1.py … api/f%d.py each import lib/own_<i>.py and lib/shared.py. %d timed edits of each module, alternating; save → the edit served by /api/f1 (%s). Each sample starts once the builds of the one before have ended.\n\n",
		r.n, len(r.own), benchkit.PollMethod(o.poll, o.onBuild))
	fmt.Println("| edited module | restarts per edit | save → served, median | min–max |")
	fmt.Println("|---|---:|---:|---:|")
	fmt.Printf("| lib/own_1.py (imported by f1 only) | %s | %s | %s |\n", counts(r.ownBuilt), benchkit.Ms(benchkit.Median(r.own)), benchkit.Spread(r.own))
	fmt.Printf("| lib/shared.py (imported by all) | %s | %s | %s |\n", counts(r.allBuilt), benchkit.Ms(benchkit.Median(r.shared)), benchkit.Spread(r.shared))
	fmt.Printf("\n- own / shared (medians): %.3f×\n\n", benchkit.Ratio(benchkit.Median(r.own), benchkit.Median(r.shared)))
}

// counts prints the distinct values of c.
func counts(c []int) string {
	seen := map[int]bool{}
	var out []string
	for _, v := range c {
		if !seen[v] {
			seen[v] = true
			out = append(out, fmt.Sprint(v))
		}
	}
	return strings.Join(out, ", ")
}
