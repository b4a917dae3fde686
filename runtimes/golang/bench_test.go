package golang

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkRebuild measures save-to-served for a Go function in dev (edit
// the handler's string, compile, start, get the new answer) against the
// floor: a plain go build of the same wrapper, written to disk in a copy
// of the project, with the same flags and environment. Run it with
//
//	go test -run '^$' -bench Rebuild -benchtime 10x ./runtimes/golang
//
// Each sub-benchmark reports medians in ms; "interleaved" also reports the
// ratio lambdalens/floor, whose target is ≤ 1.15.
func BenchmarkRebuild(b *testing.B) {
	requireGo(b)
	r := testRuntime()

	b.Run("lambdalens", func(b *testing.B) {
		rebuild := newDevRebuild(b, r)
		var times []time.Duration
		b.ResetTimer()
		for i := range b.N {
			times = append(times, rebuild(i))
		}
		b.ReportMetric(ms(median(times)), "median-ms")
	})

	b.Run("go-build-floor", func(b *testing.B) {
		build := newFloorBuild(b, r)
		var times []time.Duration
		b.ResetTimer()
		for i := range b.N {
			times = append(times, build(i))
		}
		b.ReportMetric(ms(median(times)), "median-ms")
	})

	// The machine may be busy with other work; alternating the two in one
	// loop gives both the same conditions, so the ratio is the number to
	// trust.
	b.Run("interleaved", func(b *testing.B) {
		rebuild, build := newDevRebuild(b, r), newFloorBuild(b, r)
		var ours, floor []time.Duration
		b.ResetTimer()
		for i := range b.N {
			ours = append(ours, rebuild(i))
			floor = append(floor, build(i))
		}
		b.ReportMetric(ms(median(ours)), "lambdalens-median-ms")
		b.ReportMetric(ms(median(floor)), "floor-median-ms")
		b.ReportMetric(float64(median(ours))/float64(median(floor)), "ratio")
	})
}

// benchHandler is the handler source of rebuild i.
func benchHandler(i int) string {
	return fmt.Sprintf("package handler\n\nimport \"net/http\"\n\nfunc Handler(w http.ResponseWriter, r *http.Request) {\n\tw.Write([]byte(%q))\n}\n", fmt.Sprint("rebuild ", i))
}

// newDevRebuild returns a func that edits the handler, starts the dev
// process (compile + start) and waits for the new answer, returning the
// time that took; stopping the process is not timed.
func newDevRebuild(b *testing.B, r *Runtime) func(i int) time.Duration {
	p := loadProject(b, "hello")
	cache := b.TempDir()
	run := func(i int) time.Duration {
		start := time.Now()
		p.write(b, "api/hello.go", benchHandler(i))
		proc, err := startDev(b, r, p, cache, "api/hello.go", function("Handler"))
		if err != nil {
			b.Fatal(err)
		}
		if got, want := get(b, proc.Addr(), "/"), fmt.Sprint("rebuild ", i); got != want {
			b.Fatalf("served %q, want %q", got, want)
		}
		d := time.Since(start)
		b.StopTimer()
		stop(b, proc)
		b.StartTimer()
		return d
	}
	run(-1) // warm the build cache
	return run
}

// newFloorBuild returns a func that edits the handler in a copy of the
// project where the wrapper is written to disk, and times a plain go build
// of it with the dev flags and environment.
func newFloorBuild(b *testing.B, r *Runtime) func(i int) time.Duration {
	p := loadProject(b, "hello")
	settings, err := devSettings(nil)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := r.plan(context.Background(), planSpec{
		root: p.root, file: "api/hello.go", symbol: "Handler", wrap: wrapDev,
		settings: settings, scratch: b.TempDir(),
	})
	if err != nil {
		b.Fatal(err)
	}
	materialize(b, pl)
	out := filepath.Join(b.TempDir(), "bin")
	run := func(i int) time.Duration {
		p.write(b, "api/hello.go", benchHandler(i))
		start := time.Now()
		args := append(append([]string{"build"}, settings.flags...), "-o", out, pl.pkg)
		cmd := r.command(context.Background(), pl.t.modDir, pl.env, args...)
		if output, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, output)
		}
		return time.Since(start)
	}
	run(-1)
	return run
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// materialize writes a plan's overlay into the (test) project for real, so
// that a plain go build sees what the overlaid build sees.
func materialize(tb testing.TB, p *plan) {
	tb.Helper()
	for virtual, actual := range p.ov.replace {
		if actual == "" {
			if err := os.Remove(virtual); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		data, ok := p.ov.files[actual]
		if !ok {
			var err error
			if data, err = os.ReadFile(actual); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.MkdirAll(filepath.Dir(virtual), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(virtual, data, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if !strings.HasPrefix(p.pkg, p.t.modPath) {
		tb.Fatalf("unexpected package %s", p.pkg)
	}
}

func stop(tb testing.TB, proc interface {
	Stop(context.Context) error
}) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := proc.Stop(ctx); err != nil {
		tb.Fatal(err)
	}
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
