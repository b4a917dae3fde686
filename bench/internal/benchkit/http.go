package benchkit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// ErrNotLoopback is returned for URLs whose host is not 127.0.0.1: the
// benchmarks only ever talk to servers they started on this machine.
var ErrNotLoopback = errors.New("benchmarks only target 127.0.0.1")

// CheckLoopback returns an error unless rawURL is an http URL on
// 127.0.0.1.
func CheckLoopback(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", rawURL, err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("%s: %w", rawURL, ErrNotLoopback)
	}
	return nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// NewClient returns an HTTP client for sequential requests to one
// server: keep-alive, no proxy from the environment, a per-request
// timeout.
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     30 * time.Second,
		},
	}
}

// maxBody bounds the response bodies read by Get.
const maxBody = 4 << 20

// Get requests rawURL (which must be on 127.0.0.1) and returns the status
// and the body.
func Get(ctx context.Context, c *http.Client, rawURL string) (int, []byte, error) {
	if err := CheckLoopback(rawURL); err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return resp.StatusCode, body, fmt.Errorf("reading the body of %s: %w", rawURL, err)
	}
	return resp.StatusCode, body, nil
}

// Poll describes PollFor's loop.
type Poll struct {
	// Interval is the time between the starts of two requests; a request
	// slower than that is followed at once by the next. Default 5 ms.
	Interval time.Duration
	// Timeout bounds the whole poll. Default 60 s.
	Timeout time.Duration
	// MaxRequests bounds the number of requests. Default 100000.
	MaxRequests int
	// Wake, when set, sends the next request as soon as it receives,
	// without waiting for the interval: a server's "new version ready"
	// signal, so that the interval can be long and the polling itself
	// does not load the machine the change is being built on.
	Wake <-chan struct{}
}

// PollFor requests rawURL until a 200 response contains want, and returns
// the time that response arrived and the number of requests made. Errors
// and other statuses are retried until the poll's bounds end it.
func PollFor(ctx context.Context, c *http.Client, rawURL, want string, p Poll) (time.Time, int, error) {
	if p.Interval <= 0 {
		p.Interval = 5 * time.Millisecond
	}
	if p.Timeout <= 0 {
		p.Timeout = 60 * time.Second
	}
	if p.MaxRequests <= 0 {
		p.MaxRequests = 100000
	}
	ctx, cancel := context.WithTimeout(ctx, p.Timeout)
	defer cancel()
	ticker := time.NewTicker(p.Interval)
	defer ticker.Stop()
	var last string
	for n := 1; n <= p.MaxRequests; n++ {
		status, body, err := Get(ctx, c, rawURL)
		switch {
		case err != nil:
			last = err.Error()
		case status == http.StatusOK && bytes.Contains(body, []byte(want)):
			return time.Now(), n, nil
		default:
			last = fmt.Sprintf("status %d: %s", status, FirstLines(string(body), 3))
		}
		select {
		case <-ctx.Done():
			return time.Time{}, n, fmt.Errorf("waiting for %q at %s: %w (last answer: %s)", want, rawURL, ctx.Err(), last)
		case <-ticker.C:
		case <-p.Wake:
		}
	}
	return time.Time{}, p.MaxRequests, fmt.Errorf("waiting for %q at %s: no match in %d requests (last answer: %s)", want, rawURL, p.MaxRequests, last)
}

// Sequential makes n sequential GET requests to rawURL on one keep-alive
// connection and returns their latencies, sorted. Any error or status
// other than 200 stops it.
func Sequential(ctx context.Context, c *http.Client, rawURL string, n int) ([]time.Duration, error) {
	var lat []time.Duration
	for i := range n {
		start := time.Now()
		status, body, err := Get(ctx, c, rawURL)
		if err != nil {
			return lat, fmt.Errorf("request %d of %d: %w", i+1, n, err)
		}
		if status != http.StatusOK {
			return lat, fmt.Errorf("request %d of %d: status %d: %s", i+1, n, status, FirstLines(string(body), 3))
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat, nil
}
