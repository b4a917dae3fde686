// Command loadgen sends HTTP/1.1 GET load to one URL on 127.0.0.1 and
// prints requests per second and latency percentiles: a fixed number of
// keep-alive connections, each sending requests back to back, bounded by a
// duration and by a request count.
//
//	go run ./bench/loadgen -url http://127.0.0.1:3000/api/hello -c 32 -d 5s
//
// It is the generator the other benchmarks use (package
// bench/internal/load), exposed on its own for ad-hoc comparisons, e.g.
// with wrk.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
	"github.com/lambdalens/lambdalens/bench/internal/load"
)

func main() {
	target := flag.String("url", "", "URL to load (http://127.0.0.1:PORT/path); required")
	conns := flag.Int("c", 2, "connections, each with one worker")
	duration := flag.Duration("d", 5*time.Second, "how long to send load (at most 10m)")
	maxRequests := flag.Int64("n", 5_000_000, "stop after this many requests")
	timeout := flag.Duration("timeout", 10*time.Second, "timeout of one request")
	flag.Parse()
	if *target == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := load.Run(ctx, load.Config{URL: *target, Conns: *conns, Duration: *duration, MaxRequests: *maxRequests, Timeout: *timeout})
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(res)
	fmt.Printf("latency: p50 %s  p90 %s  p99 %s  max %s\n",
		benchkit.Ms(res.P(50)), benchkit.Ms(res.P(90)), benchkit.Ms(res.P(99)), benchkit.Ms(res.P(100)))
	codes := make([]int, 0, len(res.Statuses))
	for code := range res.Statuses {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		fmt.Printf("status %d: %d\n", code, res.Statuses[code])
	}
	for _, e := range res.Errors {
		fmt.Printf("error: %s\n", e)
	}
	if res.Failed > 0 {
		os.Exit(1)
	}
}
