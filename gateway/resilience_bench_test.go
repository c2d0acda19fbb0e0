package gateway

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// The latency claims of the resilience proofs live here, measured rather than
// asserted: a busy machine makes them slower, never wrong.
//
//	go test -run '^$' -bench 'Hung|Promptly' ./gateway

// BenchmarkRouteBesideAHungService reports route A's p99 with service B idle
// and with B hung and flooded; the bar is at most 10% more beside the hung B.
func BenchmarkRouteBesideAHungService(b *testing.B) {
	a := newUpstream(b, "a", nil)
	release := make(chan struct{})
	hung := newUpstream(b, "b", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	pb := resilientPolicy(b, func(p *policies.Policy) {
		p.Bulkhead = policies.Bulkhead{MaxConcurrent: 8, MaxQueue: 4, QueueTimeout: 50 * time.Millisecond}
		p.Retries.Attempts = 1
		p.Timeout, p.TryTimeout = 10*time.Second, 10*time.Second
	})
	h := newHarness(b, Config{
		Routes:   []Route{{Name: "a", Path: "/a", Service: "a"}, {Name: "b", Path: "/b", Service: "b"}},
		Policies: map[string]policies.Policy{"a": resilientPolicy(b, nil), "b": pb},
	}, snapshot(b, map[string][]string{"a": {a.Addr()}, "b": {hung.Addr()}}))

	measure := func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if res, _ := h.get(b, "/a/x"); res.StatusCode != http.StatusOK {
				b.Fatalf("route A answered %d", res.StatusCode)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	b.Run("B idle", measure)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			c := &http.Client{Transport: &http.Transport{}, Timeout: 15 * time.Second}
			defer c.CloseIdleConnections()
			for {
				req, _ := http.NewRequest("GET", h.url("/b/x"), nil)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				if res, err := c.Do(req.WithContext(ctx)); err == nil {
					res.Body.Close()
				}
				cancel()
				select {
				case <-stop:
					return
				case <-time.After(time.Second): // a 503's Retry-After
				}
			}
		})
	}
	b.Run("B hung and flooded", measure)
	close(stop)
	wg.Wait()
}

// BenchmarkTimeoutsAnswerPromptly reports how long past try_timeout a hung
// instance's 504 comes (the bar: under 50 ms), and how
// long a 502 takes when every instance refuses connections.
func BenchmarkTimeoutsAnswerPromptly(b *testing.B) {
	const try = 200 * time.Millisecond
	b.Run("hung instance, past try_timeout", func(b *testing.B) {
		hung := newUpstream(b, "hung", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		h := resilientGateway(b, resilientPolicy(b, func(p *policies.Policy) {
			p.Timeout, p.TryTimeout = 5*time.Second, try
			p.Breaker.Failures, p.Outlier.ConsecutiveFailures = 0, 0
		}), hung.Addr())
		var over time.Duration
		for b.Loop() {
			start := time.Now()
			if res, _ := h.get(b, "/x"); res.StatusCode != http.StatusGatewayTimeout {
				b.Fatalf("got %d, want 504", res.StatusCode)
			}
			over += time.Since(start) - try
		}
		b.ReportMetric(float64(over.Microseconds())/float64(b.N), "µs-past-try")
	})
	b.Run("every instance refusing", func(b *testing.B) {
		h := resilientGateway(b, resilientPolicy(b, func(p *policies.Policy) {
			p.Breaker.Failures, p.Outlier.ConsecutiveFailures = 0, 0
		}), closedAddr(b), closedAddr(b), closedAddr(b))
		for b.Loop() {
			if res, _ := h.get(b, "/x"); res.StatusCode != http.StatusBadGateway {
				b.Fatalf("got %d, want 502", res.StatusCode)
			}
		}
	})
}
