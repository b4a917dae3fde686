// Package load is a small HTTP/1.1 load generator for the benchmarks: a
// fixed number of keep-alive connections, each owned by one worker that
// sends GET requests back to back, bounded by a duration and by a total
// request count, against 127.0.0.1 only.
//
// It speaks HTTP on raw connections (a pre-rendered request, responses
// read with net/http's parser) rather than through http.Client, so that
// the generator's own cost stays small and the same for every target it
// is pointed at: on a two-core machine it shares the CPUs with the servers
// it measures, and only ratios between targets measured the same way mean
// anything.
package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

// Config describes one load run.
type Config struct {
	// URL is the http URL requested; its host must be 127.0.0.1.
	URL string
	// Conns is the number of connections (and workers). Default 1.
	Conns int
	// Duration bounds the run. Default 5 s; at most 10 minutes.
	Duration time.Duration
	// MaxRequests bounds the number of requests sent. Default 5,000,000.
	MaxRequests int64
	// Timeout bounds one request. Default 10 s.
	Timeout time.Duration
	// Check, when set, is called with every complete response (from many
	// goroutines at once) and reports whether it counts as a success; by
	// default a response succeeds when its status is 200.
	Check func(status int, body []byte, at time.Time) bool
}

// Result is what a run measured.
type Result struct {
	Conns int
	// Sent counts requests made; OK and Failed split them. A request cut
	// short by the end of the run is not counted at all.
	Sent, OK, Failed int64
	// Statuses counts responses by status code.
	Statuses map[int]int64
	// Errors holds up to 10 distinct transport errors seen.
	Errors []string
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
	// Latencies of successful requests, sorted.
	Latencies []time.Duration
}

// ReqPerSec is successful requests per second.
func (r *Result) ReqPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// P returns the p-th latency percentile.
func (r *Result) P(p float64) time.Duration { return benchkit.Percentile(r.Latencies, p) }

// String is a one-line summary.
func (r *Result) String() string {
	return fmt.Sprintf("%d conns: %.0f req/s, p50 %s, p99 %s, %d ok, %d failed in %s",
		r.Conns, r.ReqPerSec(), benchkit.Ms(r.P(50)), benchkit.Ms(r.P(99)), r.OK, r.Failed, r.Elapsed.Round(time.Millisecond))
}

// Bounds the generator never exceeds, whatever the configuration says.
const (
	maxDuration = 10 * time.Minute
	maxConns    = 1024
	// latencyCap bounds the latencies kept per worker (8 bytes each).
	latencyCap = 1 << 21
)

// Run sends load as cfg says and returns what it measured. It returns
// early, with what was measured so far, when ctx ends.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := benchkit.CheckLoopback(cfg.URL); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parsing %q: %w", cfg.URL, err)
	}
	cfg.Conns = min(max(cfg.Conns, 1), maxConns)
	if cfg.Duration <= 0 {
		cfg.Duration = 5 * time.Second
	}
	cfg.Duration = min(cfg.Duration, maxDuration)
	if cfg.MaxRequests <= 0 {
		cfg.MaxRequests = 5_000_000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Check == nil {
		cfg.Check = func(status int, _ []byte, _ time.Time) bool { return status == http.StatusOK }
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	request := fmt.Appendf(nil, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lambdalens-bench\r\nAccept: */*\r\n\r\n", u.RequestURI(), u.Host)

	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var budget atomic.Int64
	budget.Store(cfg.MaxRequests)
	workers := make([]*worker, cfg.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		w := &worker{cfg: &cfg, addr: host, request: request, budget: &budget, statuses: map[int]int64{}}
		workers[i] = w
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
	res := &Result{Conns: cfg.Conns, Statuses: map[int]int64{}, Elapsed: time.Since(start)}
	for _, w := range workers {
		res.Sent += w.sent
		res.OK += w.ok
		res.Failed += w.failed
		for code, n := range w.statuses {
			res.Statuses[code] += n
		}
		for _, e := range w.errors {
			if len(res.Errors) < 10 && !slices.Contains(res.Errors, e) {
				res.Errors = append(res.Errors, e)
			}
		}
		res.Latencies = append(res.Latencies, w.latencies...)
	}
	sort.Slice(res.Latencies, func(i, j int) bool { return res.Latencies[i] < res.Latencies[j] })
	return res, nil
}

// worker owns one connection at a time and the counters of its requests.
type worker struct {
	cfg     *Config
	addr    string
	request []byte
	budget  *atomic.Int64

	// mu guards conn against the cancel callback; only the worker's own
	// goroutine replaces conn, so it reads conn without the lock.
	mu   sync.Mutex
	conn net.Conn
	br   *bufio.Reader
	body bytes.Buffer

	sent, ok, failed int64
	statuses         map[int]int64
	errors           []string
	latencies        []time.Duration
}

func (w *worker) run(ctx context.Context) {
	defer w.closeConn()
	w.latencies = make([]time.Duration, 0, min(w.cfg.MaxRequests/int64(w.cfg.Conns)+1, 1<<16))
	stop := context.AfterFunc(ctx, func() {
		// Unblock a read or write in progress; the loop sees ctx next.
		if c := w.connForCancel(); c != nil {
			_ = c.SetDeadline(time.Now())
		}
	})
	defer stop()
	for !w.ended(ctx) && w.budget.Add(-1) >= 0 {
		if err := w.dial(ctx); err != nil {
			if w.ended(ctx) {
				w.sent--
				return
			}
			w.fail(err)
			// A refused connection fails fast; wait a little before the
			// next one rather than spinning.
			select {
			case <-ctx.Done():
				return
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		w.once(ctx)
	}
}

// ended reports whether the run is over. A connection deadline set from
// the run's deadline can fire a moment before the context's own timer
// does, so the clock is checked too.
func (w *worker) ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// connForCancel returns the open connection for the cancel callback.
func (w *worker) connForCancel() net.Conn {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.conn
}

func (w *worker) setConn(c net.Conn) {
	w.mu.Lock()
	w.conn = c
	w.mu.Unlock()
}

func (w *worker) dial(ctx context.Context) error {
	if w.conn != nil {
		return nil
	}
	d := net.Dialer{Timeout: w.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", w.addr)
	if err != nil {
		w.sent++
		return fmt.Errorf("connecting: %w", err)
	}
	w.setConn(c)
	if ctx.Err() != nil {
		_ = c.SetDeadline(time.Now())
	}
	if w.br == nil {
		w.br = bufio.NewReaderSize(c, 16<<10)
	} else {
		w.br.Reset(c)
	}
	return nil
}

func (w *worker) closeConn() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.setConn(nil)
	}
}

// once sends one request on the open connection and reads the response.
func (w *worker) once(ctx context.Context) {
	start := time.Now()
	if ctx.Err() == nil {
		_ = w.conn.SetDeadline(start.Add(w.cfg.Timeout))
	}
	w.sent++
	if _, err := w.conn.Write(w.request); err != nil {
		w.broken(ctx, fmt.Errorf("writing the request: %w", err))
		return
	}
	resp, err := http.ReadResponse(w.br, nil)
	if err != nil {
		w.broken(ctx, fmt.Errorf("reading the response: %w", err))
		return
	}
	w.body.Reset()
	_, err = w.body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		w.broken(ctx, fmt.Errorf("reading the body: %w", err))
		return
	}
	now := time.Now()
	w.statuses[resp.StatusCode]++
	if w.cfg.Check(resp.StatusCode, w.body.Bytes(), now) {
		w.ok++
		if len(w.latencies) < latencyCap {
			w.latencies = append(w.latencies, now.Sub(start))
		}
	} else {
		w.failed++
	}
	if resp.Close {
		w.closeConn()
	}
}

// broken drops the connection and records a transport failure, unless
// the end of the run caused it: a request cut short then is not counted.
func (w *worker) broken(ctx context.Context, err error) {
	w.closeConn()
	if w.ended(ctx) {
		w.sent--
		return
	}
	w.fail(err)
}

func (w *worker) fail(err error) {
	w.failed++
	if len(w.errors) < 10 {
		msg := err.Error()
		if !slices.Contains(w.errors, msg) {
			w.errors = append(w.errors, msg)
		}
	}
}
