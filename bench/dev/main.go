// Command dev benchmarks `lambdalens dev` on a Go project against
// baselines measured in the same run:
//
//   - proxy overhead: requests per second and p50/p99 latency through the
//     dev server against the same function process hit directly on its
//     own port, at 2 and 32 connections;
//   - save to served: edit a handler's response string and poll until the
//     new text is served, against the floor: `go build` of an equivalent
//     main with the same flags, process start and first response, after
//     the same edit;
//   - reload under load: 32 connections while the handler is edited a few
//     times: requests sent and failed, and how long each version took to
//     appear;
//   - the same per-request latency and save to served on `vercel dev` for
//     the same project (when bench/vercel-setup.sh has installed it).
//
// Run it from the module root:
//
//	go run ./bench/dev                                  # short (≈ 1 min)
//	go run ./bench/dev -duration 10s -rounds 3 -edits 10 -reload-duration 20s -vercel-requests 200
//
// It works on copies of the project in a temporary folder and never edits
// the original. It prints a Markdown report; nothing is asserted.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/bench/internal/load"
)

type options struct {
	project    string
	path       string
	directPath string
	function   string
	editFile   string
	marker     string
	symbol     string
	lambdalens string
	keep       bool
	rename     bool
	poll       time.Duration
	onBuild    bool

	duration time.Duration
	rounds   int
	conns    []int

	edits int

	reloadDuration time.Duration
	reloadEdits    int
	reloadConns    int

	vercel         string
	reference      bool
	wrk            string
	root           string // module root, set by run
	vercelRequests int
	vercelEdits    int
}

func main() {
	var o options
	var conns string
	flag.StringVar(&o.project, "project", "examples/go-api", "Go project to benchmark (copied, never edited)")
	flag.StringVar(&o.path, "path", "/api/users/42", "request path (with query) served by -function through the dev server")
	flag.StringVar(&o.directPath, "direct-path", "/api/users/42?id=42", "the same request sent to the function's own port (the dev server adds route parameters to the query)")
	flag.StringVar(&o.function, "function", "api/users/[id]", "function ID whose process is hit directly")
	flag.StringVar(&o.editFile, "edit-file", "api/users/[id].go", "handler file edited for save-to-served, relative to the project")
	flag.StringVar(&o.marker, "edit-marker", `"user `, "text in -edit-file that part of the response comes from; edits append a version tag to it")
	flag.StringVar(&o.symbol, "symbol", "Handler", "handler function of -edit-file (the floor's main calls it)")
	flag.StringVar(&o.lambdalens, "lambdalens", "", "lambdalens binary (default: build ./cmd/lambdalens)")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder")
	flag.BoolVar(&o.rename, "rename", false, "save edits by renaming a temporary file over the handler (default: rewrite in place)")
	flag.DurationVar(&o.poll, "poll", 5*time.Millisecond, "interval between requests while waiting for a new version (with -on-build: vercel dev's only)")
	flag.BoolVar(&o.onBuild, "on-build", true, "wait for lambdalens's new version by requesting it when lambdalens reports a finished build, and every 50ms besides, instead of every -poll")
	flag.DurationVar(&o.duration, "duration", 2*time.Second, "length of each load run of the proxy overhead benchmark")
	flag.IntVar(&o.rounds, "rounds", 3, "rounds of the proxy overhead benchmark (direct and proxied alternate)")
	flag.StringVar(&conns, "conns", "2,32", "connection counts of the proxy overhead benchmark")
	flag.IntVar(&o.edits, "edits", 5, "timed edits of save-to-served (each for lambdalens and for the floor)")
	flag.DurationVar(&o.reloadDuration, "reload-duration", 10*time.Second, "length of the reload-under-load run")
	flag.IntVar(&o.reloadEdits, "reload-edits", 5, "edits during the reload-under-load run")
	flag.IntVar(&o.reloadConns, "reload-conns", 32, "connections during the reload-under-load run")
	flag.StringVar(&o.vercel, "vercel", "auto", "compare with vercel dev: auto (when installed), on, off")
	flag.BoolVar(&o.reference, "reference", true, "also measure bare httputil.ReverseProxy processes (bench/refproxy) in the same rounds")
	flag.StringVar(&o.wrk, "wrk", "auto", "measure the proxy overhead a second time with wrk: auto (when on PATH), on, off")
	flag.IntVar(&o.vercelRequests, "vercel-requests", 20, "sequential requests for the per-request latency comparison")
	flag.IntVar(&o.vercelEdits, "vercel-edits", 3, "timed edits of save-to-served on vercel dev")
	flag.Parse()

	var err error
	if o.conns, err = benchkit.Counts(conns); err != nil {
		benchkit.Usage("bench/dev", "-conns: %v", err)
	}
	if err := benchkit.CheckVercelMode(o.vercel); err != nil {
		benchkit.Usage("bench/dev", "%v", err)
	}
	if o.wrk != "auto" && o.wrk != "on" && o.wrk != "off" {
		benchkit.Usage("bench/dev", "-wrk must be auto, on or off, not %q", o.wrk)
	}
	o.rounds = max(o.rounds, 1)
	o.edits = max(o.edits, 1)

	benchkit.Main("bench/dev", func(ctx context.Context) error { return run(ctx, o) })
}

func run(ctx context.Context, o options) error {
	benchkit.Header(ctx, "lambdalens dev benchmark (Go)", "go run ./bench/dev")
	project, err := filepath.Abs(o.project)
	if err != nil {
		return err
	}
	ws, err := benchkit.NewWorkspace(ctx, "dev", o.lambdalens, o.keep)
	if err != nil {
		return err
	}
	defer ws.Close()
	root, work, bin := ws.Root, ws.Dir, ws.Bin

	// Each contender gets its own copy of the project.
	name := filepath.Base(project)
	llDir := filepath.Join(work, "lambdalens", name)
	floorDir := filepath.Join(work, "floor", name)
	for _, dir := range []string{llDir, floorDir} {
		if err := benchkit.CopyTree(project, dir); err != nil {
			return fmt.Errorf("copying %s: %w", project, err)
		}
	}

	o.root = root
	r := &report{opts: o}
	if err := benchLambdalens(ctx, o, bin, llDir, floorDir, work, r); err != nil {
		return err
	}
	if o.vercel != "off" {
		if err := benchVercel(ctx, o, project, work, r); err != nil {
			if o.vercel == "on" {
				return err
			}
			r.vercelErr = err
		}
	}
	r.print()
	fmt.Printf("\n- load average at end: %s\n", benchkit.LoadAvg())
	return nil
}

// benchLambdalens runs every measurement that needs the lambdalens dev
// server, in an order that keeps them independent: proxy overhead and
// sequential latency on the first process, then the edits.
func benchLambdalens(ctx context.Context, o options, bin, llDir, floorDir, work string, r *report) error {
	start := time.Now()
	dev, err := benchkit.StartDev(ctx, bin, llDir, nil, 2*time.Minute)
	if err != nil {
		return err
	}
	defer dev.Stop()
	url := dev.URL + o.path
	client := benchkit.NewClient(2 * time.Minute)
	if _, _, err := benchkit.PollFor(ctx, client, url, "", benchkit.Poll{Interval: 50 * time.Millisecond, Timeout: 3 * time.Minute}); err != nil {
		return fmt.Errorf("first request through lambdalens dev: %w\n%s", err, strings.Join(dev.Problems(), "\n"))
	}
	r.llFirst = time.Since(start)
	addr, err := dev.ProcessAddr(ctx, o.function, 30*time.Second)
	if err != nil {
		return err
	}
	direct := "http://" + addr + o.directPath

	fmt.Fprintln(os.Stderr, "bench/dev: proxy overhead")
	urls, names := []string{direct, url}, []string{"direct", "lambdalens dev"}
	if o.reference {
		refBin, err := benchkit.Build(ctx, o.root, "./bench/refproxy", filepath.Join(work, "bin", "refproxy"))
		if err != nil {
			return err
		}
		for _, ref := range []struct {
			name string
			idle int
		}{{"ReverseProxy, default transport", 0}, {"ReverseProxy, 256 idle conns per host", 256}} {
			rp, err := startRefProxy(refBin, ref.name, "http://"+addr, ref.idle)
			if err != nil {
				return err
			}
			defer rp.proc.Stop(5 * time.Second)
			urls, names = append(urls, rp.url+o.directPath), append(names, ref.name)
		}
	}
	rows, err := load.CompareMany(ctx, urls, o.conns, o.rounds, o.duration)
	if err != nil {
		return err
	}
	for _, row := range rows {
		r.proxy = append(r.proxy, load.Pair{Conns: row.Conns, Direct: row.Results[0], Proxied: row.Results[1]})
	}
	r.refs = refRows(rows, names)
	if err := benchWrk(ctx, o, urls, names, r); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench/dev: sequential latency")
	if r.llSeq, err = benchkit.Sequential(ctx, client, url, o.vercelRequests); err != nil {
		return fmt.Errorf("sequential requests through lambdalens dev: %w", err)
	}
	// Both edit phases start from the original file, so every version
	// differs from the original by exactly one tag.
	edit, err := benchkit.NewEditor(filepath.Join(llDir, o.editFile), o.marker, o.rename)
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench/dev: save to served")
	if r.save, err = benchSaveToServed(ctx, o, dev, client, url, edit, floorDir, work); err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "bench/dev: reload under load")
	if r.reload, err = benchReload(ctx, o, dev, url, edit); err != nil {
		return err
	}
	r.problems = dev.Problems()
	return nil
}
