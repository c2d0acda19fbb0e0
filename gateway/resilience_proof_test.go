package gateway

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

// TestRetriesDoNotAmplifyAFailingInstance is the proof 6: with one of
// three instances failing every request, the built-in policies keep the
// upstream attempts within 1.2 per client request and client success at
// 99.9% or better, under concurrency.
func TestRetriesDoNotAmplifyAFailingInstance(t *testing.T) {
	var attempts atomic.Int64
	count := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { attempts.Add(1); h(w, r) }
	}
	bad := newUpstream(t, "bad", count(statusHandler("bad", http.StatusServiceUnavailable)))
	g1 := newUpstream(t, "g1", count(statusHandler("g1", http.StatusOK)))
	g2 := newUpstream(t, "g2", count(statusHandler("g2", http.StatusOK)))
	h := resilientGateway(t, resilientPolicy(t, nil), bad.Addr(), g1.Addr(), g2.Addr())

	const clients, each = 8, 500 // the few failures come before the ejection, so they are a bounded number
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for range each {
				res, _ := h.get(t, "/x")
				if res.StatusCode == http.StatusOK {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	total := float64(clients * each)
	if ratio := float64(attempts.Load()) / total; ratio > 1.2 {
		t.Errorf("upstream attempts per client request = %.3f, want ≤ 1.2", ratio)
	}
	if success := float64(ok.Load()) / total; success < 0.999 {
		t.Errorf("client success = %.4f, want ≥ 0.999", success)
	}
	exhausted, _ := metricValue(t, h.reg, "bulwark_retries_total", map[string]string{"reason": "budget_exhausted"})
	t.Logf("%d client requests, %d upstream attempts, %d succeeded, %v retries refused by the budget",
		clients*each, attempts.Load(), ok.Load(), exhausted)
}

// TestBreakerUnderConcurrencyLetsFewFailuresThrough is the proof 3
// under concurrency: with N=5 and a bulkhead of 4, at most N + 4 failing
// requests reach the upstream before the breaker opens and stops them all.
func TestBreakerUnderConcurrencyLetsFewFailuresThrough(t *testing.T) {
	var hits atomic.Int64
	up := newUpstream(t, "down", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		statusHandler("down", http.StatusInternalServerError)(w, r)
	})
	p := resilientPolicy(t, func(p *policies.Policy) {
		p.Breaker.Failures = 5
		p.Bulkhead = policies.Bulkhead{MaxConcurrent: 4, MaxQueue: 4, QueueTimeout: defaultTimeout}
		p.Retries.Attempts = 1
		p.Outlier.ConsecutiveFailures = 0
	})
	h := resilientGateway(t, p, up.Addr())
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 16 {
		wg.Go(func() {
			for range 10 {
				if res, _ := h.get(t, "/x"); res.StatusCode == http.StatusServiceUnavailable {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := hits.Load(); n > 5+4 {
		t.Errorf("%d failing requests reached the upstream, want at most N + bulkhead = 9", n)
	}
	if refused.Load() < 150 {
		t.Errorf("only %d of 160 requests were refused by the open breaker", refused.Load())
	}
}
