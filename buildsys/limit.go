package buildsys

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/semaphore"
)

// WithLimit returns a Builder that lets at most n builds of inner run at
// once; the others wait for a slot (or for ctx to end). n < 1 means the
// number of CPUs.
func WithLimit(inner Builder, n int) Builder {
	if n < 1 {
		n = runtime.NumCPU()
	}
	return &limitBuilder{inner: inner, sem: semaphore.NewWeighted(int64(n))}
}

type limitBuilder struct {
	inner Builder
	sem   *semaphore.Weighted
}

var _ Builder = (*limitBuilder)(nil)

func (l *limitBuilder) Build(ctx context.Context, req Request) (*Result, error) {
	if err := l.sem.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("waiting to build %s: %w", req.Function.File, err)
	}
	defer l.sem.Release(1)
	return l.inner.Build(ctx, req)
}
