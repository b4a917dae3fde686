package devserver

import (
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkProxy compares requests sent straight to a function process
// with the same requests through the dev server, at 32 concurrent
// clients, and reports the median latency of each (p50-µs).
//
//	go test -run=^$ -bench=Proxy -benchtime=3s ./devserver/
//
// The fake function runs in the benchmark's process, so both sides share
// the CPU with the load generator; compare the two numbers, not absolute
// ones.
func BenchmarkProxy(b *testing.B) {
	h := startHarness(b, map[string]string{"api/bench.go": goHandler("1")}, func(c *Config) { c.Events = nil })
	h.getEcho("/api/bench?warm=1", map[string]string{"X-Fake": "echo"})
	direct := "http://" + h.srv.state.Load().funcs["api/bench"].cur.Load().addr + "/api/bench"
	proxied := h.srv.URL() + "/api/bench"
	// One client: the latency the proxy adds.
	for _, target := range []struct{ name, url string }{{"direct-1", direct}, {"proxied-1", proxied}} {
		b.Run(target.name, func(b *testing.B) {
			client := &http.Client{}
			defer client.CloseIdleConnections()
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				resp, err := client.Get(target.url)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		})
	}
	// 32 clients: throughput.
	for _, target := range []struct{ name, url string }{{"direct-32", direct}, {"proxied-32", proxied}} {
		b.Run(target.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}
			defer client.CloseIdleConnections()
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(max(1, 32/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				local := make([]time.Duration, 0, 1024)
				for pb.Next() {
					start := time.Now()
					resp, err := client.Get(target.url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
					local = append(local, time.Since(start))
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			}
		})
	}
}
