// Command build benchmarks `lambdalens build` on a generated project of Go
// functions (30 by default) and compares it with `vercel build` on the
// same project, in the same run:
//
//   - cold: every cache empty (a fresh GOCACHE and GOMODCACHE, and for
//     lambdalens a fresh build cache);
//   - warm: Go's caches warm, lambdalens's own cache empty;
//   - no-op: nothing changed since the last build;
//   - one file changed: one function's response string edited.
//
// Each scenario prints its median over runs, with the bootstrap sizes of
// the last build. Run it from the module root:
//
//	go run ./bench/build                                   # short (cold once)
//	go run ./bench/build -cold-runs 3 -runs 5              # full
//	go run ./bench/build -vercel off                       # lambdalens only
//	go run ./bench/build -scenarios cold -cold-runs 3 -jobs 1
//
// The Vercel CLI comes from bench/vercel-setup.sh (bench/vercel-compare.sh
// runs both); with -vercel auto it is used when installed. Projects are
// generated (or copied with -project) into a temporary folder.
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

type options struct {
	functions  int
	perDir     int
	project    string
	editFile   string
	editMarker string
	coldRuns   int
	runs       int
	lambdalens string
	jobs       int
	scenarios  []string
	vercel     string
	keep       bool
}

func main() {
	var o options
	flag.IntVar(&o.functions, "functions", 30, "functions in the generated project")
	flag.IntVar(&o.perDir, "per-dir", 5, "functions per folder (package) in the generated project")
	flag.StringVar(&o.project, "project", "", "benchmark a copy of this project instead of a generated one (needs -edit-file and -edit-marker)")
	flag.StringVar(&o.editFile, "edit-file", "", "file changed in the one-file-changed scenario (default: a function of the generated project)")
	flag.StringVar(&o.editMarker, "edit-marker", "", "text in -edit-file that each change appends a tag to")
	flag.IntVar(&o.coldRuns, "cold-runs", 1, "runs of the cold scenario (each compiles the standard library)")
	flag.IntVar(&o.runs, "runs", 3, "runs of the warm, no-op and one-file-changed scenarios")
	flag.StringVar(&o.lambdalens, "lambdalens", "", "lambdalens binary (default: build ./cmd/lambdalens)")
	flag.IntVar(&o.jobs, "jobs", 0, "passed to lambdalens build --jobs (0: its default, the number of CPUs)")
	flag.StringVar(&o.vercel, "vercel", "auto", "compare with vercel build: auto (when installed), on, off")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	only := flag.String("scenarios", strings.Join(scenarios, ","), "scenarios to run, in this order")
	flag.Parse()
	for _, sc := range strings.Split(*only, ",") {
		if sc = strings.TrimSpace(sc); !slices.Contains(scenarios, sc) {
			benchkit.Usage("bench/build", "-scenarios: unknown scenario %q (known: %s)", sc, strings.Join(scenarios, ", "))
		}
		o.scenarios = append(o.scenarios, sc)
	}
	if err := benchkit.CheckVercelMode(o.vercel); err != nil {
		benchkit.Usage("bench/build", "%v", err)
	}
	if o.project != "" && (o.editFile == "" || o.editMarker == "") {
		benchkit.Usage("bench/build", "-project needs -edit-file and -edit-marker")
	}
	o.coldRuns, o.runs = max(o.coldRuns, 1), max(o.runs, 1)
	benchkit.Main("bench/build", func(ctx context.Context) error { return run(ctx, o) })
}

// scenario names, in the order they run.
var scenarios = []string{"cold", "warm", "no-op", "one file changed"}

func run(ctx context.Context, o options) error {
	benchkit.Header(ctx, "lambdalens build benchmark (Go)", "go run ./bench/build")
	ws, err := benchkit.NewWorkspace(ctx, "build", o.lambdalens, o.keep)
	if err != nil {
		return err
	}
	defer ws.Close()
	work, bin := ws.Dir, ws.Bin

	// The pristine project, copied once per contender.
	src := filepath.Join(work, "src")
	desc := o.project
	if o.project == "" {
		fns, err := generate(src, o.functions, o.perDir)
		if err != nil {
			return err
		}
		mid := fns[len(fns)/2]
		o.editFile, o.editMarker = mid.rel, `"hello from `+filepath.Base(mid.rel[:len(mid.rel)-3])
		desc = fmt.Sprintf("generated: %d functions in %d folders of %d, one shared package", len(fns), (len(fns)+o.perDir-1)/o.perDir, o.perDir)
	} else if err := benchkit.CopyTree(o.project, src); err != nil {
		return err
	}

	var cs []contender
	ll, err := newLambdalens(bin, src, filepath.Join(work, "lambdalens"), o)
	if err != nil {
		return err
	}
	cs = append(cs, ll)
	var vercelErr error
	if o.vercel != "off" {
		vc, err := newVercel(ctx, src, filepath.Join(work, "vercel"), o)
		switch {
		case err == nil:
			cs = append(cs, vc)
		case o.vercel == "on":
			return err
		default:
			vercelErr = err
		}
	}

	times := map[string]map[string][]time.Duration{} // contender → scenario → runs
	failed := map[string]error{}
	for _, c := range cs {
		times[c.name()] = map[string][]time.Duration{}
	}
	tag := 0
	for _, sc := range o.scenarios {
		n := o.runs
		if sc == "cold" {
			n = o.coldRuns
		}
		for i := range n {
			tag++
			for _, c := range cs {
				if failed[c.name()] != nil {
					continue
				}
				fmt.Fprintf(os.Stderr, "bench/build: %s, %s, run %d/%d\n", c.name(), sc, i+1, n)
				d, err := c.run(ctx, sc, benchkit.Tag("b", tag))
				if err != nil {
					if c == contender(ll) {
						return fmt.Errorf("lambdalens build, %s: %w", sc, err)
					}
					failed[c.name()] = fmt.Errorf("%s: %w", sc, err)
					continue
				}
				times[c.name()][sc] = append(times[c.name()][sc], d)
			}
		}
	}

	fmt.Printf("Project: %s. One-file change: %s. Runs: cold %d, others %d; medians.\n\n", desc, o.editFile, o.coldRuns, o.runs)
	printTimes(cs, o.scenarios, times)
	fmt.Println()
	fmt.Println("Every run, in order:")
	fmt.Println()
	for _, c := range cs {
		for _, sc := range o.scenarios {
			if ds := times[c.name()][sc]; len(ds) > 0 {
				var parts []string
				for _, d := range ds {
					parts = append(parts, benchkit.Ms(d))
				}
				fmt.Printf("- %s, %s: %s\n", c.name(), sc, strings.Join(parts, ", "))
			}
		}
	}
	fmt.Println()
	for _, c := range cs {
		if err := failed[c.name()]; err != nil {
			fmt.Printf("- %s failed: %v\n", c.name(), err)
		}
		if note := c.note(); note != "" {
			fmt.Printf("- %s: %s\n", c.name(), note)
		}
	}
	if vercelErr != nil {
		fmt.Printf("- vercel build not run: %v\n", vercelErr)
	}
	fmt.Printf("\n## Bootstraps (after the last build)\n\n")
	fmt.Println("| | functions | bootstrap median | total | static | .func total |")
	fmt.Println("|---|---:|---:|---:|---|---:|")
	for _, c := range cs {
		s, err := c.sizes()
		if err != nil {
			fmt.Printf("| %s | %v | | | | |\n", c.name(), err)
			continue
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s |\n", c.name(), s.count, benchkit.MB(s.median), benchkit.MB(s.total), s.static, benchkit.MB(s.funcTotal))
	}
	fmt.Printf("\n- load average at end: %s\n", benchkit.LoadAvg())
	return nil
}

func printTimes(cs []contender, scenarios []string, times map[string]map[string][]time.Duration) {
	fmt.Print("| scenario |")
	for _, c := range cs {
		fmt.Printf(" %s (median) | min–max |", c.name())
	}
	if len(cs) == 2 {
		fmt.Print(" vercel / lambdalens |")
	}
	fmt.Println()
	fmt.Print("|---|")
	for range cs {
		fmt.Print("---:|---:|")
	}
	if len(cs) == 2 {
		fmt.Print("---:|")
	}
	fmt.Println()
	for _, sc := range scenarios {
		fmt.Printf("| %s |", sc)
		var meds []time.Duration
		for _, c := range cs {
			ds := times[c.name()][sc]
			if len(ds) == 0 {
				fmt.Print(" - | - |")
				meds = append(meds, 0)
				continue
			}
			m := benchkit.Median(ds)
			meds = append(meds, m)
			fmt.Printf(" %s | %s |", benchkit.Ms(m), benchkit.Spread(ds))
		}
		if len(cs) == 2 {
			if meds[0] > 0 && meds[1] > 0 {
				fmt.Printf(" %.1f× |", benchkit.Ratio(meds[1], meds[0]))
			} else {
				fmt.Print(" - |")
			}
		}
		fmt.Println()
	}
}
