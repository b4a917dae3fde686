package devserver

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/metrics"
	"time"
)

// The dev server's processors (GOMAXPROCS). A proxy for one developer's
// requests needs little CPU, but with several Ps the Go runtime wakes an
// idle thread to look for work each time a goroutine becomes ready, and
// on a small machine those threads take CPU from the function processes
// the requests wait for and from the compiler. GovernProcs runs the dev
// server on one P while one keeps up, and on the runtime's default number
// while goroutines queue for it. On 2 cores, at 2 connections, one P
// used 88 instead of 101 µs of CPU per proxied request, and added about
// 7 µs less to the p50 latency (12 of 16 alternating rounds); at 32
// connections it served a fifth fewer requests (bench/README.md).
//
// "Keeps up" is read from the runtime's scheduling latencies
// (/sched/latencies:seconds, the time goroutines waited runnable): on one
// P at 2 connections 1–3 % of them waited over 100 µs, at 32 connections
// 70–80 %.
const (
	// procsTick is how often the latencies are read while requests come.
	procsTick = 100 * time.Millisecond
	// procsQuietTick is the period while the server is quiet (fewer than
	// procsBusyRate scheduling events a second) on one P: a burst after a
	// quiet spell runs on one P for up to this long. (At a second, a
	// 32-connection round of bench/dev right after a quiet one lost a
	// tenth of its requests.)
	procsQuietTick = 250 * time.Millisecond
	// procsBusyRate is the rate of sampled scheduling events below which
	// the server counts as quiet, and one P as enough.
	procsBusyRate = 200
	// procsSlowWait is the wait that counts as queueing.
	procsSlowWait = 100 * time.Microsecond
	// procsUpShare: on one P, a tick with more of its waits over
	// procsSlowWait switches to the default.
	procsUpShare = 0.20
	// procsDownShare: with the default, procsDownTicks ticks in a row with
	// fewer (or quiet ones) switch back to one P, once procsHold passed.
	procsDownShare = 0.05
	procsDownTicks = 10
	// procsHold is the shortest stay at the default after switching to
	// it; it doubles (up to procsMaxHold) each time one P proves too
	// little within procsHold of switching down, and falls back after
	// procsMaxHold on one P.
	procsHold    = time.Second
	procsMaxHold = time.Minute
)

// procsDecider is GovernProcs's state, apart from the runtime.
type procsDecider struct {
	one       bool // on one P
	hold      time.Duration
	since     time.Time // of the last switch
	calmTicks int       // in a row, at the default
}

// step takes one tick's scheduling events (n, of which slow waited over
// procsSlowWait, over d) and returns whether to run on one P.
func (p *procsDecider) step(now time.Time, d time.Duration, n, slow uint64) (one bool) {
	busy := float64(n) >= procsBusyRate*d.Seconds()
	share := 0.0
	if n > 0 {
		share = float64(slow) / float64(n)
	}
	if p.one {
		if now.Sub(p.since) >= procsMaxHold {
			p.hold = procsHold
		}
		if busy && share > procsUpShare {
			if now.Sub(p.since) < p.hold {
				p.hold = min(2*p.hold, procsMaxHold) // one P was too little again at once
			}
			p.one, p.since, p.calmTicks = false, now, 0
		}
		return p.one
	}
	if !busy || share < procsDownShare {
		p.calmTicks++
	} else {
		p.calmTicks = 0
	}
	if p.calmTicks >= procsDownTicks && now.Sub(p.since) >= p.hold {
		p.one, p.since, p.calmTicks = true, now, 0
	}
	return p.one
}

// GovernProcs switches the process between one P and the runtime's
// default until ctx ends, then leaves it at the default. It does nothing
// when the user set GOMAXPROCS, or when the default is one P. It is for
// the `lambdalens dev` process: GOMAXPROCS is the whole process's, and a
// language server hosting a dev server has other work to spread.
//
// log (slog.Default when nil) gets a debug line at each switch. The
// returned function waits for it to stop.
func GovernProcs(ctx context.Context, log *slog.Logger) (wait func()) {
	done := make(chan struct{})
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) < 2 {
		close(done)
		return func() { <-done }
	}
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "procs")
	go func() {
		defer close(done)
		defer runtime.SetDefaultGOMAXPROCS()
		governProcs(ctx, log)
	}()
	return func() { <-done }
}

func governProcs(ctx context.Context, log *slog.Logger) {
	sample := []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	var prev []uint64
	read := func() (n, slow uint64) {
		metrics.Read(sample)
		h := sample[0].Value.Float64Histogram()
		if prev == nil {
			prev = make([]uint64, len(h.Counts))
		}
		for i, c := range h.Counts {
			d := c - prev[i]
			prev[i] = c
			n += d
			if h.Buckets[i] >= procsSlowWait.Seconds() { // the bucket's lower bound
				slow += d
			}
		}
		return n, slow
	}
	read()
	dec := procsDecider{hold: procsHold}
	t := time.NewTimer(procsTick)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		n, slow := read()
		d := now.Sub(last)
		last = now
		wasOne := dec.one
		one := dec.step(now, d, n, slow)
		switch {
		case one && !wasOne:
			runtime.GOMAXPROCS(1)
			log.Debug("one P", "events", n, "slow", slow)
		case !one && wasOne:
			runtime.SetDefaultGOMAXPROCS()
			log.Debug("default Ps", "procs", runtime.GOMAXPROCS(0), "events", n, "slow", slow, "hold", dec.hold)
		}
		tick := procsTick
		if one && float64(n) < procsBusyRate*d.Seconds() {
			tick = procsQuietTick
		}
		t.Reset(tick)
	}
}
