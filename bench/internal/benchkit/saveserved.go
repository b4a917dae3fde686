package benchkit

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Settle is the pause between two timed save-to-served samples, so that
// the previous sample's clean-up (an old process stopping, a binary being
// removed) does not land in the next one's time. It is a pause, not a
// synchronisation.
const Settle = 300 * time.Millisecond

// SaveToServed holds alternating save-to-served samples of lambdalens dev
// and of a floor (the least any design must spend on the same edit).
type SaveToServed struct {
	LL       []time.Duration // save → new text served by lambdalens dev
	LLBuilds []time.Duration // the build-finished durations it reported
	Floor    []time.Duration // the floor's whole sample
	// FloorBuild is the build step of each floor sample, for floors that
	// have one.
	FloorBuild []time.Duration
}

// FloorSample is one run of a floor: its whole time and, when the floor
// has a build step, that step's.
type FloorSample struct{ Total, Build time.Duration }

// EditAndPoll returns the lambdalens side of a save-to-served sample:
// write tag into ed's file, then poll url until the tag is served. file
// names the edited file in errors, which carry the dev server's problems.
func EditAndPoll(ctx context.Context, dev *Dev, client *http.Client, url string, ed *Editor, poll Poll, file string) func(tag string) (time.Duration, error) {
	return func(tag string) (time.Duration, error) {
		// A wake-up left from an earlier build must not count for this one.
		for drained := false; !drained; {
			select {
			case <-poll.Wake:
			default:
				drained = true
			}
		}
		start := time.Now()
		if err := ed.Write(tag); err != nil {
			return 0, err
		}
		seen, _, err := PollFor(ctx, client, url, tag, poll)
		if err != nil {
			return 0, fmt.Errorf("lambdalens dev after editing %s: %w\n%s", file, err, strings.Join(dev.Problems(), "\n"))
		}
		return seen.Sub(start), nil
	}
}

// AlternateEdits runs one untimed sample of each side (the build cache
// then holds everything but the edited code, as it does while someone
// works), then edits rounds in which lambdalens and the floor take turns,
// Settle apart. The build each lambdalens sample caused is read from dev.
func AlternateEdits(ctx context.Context, dev *Dev, edits int, ll func(tag string) (time.Duration, error), floor func(tag string) (FloorSample, error)) (*SaveToServed, error) {
	if _, err := ll(Tag("w", 0)); err != nil {
		return nil, err
	}
	if _, err := floor(Tag("w", 0)); err != nil {
		return nil, err
	}
	res := &SaveToServed{}
	for i := 1; i <= edits; i++ {
		tag := Tag("s", i)
		if err := Pause(ctx, Settle); err != nil {
			return nil, err
		}
		before := len(dev.Builds())
		d, err := ll(tag)
		if err != nil {
			return nil, err
		}
		res.LL = append(res.LL, d)
		if b := dev.Builds(); len(b) > before {
			res.LLBuilds = append(res.LLBuilds, b[len(b)-1].Duration)
		}
		if err := Pause(ctx, Settle); err != nil {
			return nil, err
		}
		s, err := floor(tag)
		if err != nil {
			return nil, err
		}
		res.Floor = append(res.Floor, s.Total)
		if s.Build > 0 {
			res.FloorBuild = append(res.FloorBuild, s.Build)
		}
	}
	return res, nil
}

// Pause waits d, or until ctx ends.
func Pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
