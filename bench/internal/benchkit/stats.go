package benchkit

import (
	"fmt"
	"slices"
	"time"
)

// Median returns the median of ds, or 0 when ds is empty. For an even
// count it is the mean of the two middle values.
func Median(ds []time.Duration) time.Duration { return median(ds) }

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, or 0 when it is empty. sorted must be in ascending order.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

// MedianFloat returns the median of xs, or 0 when xs is empty.
func MedianFloat(xs []float64) float64 { return median(xs) }

// median is Median and MedianFloat.
func median[T time.Duration | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Ms formats d in milliseconds with a precision that suits its size:
// "0.142 ms", "28.4 ms", "1412 ms".
func Ms(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 1:
		return fmt.Sprintf("%.3f ms", ms)
	case ms < 100:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.0f ms", ms)
}

// Ratio returns a/b, or 0 when b is 0.
func Ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Spread formats the minimum and maximum of ds as "min–max".
func Spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	return Ms(slices.Min(ds)) + "–" + Ms(slices.Max(ds))
}
