package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// The proxy overhead is measured a second time with wrk (Debian's
// package, named by the issue beside a Go load generator): a C program on
// one thread, which takes less of the two shared cores from the servers
// it measures than bench/internal/load does. Same targets, same rounds,
// its own numbers: the two generators are compared only through ratios.

// benchWrk runs the wrk rounds when -wrk asks for them and wrk is
// installed; -wrk auto without wrk records why there are none.
func benchWrk(ctx context.Context, o options, urls, names []string, r *report) error {
	if o.wrk == "off" {
		return nil
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		if o.wrk == "on" {
			return fmt.Errorf("-wrk on: %w (Debian: apt-get install wrk)", err)
		}
		r.wrkSkipped = "not installed (Debian: `apt-get install wrk`)"
		return nil
	}
	// wrk prints its version with a usage error.
	out, _ := exec.CommandContext(ctx, "wrk", "--version").CombinedOutput()
	r.wrkVersion, _, _ = strings.Cut(string(out), " [")
	fmt.Fprintln(os.Stderr, "bench/dev: proxy overhead with wrk")
	var err error
	r.wrk, r.wrkDirect, err = compareWrk(ctx, urls, names, o.conns, o.rounds, o.duration)
	return err
}

// wrkResult is one wrk run.
type wrkResult struct {
	rps      float64
	p50, p99 time.Duration
}

// runWrk loads url with conns connections on one wrk thread for d. A
// response other than 2xx/3xx, or a socket error, fails the run, as
// bench/internal/load does.
func runWrk(ctx context.Context, url string, conns int, d time.Duration) (wrkResult, error) {
	secs := max(1, int((d+time.Second-1)/time.Second))
	cmd := exec.CommandContext(ctx, "wrk", "-t1", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s", "--latency", url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk on %s: %w\n%s", url, err, out)
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk on %s: %w\n%s", url, err, out)
	}
	return res, nil
}

// parseWrk reads the report of `wrk --latency`.
func parseWrk(out string) (wrkResult, error) {
	var res wrkResult
	var err error
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 0:
		case f[0] == "Non-2xx" || f[0] == "Socket" && len(f) > 1 && f[1] == "errors:":
			return wrkResult{}, errors.New(strings.Join(f, " "))
		case f[0] == "50%" && len(f) == 2:
			res.p50, err = wrkDuration(f[1])
		case f[0] == "99%" && len(f) == 2:
			res.p99, err = wrkDuration(f[1])
		case f[0] == "Requests/sec:" && len(f) == 2:
			res.rps, err = strconv.ParseFloat(f[1], 64)
		}
		if err != nil {
			return wrkResult{}, fmt.Errorf("reading %q: %w", sc.Text(), err)
		}
	}
	if res.p50 == 0 || res.p99 == 0 || res.rps == 0 {
		return wrkResult{}, errors.New("no latency distribution or request rate in the output (is it `wrk --latency`?)")
	}
	return res, nil
}

// wrkDuration parses wrk's latencies: 63.00us, 2.20ms, 1.01s.
func wrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, err
			}
			return time.Duration(v * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("unknown unit in %q", s)
}

// compareWrk loads every URL in turn with wrk, rounds times per
// connection count, the order rotating every round like
// load.CompareMany; urls[0] is the direct target. It returns the ratio
// and added p50 of every other URL against it (medians over rounds), and
// the direct medians.
func compareWrk(ctx context.Context, urls, names []string, conns []int, rounds int, d time.Duration) ([]refRow, []wrkResult, error) {
	var rows []refRow
	var directs []wrkResult
	for _, c := range conns {
		results := make([][]wrkResult, len(urls))
		for round := range max(rounds, 1) {
			for k := range urls {
				j := (k + round) % len(urls)
				res, err := runWrk(ctx, urls[j], c, d)
				if err != nil {
					return nil, nil, err
				}
				results[j] = append(results[j], res)
			}
		}
		direct := medianWrk(results[0])
		rr := refRow{conns: c, names: names[1:]}
		for _, rs := range results[1:] {
			m := medianWrk(rs)
			rr.ratios = append(rr.ratios, m.rps/direct.rps)
			rr.addedP50 = append(rr.addedP50, m.p50-direct.p50)
		}
		rows, directs = append(rows, rr), append(directs, direct)
	}
	return rows, directs, nil
}

func medianWrk(rs []wrkResult) wrkResult {
	var rps []float64
	var p50, p99 []time.Duration
	for _, r := range rs {
		rps, p50, p99 = append(rps, r.rps), append(p50, r.p50), append(p99, r.p99)
	}
	return wrkResult{rps: benchkit.MedianFloat(rps), p50: benchkit.Median(p50), p99: benchkit.Median(p99)}
}
