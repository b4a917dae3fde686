// Command python benchmarks `lambdalens dev` and `lambdalens build` on the
// Python examples against baselines measured in the same run:
//
//   - save to served: edit a handler's response string and poll until the
//     new text is served, against the floor: a plain interpreter start
//     that imports the app (the least any design that restarts Python
//     pays);
//   - requests per second and latency through the dev server against the
//     same process hit directly on its own port;
//   - save to served with several FastAPI functions, for an edit of a
//     module one of them imports against one all of them import;
//   - build time of examples/python-fastapi, cold (empty caches), warm
//     (package caches warm, lambdalens's own cache empty) and no-op, with
//     bundle sizes, beside `vercel build` on the same project when
//     bench/vercel-setup.sh has installed it (it needs Python ≥ 3.12).
//
// Run it from the module root:
//
//	go run ./bench/python                               # short
//	go run ./bench/python -python python3.12 -duration 5s -edits 10 -build-runs 5
//
// Everything runs with one interpreter (-python), through a virtual
// environment per example kept in the benchmark cache
// (~/.cache/lambdalens-bench). Examples are copied to a temporary folder
// and never edited.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// example is one Python project the benchmark knows how to drive.
type example struct {
	name     string // folder under examples/
	path     string // request path (same through the proxy and direct)
	function string // function ID
	editFile string
	marker   string
}

var examples = []example{
	{name: "python-basic", path: "/api/hello?name=bench", function: "api/hello", editFile: "api/hello.py", marker: `"message`},
	{name: "python-fastapi", path: "/", function: "fastapi", editFile: "main.py", marker: `"message`},
}

// buildExample is the project of the build benchmark.
const buildExample = "python-fastapi"

type options struct {
	examples   string
	only       []string
	python     string
	lambdalens string
	keep       bool
	poll       time.Duration
	onBuild    bool
	duration   time.Duration
	rounds     int
	conns      []int
	edits      int
	build      bool
	buildRuns  int
	vercel     string
	siblings   int
}

func main() {
	var o options
	var only, conns string
	flag.StringVar(&o.examples, "examples", "examples", "folder holding the Python examples")
	flag.StringVar(&only, "only", "python-basic,python-fastapi", "examples to benchmark in dev")
	flag.StringVar(&o.python, "python", "python3", "Python interpreter for everything (lambdalens, the floor, vercel build)")
	flag.StringVar(&o.lambdalens, "lambdalens", "", "lambdalens binary (default: build ./cmd/lambdalens)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "interval between requests while waiting for a new version (with -on-build: vercel dev's only)")
	flag.BoolVar(&o.onBuild, "on-build", true, "wait for lambdalens's new version by requesting it when lambdalens reports a finished build, and every 50ms besides, instead of every -poll")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of each load run")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the proxy overhead benchmark")
	flag.StringVar(&conns, "conns", "2,32", "connection counts of the proxy overhead benchmark")
	flag.IntVar(&o.edits, "edits", 5, "timed edits of save-to-served per example")
	flag.BoolVar(&o.build, "build", true, "benchmark lambdalens build on "+buildExample)
	flag.IntVar(&o.buildRuns, "build-runs", 3, "runs of each build scenario")
	flag.StringVar(&o.vercel, "vercel", "auto", "compare with vercel build: auto (when installed), on, off")
	flag.IntVar(&o.siblings, "siblings", 4, "FastAPI functions of the siblings benchmark (restarts of the functions that imported an edited module); 0 skips it")
	flag.Parse()
	var err error
	if o.conns, err = benchkit.Counts(conns); err != nil {
		benchkit.Usage("bench/python", "-conns: %v", err)
	}
	for _, name := range strings.Split(only, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !slices.ContainsFunc(examples, func(e example) bool { return e.name == name }) {
			benchkit.Usage("bench/python", "-only: unknown example %q", name)
		}
		o.only = append(o.only, name)
	}
	if err := benchkit.CheckVercelMode(o.vercel); err != nil {
		benchkit.Usage("bench/python", "%v", err)
	}
	o.edits, o.buildRuns = max(o.edits, 1), max(o.buildRuns, 1)
	benchkit.Main("bench/python", func(ctx context.Context) error { return run(ctx, o) })
}

func run(ctx context.Context, o options) error {
	benchkit.Header(ctx, "lambdalens Python benchmark", "go run ./bench/python")
	in, err := findInterpreter(ctx, o.python)
	if err != nil {
		return err
	}
	fmt.Printf("Interpreter: %s (Python %s), through a virtual environment per example.\n\n", in.path, in.version)
	ws, err := benchkit.NewWorkspace(ctx, "python", o.lambdalens, o.keep)
	if err != nil {
		return err
	}
	defer ws.Close()
	work, bin := ws.Dir, ws.Bin
	examplesDir, err := filepath.Abs(o.examples)
	if err != nil {
		return err
	}
	for _, ex := range examples {
		if !slices.Contains(o.only, ex.name) {
			continue
		}
		src := filepath.Join(examplesDir, ex.name)
		venv, err := in.venv(ctx, ex.name, src)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench/python: dev, %s\n", ex.name)
		res, err := benchDev(ctx, o, bin, ex, src, venv, filepath.Join(work, ex.name))
		if err != nil {
			fmt.Printf("## dev: %s\n\nFailed: %v\n\n", ex.name, err)
			continue
		}
		res.print(o, ex)
	}
	if o.siblings > 0 {
		venv, err := in.venv(ctx, "python-fastapi", filepath.Join(examplesDir, "python-fastapi"))
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench/python: dev, %d sibling functions\n", o.siblings)
		res, err := benchSiblings(ctx, o, bin, venv, filepath.Join(work, "siblings"))
		if err != nil {
			fmt.Printf("## dev: sibling functions\n\nFailed: %v\n\n", err)
		} else {
			res.print(o)
		}
	}
	if o.build {
		src := filepath.Join(examplesDir, buildExample)
		venv, err := in.venv(ctx, buildExample, src)
		if err != nil {
			return err
		}
		benchBuild(ctx, o, in, bin, src, venv, filepath.Join(work, "build"))
	}
	fmt.Printf("\n- load average at end: %s\n", benchkit.LoadAvg())
	return nil
}
