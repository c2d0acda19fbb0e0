package gateway

import (
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// BenchmarkOpenBreakerRejection measures what a client waits for the 503 of an
// open breaker, over real HTTP on loopback with keep-alive: the bar is a p99
// under 1 ms. It reports p50 and p99 besides ns/op.
func BenchmarkOpenBreakerRejection(b *testing.B) {
	up := newUpstream(b, "never", nil)
	pol := policies.Defaults()
	h := newHarness(b, Config{Routes: []Route{{Path: "/", Service: "s"}}, Policies: map[string]policies.Policy{"s": pol}},
		snapshot(b, map[string][]string{"s": {up.Addr()}}))
	h.g.state.Load().service("s").guard.breaker.forced.Store(forceOpen)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		res, err := h.client.Get(h.url("/x"))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		lat = append(lat, time.Since(start))
		if res.StatusCode != http.StatusServiceUnavailable {
			b.Fatalf("status %d, want 503 from the open breaker", res.StatusCode)
		}
	}
	b.StopTimer()
	if up.Count() != 0 {
		b.Fatalf("%d requests reached the upstream through an open breaker", up.Count())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
