package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/bench/internal/load"
)

// report collects every measurement and prints them as Markdown.
type report struct {
	opts    options
	llFirst time.Duration
	llSeq   []time.Duration
	proxy   []load.Pair
	refs    []refRow
	// The proxy overhead measured with wrk: wrk[i].names are the targets
	// after direct, wrkDirect[i] direct's medians.
	wrk        []refRow
	wrkDirect  []wrkResult
	wrkVersion string
	wrkSkipped string
	save       *benchkit.SaveToServed
	reload     *reloadResult
	problems   []string

	vercel    *vercelResult
	vercelErr error
}

// Targets from the issue, printed beside the numbers.
const (
	targetSaveRatio  = 1.15
	targetProxyRatio = 0.3
	targetAddedP50   = 150 * time.Microsecond
)

func (r *report) print() {
	o := r.opts
	fmt.Printf("Project %s (copied), function %s, `GET %s` (direct: `GET %s`).\n\n", o.project, o.function, o.path, o.directPath)

	fmt.Printf("## Proxy overhead\n\n")
	fmt.Printf("Load generator: bench/internal/load, keep-alive connections on 127.0.0.1; %d rounds of %v per target, targets in an order that rotates every round; medians over rounds.\n\n", o.rounds, o.duration)
	load.PrintPairs(os.Stdout, r.proxy)
	fmt.Println()
	for _, p := range r.proxy {
		printTarget("", p.Conns, p.Ratio(), p.AddedP50())
	}

	if len(r.refs) > 0 && len(r.refs[0].names) > 1 {
		fmt.Printf("\nThe same rounds, with bare `httputil.ReverseProxy` processes (bench/refproxy) in front of the same function process as references: req/s as a fraction of direct, and added p50.\n\n")
		printRatios(r.refs, "", "", func(int) string { return "" })
	}

	r.printWrk()

	if s := r.save; s != nil {
		fmt.Printf("\n## Save to served\n\n")
		fmt.Printf("%d timed edits of %s (the text `%s` in it gets a tag appended), lambdalens and floor alternating, one untimed warm-up each. lambdalens: write → %s (`GET %s`) until the tag is served. Floor: write → `CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags=\"-s -w\"` of a main serving the same handler → start → first response.\n\n",
			len(s.LL), o.editFile, o.marker, benchkit.PollMethod(o.poll, o.onBuild), o.path)
		fmt.Println("| | median | min–max |")
		fmt.Println("|---|---:|---:|")
		fmt.Printf("| lambdalens dev: save → new text served | %s | %s |\n", benchkit.Ms(benchkit.Median(s.LL)), benchkit.Spread(s.LL))
		fmt.Printf("| (its build-finished durations) | %s | %s |\n", benchkit.Ms(benchkit.Median(s.LLBuilds)), benchkit.Spread(s.LLBuilds))
		fmt.Printf("| floor: go build + start + first response | %s | %s |\n", benchkit.Ms(benchkit.Median(s.Floor)), benchkit.Spread(s.Floor))
		fmt.Printf("| (its go build alone) | %s | %s |\n", benchkit.Ms(benchkit.Median(s.FloorBuild)), benchkit.Spread(s.FloorBuild))
		ratio := benchkit.Ratio(benchkit.Median(s.LL), benchkit.Median(s.Floor))
		fmt.Printf("\n- lambdalens / floor (medians): %.3f× — target ≤ %.2f× (%s)\n", ratio, targetSaveRatio, verdict(ratio <= targetSaveRatio))
	}

	if rl := r.reload; rl != nil {
		res := rl.load
		fmt.Printf("\n## Reload under load\n\n")
		fmt.Printf("%d connections for %v through lambdalens dev while %s was saved %d times at even intervals.\n\n", res.Conns, o.reloadDuration, o.editFile, len(rl.editedAt))
		fmt.Printf("- requests sent %d, succeeded %d, **failed %d** (target 0: %s)\n", res.Sent, res.OK, res.Failed, verdict(res.Failed == 0))
		fmt.Printf("- %.0f req/s; p50 %s, p99 %s; statuses %s\n", res.ReqPerSec(), benchkit.Ms(res.P(50)), benchkit.Ms(res.P(99)), statuses(res))
		for _, e := range res.Errors {
			fmt.Printf("- error: %s\n", e)
		}
		fmt.Println()
		fmt.Println("| version | saved at | appeared after |")
		fmt.Println("|---:|---:|---:|")
		for k := range rl.editedAt {
			appeared := "never (superseded or failed)"
			if rl.appeared[k] > 0 {
				appeared = benchkit.Ms(rl.appeared[k])
			}
			fmt.Printf("| %d | %.1f s | %s |\n", k+1, rl.editedAt[k].Seconds(), appeared)
		}
		var shown []time.Duration
		for _, d := range rl.appeared {
			if d > 0 {
				shown = append(shown, d)
			}
		}
		fmt.Printf("\n- median time to appear under load: %s; builds reported during the run: %d, median %s\n",
			benchkit.Ms(benchkit.Median(shown)), len(rl.builds), benchkit.Ms(benchkit.Median(rl.builds)))
	}

	fmt.Printf("\n## vercel dev, same project, same run\n\n")
	switch {
	case r.vercel == nil && r.vercelErr == nil:
		fmt.Println("Not run (-vercel off).")
	case r.vercel == nil || r.vercel.first == 0:
		fmt.Printf("Failed: %v\n", r.vercelErr)
	default:
		v := r.vercel
		fmt.Printf("%s: `vercel dev --local --yes --listen 127.0.0.1:PORT` on a copy with `toolchain` added to go.mod. %d sequential requests on one keep-alive connection; %d timed edits (vercel), polled every %v (vercel dev reports no builds).\n\n",
			v.version, len(v.seq), len(v.save), o.poll)
		fmt.Println("| | lambdalens dev | vercel dev | vercel / lambdalens |")
		fmt.Println("|---|---:|---:|---:|")
		row := func(name string, ll, vc time.Duration) {
			fmt.Printf("| %s | %s | %s | %s |\n", name, benchkit.Ms(ll), benchkit.Ms(vc), times(benchkit.Ratio(vc, ll)))
		}
		row("start → first 200 (includes the first build)", r.llFirst, v.first)
		row("per request, p50", benchkit.Percentile(r.llSeq, 50), benchkit.Percentile(v.seq, 50))
		row("per request, p90", benchkit.Percentile(r.llSeq, 90), benchkit.Percentile(v.seq, 90))
		if r.save != nil {
			row("save → new text served, median", benchkit.Median(r.save.LL), benchkit.Median(v.save))
		}
		if r.vercelErr != nil {
			fmt.Printf("\nThen failed: %v\n", r.vercelErr)
		}
	}

	if len(r.problems) > 0 {
		fmt.Printf("\n## Problems lambdalens dev reported\n\n")
		for _, p := range r.problems {
			fmt.Printf("    %s\n", strings.ReplaceAll(p, "\n", "\n    "))
		}
	}
}

// times formats a ratio: "1.4×", "95×".
func times(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.0f×", r)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}

func statuses(r *load.Result) string {
	codes := make([]int, 0, len(r.Statuses))
	for c := range r.Statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d: %d", c, r.Statuses[c]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// printWrk prints the proxy overhead as wrk measured it.
func (r *report) printWrk() {
	if r.wrkSkipped != "" {
		fmt.Printf("\nwrk: %s; the proxy overhead was measured with bench/internal/load only.\n", r.wrkSkipped)
	}
	if len(r.wrk) == 0 {
		return
	}
	o := r.opts
	fmt.Printf("\n### The same with wrk\n\n`wrk -t1 --latency` (%s): a C load generator on one thread, which leaves more of the shared cores to the servers than bench/internal/load; the same targets, %d rounds of %v each, order rotating, medians. req/s as a fraction of direct, and added p50.\n\n", strings.TrimSpace(r.wrkVersion), o.rounds, o.duration)
	printRatios(r.wrk, " direct req/s | direct p50 |", "---:|---:|", func(i int) string {
		return fmt.Sprintf(" %.0f | %s |", r.wrkDirect[i].rps, benchkit.Ms(r.wrkDirect[i].p50))
	})
	fmt.Println()
	for _, rr := range r.wrk {
		printTarget("with wrk, ", rr.conns, rr.ratios[0], rr.addedP50[0])
	}
}

// printRatios prints rows as a Markdown table: the connection count, the
// columns extra adds (extraHead and extraRule head them, extra(i) fills
// row i), then each proxy's req/s ratio to direct and added p50.
func printRatios(rows []refRow, extraHead, extraRule string, extra func(i int) string) {
	head, rule := "| conns |"+extraHead, "|---:|"+extraRule
	for _, n := range rows[0].names {
		head += " " + n + " |"
		rule += "---:|"
	}
	fmt.Println(head)
	fmt.Println(rule)
	for i, rr := range rows {
		line := fmt.Sprintf("| %d |", rr.conns) + extra(i)
		for k := range rr.names {
			line += fmt.Sprintf(" %.2f× (%s) |", rr.ratios[k], load.SignedMs(rr.addedP50[k]))
		}
		fmt.Println(line)
	}
}

// printTarget prints the target for conns connections, if it has
// one, beside what was measured.
func printTarget(prefix string, conns int, ratio float64, addedP50 time.Duration) {
	switch conns {
	case 32:
		fmt.Printf("- %starget proxied/direct ≥ %.2f× at 32 connections: %.2f× (%s)\n", prefix, targetProxyRatio, ratio, verdict(ratio >= targetProxyRatio))
	case 2:
		fmt.Printf("- %starget added p50 ≤ %s (at 2 connections): %s (%s)\n", prefix, benchkit.Ms(targetAddedP50), load.SignedMs(addedP50), verdict(addedP50 <= targetAddedP50))
	}
}
