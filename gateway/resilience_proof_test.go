package gateway

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// TestRetriesDoNotAmplifyAFailingInstance: with one of
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

// TestBreakerUnderConcurrencyLetsFewFailuresThrough: under concurrency, with N=5 and a bulkhead of 4, at most N + 4 failing
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

// TestAHungServiceDoesNotSlowAnother: with service B
// hanging and flooded, every request to route A is still answered 200 (none
// waits for what B holds: it would hang as long as B does), B answers 503
// once its bulkhead is full, and the gateway's goroutines stay bounded by B's
// bulkhead and queue. Route A's latency beside the hung B is measured by
// BenchmarkRouteBesideAHungService, not asserted here.
func TestAHungServiceDoesNotSlowAnother(t *testing.T) {
	a := newUpstream(t, "a", nil)
	release := make(chan struct{})
	b := newUpstream(t, "b", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	pb := resilientPolicy(t, func(p *policies.Policy) {
		p.Bulkhead = policies.Bulkhead{MaxConcurrent: 8, MaxQueue: 4, QueueTimeout: 50 * time.Millisecond}
		p.Retries.Attempts = 1
		p.Timeout, p.TryTimeout = 10*time.Second, 10*time.Second
	})
	h := newHarness(t, Config{
		Routes:   []Route{{Name: "a", Path: "/a", Service: "a"}, {Name: "b", Path: "/b", Service: "b"}},
		Policies: map[string]policies.Policy{"a": resilientPolicy(t, nil), "b": pb},
	}, snapshot(t, map[string][]string{"a": {a.Addr()}, "b": {b.Addr()}}))

	// routeA sends n requests to route A, each allowed 10 s: B hangs until
	// the test ends, so a request stuck behind B would fail here.
	routeA := func(n int) {
		c := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
		defer c.CloseIdleConnections()
		for i := range n {
			res, err := c.Get(h.url("/a/x"))
			if err != nil {
				t.Errorf("route A request %d: %v", i+1, err)
				return
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("route A request %d answered %d", i+1, res.StatusCode)
				return
			}
		}
	}
	routeA(10) // warm up: connections, pools
	goroutinesBefore := runtime.NumGoroutine()

	// Flood B: 64 clients, each sending until told to stop and waiting the
	// Retry-After of a 503 (1 s) before the next, as a well-behaved client
	// does. (Clients spinning on refusals in this same process would measure
	// the two CPUs the test shares with the gateway, not the isolation.)
	stop := make(chan struct{})
	var refused atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			c := &http.Client{Transport: &http.Transport{}, Timeout: 15 * time.Second}
			defer c.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("GET", h.url("/b/x"), nil)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				res, err := c.Do(req.WithContext(ctx))
				if err == nil {
					if res.StatusCode == http.StatusServiceUnavailable {
						refused.Add(1)
					}
					res.Body.Close()
				}
				cancel()
				select {
				case <-stop:
				case <-time.After(time.Second):
				}
			}
		})
	}
	eventually(t, "B's bulkhead to fill", func() bool { return refused.Load() > 10 })
	routeA(300)
	goroutinesDuring := runtime.NumGoroutine()
	close(stop)
	wg.Wait()

	// Each in-flight or queued B request holds a few goroutines (client conn,
	// server conn, upstream conn); the 64 flooding clients hold theirs too.
	if extra := goroutinesDuring - goroutinesBefore; extra > 64*4+(8+4)*6 {
		t.Errorf("%d more goroutines while B hung: not bounded by its bulkhead", extra)
	}
	t.Logf("%d B requests refused; +%d goroutines", refused.Load(), goroutinesDuring-goroutinesBefore)
}

// TestTimeoutsAnswerPromptly (the mid-body stall is
// TestTimeoutAbortsASlowBody and TestAStreamThatGoesSilentIsCutAtTheIdleTimeout):
// an instance that never sends headers gets a 504 from try_timeout, long before
// the whole-request timeout; and a service whose every instance refuses
// connections gets a 502 with each instance tried once, at once (outside the
// retry budget and its backoff). How fast is BenchmarkTimeoutsAnswerPromptly's
// business.
func TestTimeoutsAnswerPromptly(t *testing.T) {
	hung := newUpstream(t, "hung", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	const try, whole = 200 * time.Millisecond, 30 * time.Second
	h := resilientGateway(t, resilientPolicy(t, func(p *policies.Policy) { p.Timeout, p.TryTimeout = whole, try }),
		hung.Addr())
	start := time.Now()
	res, _ := h.get(t, "/x")
	if took := time.Since(start); res.StatusCode != http.StatusGatewayTimeout || took < try || took >= whole {
		t.Errorf("a hung instance: %d after %v, want 504 from the %v try_timeout, not the %v timeout", res.StatusCode, took, try, whole)
	}

	// With no retry budget, only a retry made at once, outside the budget
	// and its backoff, can reach the other instances.
	refusing := resilientGateway(t, resilientPolicy(t, func(p *policies.Policy) {
		p.Retries.Attempts, p.Retries.Budget, p.Retries.MinConcurrent = 3, 0, 0
	}), closedAddr(t), closedAddr(t), closedAddr(t))
	if res, _ = refusing.get(t, "/x"); res.StatusCode != http.StatusBadGateway {
		t.Errorf("every instance refusing: %d, want 502", res.StatusCode)
	}
	if got := retriesCounted(t, refusing, "budget_exhausted"); got != 0 {
		t.Errorf("bulwark_retries_total{reason=budget_exhausted} = %d, want 0: a refused connection waits for nothing", got)
	}
	if got := retriesCounted(t, refusing, "connect_refused"); got != 2 {
		t.Errorf("bulwark_retries_total{reason=connect_refused} = %d, want 2: each instance tried once", got)
	}
}
