package load

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lambdalens/lambdalens/bench/internal/benchkit"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		conns   int
		max     int64
		handler func(n int64, w http.ResponseWriter)
		check   func(status int, body []byte, at time.Time) bool
		ok      int64
		failed  int64
	}{
		{
			name: "every request counted once", conns: 4, max: 200,
			handler: func(n int64, w http.ResponseWriter) { w.Write([]byte("hi")) },
			ok:      200,
		},
		{
			name: "non-200 fails by default", conns: 2, max: 90,
			handler: func(n int64, w http.ResponseWriter) {
				if n%3 == 0 {
					http.Error(w, "boom", http.StatusBadGateway)
					return
				}
				w.Write([]byte("hi"))
			},
			ok: 60, failed: 30,
		},
		{
			name: "connection close reconnects", conns: 3, max: 60,
			handler: func(n int64, w http.ResponseWriter) {
				w.Header().Set("Connection", "close")
				w.Write([]byte("bye"))
			},
			ok: 60,
		},
		{
			name: "check decides", conns: 2, max: 40,
			handler: func(n int64, w http.ResponseWriter) {
				if n%2 == 0 {
					w.Write([]byte("old"))
					return
				}
				w.Write([]byte("new"))
			},
			check: func(status int, body []byte, _ time.Time) bool { return string(body) == "new" },
			ok:    20, failed: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var served atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.handler(served.Add(1), w)
			}))
			defer srv.Close()
			res, err := Run(context.Background(), Config{URL: srv.URL + "/x?y=1", Conns: tt.conns, Duration: time.Minute, MaxRequests: tt.max, Check: tt.check})
			if err != nil {
				t.Fatal(err)
			}
			if res.Sent != tt.max || served.Load() != tt.max {
				t.Errorf("sent %d, server saw %d, want %d each", res.Sent, served.Load(), tt.max)
			}
			if res.OK != tt.ok || res.Failed != tt.failed {
				t.Errorf("ok %d failed %d, want %d and %d (statuses %v, errors %v)", res.OK, res.Failed, tt.ok, tt.failed, res.Statuses, res.Errors)
			}
			if int64(len(res.Latencies)) != res.OK {
				t.Errorf("%d latencies for %d successes", len(res.Latencies), res.OK)
			}
			for i := 1; i < len(res.Latencies); i++ {
				if res.Latencies[i] < res.Latencies[i-1] {
					t.Fatal("latencies are not sorted")
				}
			}
		})
	}
}

func TestRunStopsAtDuration(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("hi")) }))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Conns: 2, Duration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK == 0 || res.Failed != 0 {
		t.Errorf("ok %d failed %d (errors %v): the end of the run must not count as failures", res.OK, res.Failed, res.Errors)
	}
}

func TestRunRefusesOtherHosts(t *testing.T) {
	for _, url := range []string{"http://localhost:1/", "http://192.0.2.1/", "https://127.0.0.1/"} {
		if _, err := Run(context.Background(), Config{URL: url, MaxRequests: 1}); !errors.Is(err, benchkit.ErrNotLoopback) {
			t.Errorf("Run(%s) = %v, want ErrNotLoopback", url, err)
		}
	}
}

func TestRunCountsRefusedConnections(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	res, err := Run(context.Background(), Config{URL: url, Conns: 1, Duration: time.Minute, MaxRequests: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 3 || res.OK != 0 || len(res.Errors) == 0 {
		t.Errorf("ok %d failed %d errors %v, want 3 failures with an error message", res.OK, res.Failed, res.Errors)
	}
}

// TestCompareManyRotates: every target gets one run per round and
// connection count, and the target that runs first changes every round.
// Each run opens its own connection, so the order of new connections is
// the order of the runs.
func TestCompareManyRotates(t *testing.T) {
	var mu sync.Mutex
	var order []string
	var urls []string
	for _, name := range []string{"a", "b", "c"} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("ok"))
		}))
		srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
			}
		}
		srv.Start()
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL+"/")
	}
	rows, err := CompareMany(t.Context(), urls, []int{1}, 3, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	for j := range urls {
		if n := len(rows[0].Results[j]); n != 3 {
			t.Errorf("target %d has %d results, want 3 (one per round)", j, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(order, ""); got != "abcabcbcacab" {
		t.Errorf("runs in order %q, want abc (warm-up) then abc bca cab", got)
	}
}
