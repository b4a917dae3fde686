package load

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// Pair is a proxy-overhead measurement at one connection count: one
// result per round for the target hit directly and through the proxy.
type Pair struct {
	Conns           int
	Direct, Proxied []*Result
}

// Compare loads direct and proxied in alternation (the order flips every
// round), rounds times per connection count, each run lasting d, after a
// short warm-up of both. Any failed request is an error: overhead numbers
// from a failing server mean nothing.
func Compare(ctx context.Context, direct, proxied string, conns []int, rounds int, d time.Duration) ([]Pair, error) {
	rows, err := CompareMany(ctx, []string{direct, proxied}, conns, rounds, d)
	if err != nil {
		return nil, err
	}
	pairs := make([]Pair, len(rows))
	for i, r := range rows {
		pairs[i] = Pair{Conns: r.Conns, Direct: r.Results[0], Proxied: r.Results[1]}
	}
	return pairs, nil
}

// Row is one connection count of CompareMany: Results[i] are the rounds
// of urls[i].
type Row struct {
	Conns   int
	Results [][]*Result
}

// CompareMany loads every URL in turn, rounds times per connection count,
// each run lasting d, after a short warm-up of each; the order rotates
// every round so that no target always runs first. Any failed request is
// an error.
func CompareMany(ctx context.Context, urls []string, conns []int, rounds int, d time.Duration) ([]Row, error) {
	rows := make([]Row, len(conns))
	for i, c := range conns {
		rows[i] = Row{Conns: c, Results: make([][]*Result, len(urls))}
		for _, url := range urls {
			if _, err := strict(ctx, url, c, 300*time.Millisecond); err != nil {
				return nil, err
			}
		}
	}
	for round := range max(rounds, 1) {
		for i, c := range conns {
			for k := range urls {
				j := (k + round) % len(urls)
				res, err := strict(ctx, urls[j], c, d)
				if err != nil {
					return nil, err
				}
				rows[i].Results[j] = append(rows[i].Results[j], res)
			}
		}
	}
	return rows, nil
}

func strict(ctx context.Context, url string, conns int, d time.Duration) (*Result, error) {
	res, err := Run(ctx, Config{URL: url, Conns: conns, Duration: d})
	if err != nil {
		return nil, err
	}
	if res.Failed > 0 {
		return nil, fmt.Errorf("loading %s: %d of %d requests failed (statuses %v, errors %v)", url, res.Failed, res.Sent, res.Statuses, res.Errors)
	}
	if res.OK == 0 {
		return nil, fmt.Errorf("loading %s: no request succeeded", url)
	}
	return res, nil
}

// Summary is the median over rounds of one target's numbers.
type Summary struct {
	RPS      float64
	P50, P99 time.Duration
}

// Summarize takes the medians of rs.
func Summarize(rs []*Result) Summary {
	var rps []float64
	var p50, p99 []time.Duration
	for _, r := range rs {
		rps = append(rps, r.ReqPerSec())
		p50 = append(p50, r.P(50))
		p99 = append(p99, r.P(99))
	}
	return Summary{RPS: benchkit.MedianFloat(rps), P50: benchkit.Median(p50), P99: benchkit.Median(p99)}
}

// Ratio is proxied req/s over direct req/s (medians).
func (p Pair) Ratio() float64 {
	d := Summarize(p.Direct)
	if d.RPS == 0 {
		return 0
	}
	return Summarize(p.Proxied).RPS / d.RPS
}

// AddedP50 is proxied p50 minus direct p50 (medians).
func (p Pair) AddedP50() time.Duration {
	return Summarize(p.Proxied).P50 - Summarize(p.Direct).P50
}

// PrintPairs writes pairs as a Markdown table.
func PrintPairs(w io.Writer, pairs []Pair) {
	fmt.Fprintln(w, "| conns | direct req/s | proxied req/s | proxied/direct | direct p50 | proxied p50 | added p50 | direct p99 | proxied p99 |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range pairs {
		d, x := Summarize(p.Direct), Summarize(p.Proxied)
		fmt.Fprintf(w, "| %d | %.0f | %.0f | %.2f× | %s | %s | %s | %s | %s |\n",
			p.Conns, d.RPS, x.RPS, p.Ratio(), benchkit.Ms(d.P50), benchkit.Ms(x.P50), SignedMs(p.AddedP50()), benchkit.Ms(d.P99), benchkit.Ms(x.P99))
	}
}

// SignedMs formats a latency difference with its sign.
func SignedMs(d time.Duration) string {
	if d < 0 {
		return "−" + benchkit.Ms(-d)
	}
	return "+" + benchkit.Ms(d)
}
