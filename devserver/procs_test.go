package devserver

import (
	"context"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestProcsDecider(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := procsTick
	busy := uint64(procsBusyRate*tick.Seconds()) * 4 // events in a busy tick
	type step struct {
		n, slow uint64
		want    bool // on one P after the tick
	}
	calm := step{busy, 0, false}
	run := func(t *testing.T, p *procsDecider, at *time.Time, steps ...step) {
		t.Helper()
		for i, s := range steps {
			*at = at.Add(tick)
			if got := p.step(*at, tick, s.n, s.slow); got != s.want {
				t.Fatalf("tick %d (n=%d slow=%d): one P = %v, want %v", i, s.n, s.slow, got, s.want)
			}
		}
	}
	repeat := func(s step, n int) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = s
		}
		return out
	}

	t.Run("calm, then queueing, then calm again", func(t *testing.T) {
		p, at := procsDecider{hold: procsHold}, t0
		// Nine calm ticks are not enough, the tenth switches down.
		run(t, &p, &at, repeat(calm, procsDownTicks-1)...)
		run(t, &p, &at, step{busy, 0, true})
		// Quiet ticks (few events) never switch up, whatever waited.
		run(t, &p, &at, step{3, 3, true}, step{0, 0, true})
		// A fifth of the waits over procsSlowWait is still one P; more is not.
		run(t, &p, &at, step{busy, busy / 5, true}, step{busy, busy/5 + 2, false})
		if p.hold != 2*procsHold {
			t.Errorf("hold = %v after one P proved too little within the hold, want %v", p.hold, 2*procsHold)
		}
		// Back down after ten calm ticks in a row, once the (doubled)
		// hold of 2 s has passed; a tick with queueing restarts the count.
		run(t, &p, &at, repeat(calm, procsDownTicks-1)...) // 0.9 s
		run(t, &p, &at, step{busy, busy / 2, false})       // 1.0 s
		run(t, &p, &at, repeat(calm, procsDownTicks-1)...) // 1.9 s
		run(t, &p, &at, step{busy, busy / 100 * 4, true})  // 2.0 s, 4 % waited long: calm
	})
	t.Run("the hold keeps the default through calm ticks", func(t *testing.T) {
		p, at := procsDecider{hold: procsHold}, t0
		run(t, &p, &at, repeat(calm, procsDownTicks-1)...)
		run(t, &p, &at, step{busy, 0, true}, step{busy, busy, false}) // hold: 2 s
		run(t, &p, &at, repeat(calm, 19)...)                          // 1.9 s
		run(t, &p, &at, step{busy, 0, true})
	})
	t.Run("flapping doubles the hold up to its limit, and a long calm resets it", func(t *testing.T) {
		p, at := procsDecider{hold: procsHold}, t0
		run(t, &p, &at, repeat(calm, procsDownTicks-1)...)
		run(t, &p, &at, step{busy, 0, true})
		for range 10 {
			run(t, &p, &at, step{busy, busy, false})
			at = at.Add(p.hold) // the hold passes
			run(t, &p, &at, repeat(calm, procsDownTicks-1)...)
			run(t, &p, &at, step{busy, 0, true})
		}
		if p.hold != procsMaxHold {
			t.Fatalf("hold = %v after ten flaps, want %v", p.hold, procsMaxHold)
		}
		at = at.Add(procsMaxHold)
		run(t, &p, &at, step{busy, busy, false})
		if p.hold != procsHold {
			t.Errorf("hold = %v after a minute on one P, want %v", p.hold, procsHold)
		}
	})
}

// The real thing: a quiet process runs on one P, goroutines queueing for
// it bring the default back, and a calm one P again; when ctx ends, the
// default stays.
func TestGovernProcs(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" || runtime.GOMAXPROCS(0) < 2 {
		t.Skip("needs the runtime's default GOMAXPROCS of 2 or more")
	}
	def := runtime.GOMAXPROCS(0)
	ctx, cancel := context.WithCancel(t.Context())
	wait := GovernProcs(ctx, quietLogger())
	defer func() { cancel(); wait() }()
	waitProcs := func(want int, why string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for runtime.GOMAXPROCS(0) != want {
			if time.Now().After(deadline) {
				t.Fatalf("GOMAXPROCS = %d, want %d %s", runtime.GOMAXPROCS(0), want, why)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitProcs(1, "while the process is quiet")

	// 64 goroutines taking turns on one P, each for about 50 µs at a time.
	// They stop however the test ends: left spinning after a failure, they
	// would take both cores from the package's other tests.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	stopSpinning := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopSpinning()
	for range 64 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for end := time.Now().Add(50 * time.Microsecond); time.Now().Before(end); {
				}
				runtime.Gosched()
			}
		})
	}
	waitProcs(def, "with 64 goroutines queueing")
	stopSpinning()
	waitProcs(1, "once the goroutines are gone")

	cancel()
	wait()
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("GOMAXPROCS = %d after the governor stopped, want the default %d", got, def)
	}
}
