package golang

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// warmGate serialises the start of a build with an empty Go build cache.
// Parallel go build processes do not share work in progress: with a cache
// that lacks the standard library for the target, each of them compiles
// it (bench/README.md measured parallel cold builds 17 % slower than
// serial ones). So the first Lambda build of a target leads and the
// others wait until it is done — unless go list says, while the leader
// builds, that the standard library is already in the cache, which opens
// the gate at once.
type warmGate struct {
	claimed atomic.Bool
	once    sync.Once
	open    chan struct{}
}

func (g *warmGate) release() { g.once.Do(func() { close(g.open) }) }

// gate returns the gate of the target the settings build for.
func (r *Runtime) gate(s buildSettings) *warmGate {
	var b strings.Builder
	b.WriteString(s.goos + "/" + s.arch + "\x00" + strings.Join(s.flags, "\x00"))
	env := slices.Clone(s.env)
	slices.Sort(env)
	for _, kv := range env {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") {
			b.WriteString("\x00" + kv)
		}
	}
	g, _ := r.gates.LoadOrStore(b.String(), &warmGate{open: make(chan struct{})})
	return g.(*warmGate)
}

// throughGate runs build, first or after the leader (see warmGate);
// cached asks whether the standard library is in the build cache.
func (r *Runtime) throughGate(ctx context.Context, s buildSettings, cached func(context.Context) bool, build func() error) error {
	g := r.gate(s)
	if !g.claimed.CompareAndSwap(false, true) {
		select {
		case <-g.open:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		return build()
	}
	defer g.release()
	checkCtx, cancel := context.WithCancel(ctx)
	var check sync.WaitGroup
	check.Go(func() {
		if cached(checkCtx) {
			g.release()
		}
	})
	err := build()
	cancel()
	check.Wait()
	return err
}

// stdCached reports whether the build cache holds net/http (and so the
// standard library every function imports) for the plan's target and
// flags.
func (r *Runtime) stdCached(ctx context.Context, p *plan) bool {
	args := append([]string{"list"}, p.args...)
	args = append(args, "-f", "{{.Stale}}", "net/http")
	env, done, err := withWorkDir(p.env)
	if err != nil {
		return false
	}
	defer done()
	out, err := r.command(ctx, p.t.modDir, env, args...).Output()
	return err == nil && strings.TrimSpace(string(out)) == "false"
}
