package gateway

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// bulkheadPolicy caps the service at 2 requests in flight and 1 queued for
// queueTimeout; no retries and no breaker, so each request is one attempt
// and refusals come from the bulkhead alone.
func bulkheadPolicy(t testing.TB, queueTimeout time.Duration) policies.Policy {
	t.Helper()
	return resilientPolicy(t, func(p *policies.Policy) {
		p.Bulkhead = policies.Bulkhead{MaxConcurrent: 2, MaxQueue: 1, QueueTimeout: queueTimeout}
		p.Retries.Attempts = 1
		p.Breaker.Failures = 0
		p.Outlier.ConsecutiveFailures = 0
	})
}

// queuedIn is the number of requests waiting in service's bulkhead queue.
func queuedIn(h *harness, service string) int64 {
	return h.g.state.Load().service(service).guard.bulkhead.waiting.Load()
}

// bulkheadRejections is bulwark_bulkhead_rejections_total{service}.
func bulkheadRejections(t testing.TB, h *harness, service string) int {
	t.Helper()
	v, _ := metricValue(t, h.reg, "bulwark_bulkhead_rejections_total", map[string]string{"service": service})
	return int(v)
}

// mustBulkheadFull checks a refusal by a full bulkhead: 503 and problem+json
// with Retry-After, and no upstream involved.
func mustBulkheadFull(t testing.TB, r result, service string) {
	t.Helper()
	if r.err != nil || r.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d, %v (%q); want 503 from the full bulkhead", r.status, r.err, r.body)
	}
	res := &http.Response{StatusCode: r.status, Header: r.header}
	p := problemOf(t, res, r.body)
	if p.Detail != ErrBulkheadFull.Error() || p.Service != service {
		t.Errorf("problem = %+v, want the bulkhead's detail and service %s", p, service)
	}
	mustHeader(t, r.header, "Retry-After", "1")
	if r.header.Get("X-Upstream") != "" {
		t.Errorf("the refusal came from upstream %s", r.header.Get("X-Upstream"))
	}
}

// With max_concurrent 2 and max_queue 1 against an upstream that holds every
// request: two are in flight, the third waits in the queue, the fourth is
// refused at once; the queued one is refused when queue_timeout runs out, or
// goes through when a slot frees in time.
func TestBulkheadCapsInFlightAndQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		queueTimeout time.Duration
		freeASlot    bool // release one in-flight request while the third waits
	}{
		// The wait must outlast the steps between the third request queueing
		// and the fourth arriving (a poll that sees it queued, a new request):
		// a busy machine can take far longer than 100 ms over them, and a third
		// request that left the queue first would let the fourth in instead.
		{name: "the queued request is refused when its wait runs out", queueTimeout: 2 * time.Second},
		{name: "the queued request takes a slot that frees in time", queueTimeout: 5 * time.Second, freeASlot: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := newGate()
			defer g.open()
			up := newUpstream(t, "up", g.handler("up"))
			h := resilientGateway(t, bulkheadPolicy(t, tt.queueTimeout), up.Addr())
			var wg sync.WaitGroup
			defer wg.Wait()
			defer g.open()

			first, second := sendGet(t, h, &wg, "/1"), sendGet(t, h, &wg, "/2")
			eventually(t, "two requests in flight", func() bool { return up.Count() == 2 })
			if v, _ := metricValue(t, h.reg, "bulwark_bulkhead_in_use", map[string]string{"service": "svc"}); v != 2 {
				t.Errorf("bulwark_bulkhead_in_use = %v, want 2", v)
			}
			queuedAt := time.Now()
			third := sendGet(t, h, &wg, "/3")
			eventually(t, "the third request to queue", func() bool { return queuedIn(h, "svc") == 1 })

			// Refused at once: a request that waits in the queue (for a slot
			// or until its wait runs out) is counted by
			// bulwark_bulkhead_queue_seconds; the fourth must never be, which
			// the checks on that count below prove without a clock.
			fourth := receive(t, sendGet(t, h, &wg, "/4"))
			mustBulkheadFull(t, fourth, "svc")
			if got := bulkheadRejections(t, h, "svc"); got != 1 {
				t.Errorf("bulwark_bulkhead_rejections_total = %d after the fourth request, want 1", got)
			}

			if tt.freeASlot {
				g.let(1) // one of the first two answers; the third takes its slot
				eventually(t, "the queued request to reach the upstream", func() bool { return up.Count() == 3 })
				g.let(2)
				for i, ch := range []<-chan result{first, second, third} {
					if r := receive(t, ch); r.err != nil || r.status != http.StatusOK {
						t.Errorf("request %d: %d, %v; want 200", i+1, r.status, r.err)
					}
				}
				if got := bulkheadRejections(t, h, "svc"); got != 1 {
					t.Errorf("bulwark_bulkhead_rejections_total = %d, want only the fourth request's", got)
				}
				if n, _ := metricValue(t, h.reg, "bulwark_bulkhead_queue_seconds", map[string]string{"service": "svc"}); n != 1 {
					t.Errorf("bulwark_bulkhead_queue_seconds counts %v waits, want the queued request's 1", n)
				}
				return
			}

			// The upstream still holds the first two (the gate is shut), so
			// only the queue's own timer can end the third's wait: receive's
			// 10 s deadline fails the test if nothing does. The lower bound
			// cannot fail on a busy machine: a timer never fires early.
			r := receive(t, third)
			mustBulkheadFull(t, r, "svc")
			if waited := time.Since(queuedAt); waited < tt.queueTimeout {
				t.Errorf("the queued request was refused after %v, before its %v wait ran out", waited, tt.queueTimeout)
			}
			if n, _ := metricValue(t, h.reg, "bulwark_bulkhead_queue_seconds", map[string]string{"service": "svc"}); n != 1 {
				t.Errorf("bulwark_bulkhead_queue_seconds counts %v waits, want the queued request's 1 (the fourth was refused without waiting)", n)
			}
			if got := up.Count(); got != 2 {
				t.Errorf("the upstream received %d requests, want only the 2 in flight", got)
			}
			if got := bulkheadRejections(t, h, "svc"); got != 2 {
				t.Errorf("bulwark_bulkhead_rejections_total = %d, want 2 (full queue, then wait over)", got)
			}
			g.open()
			for i, ch := range []<-chan result{first, second} {
				if r := receive(t, ch); r.err != nil || r.status != http.StatusOK {
					t.Errorf("in-flight request %d: %d, %v; want 200", i+1, r.status, r.err)
				}
			}
			// The slots are given back: the service takes requests again.
			if res, _ := h.get(t, "/after"); res.StatusCode != http.StatusOK {
				t.Errorf("status %d once the upstream answered, want 200", res.StatusCode)
			}
		})
	}
}

// A hung service holds its own bulkhead and nothing else: while service B's
// slots and queue are full and its overflow is refused, route A answers as
// fast as ever.
func TestBulkheadIsolatesAHungService(t *testing.T) {
	t.Parallel()
	g := newGate()
	defer g.open()
	a := newUpstream(t, "a", nil)
	b := newUpstream(t, "b", g.handler("b"))
	pol := bulkheadPolicy(t, 100*time.Millisecond)
	h := newHarness(t, Config{
		Routes: []Route{
			{Name: "a", Path: "/a", Service: "svc-a"},
			{Name: "b", Path: "/b", Service: "svc-b"},
		},
		Policies: map[string]policies.Policy{"svc-a": pol, "svc-b": pol},
	}, snapshot(t, map[string][]string{"svc-a": {a.Addr()}, "svc-b": {b.Addr()}}))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer g.open()

	const flood = 12
	results := make(chan result, flood)
	for i := range flood {
		ch := sendGet(t, h, &wg, fmt.Sprintf("/b/%d", i))
		wg.Go(func() { results <- <-ch })
	}
	eventually(t, "B's bulkhead to fill", func() bool { return b.Count() == 2 })
	// All but the two in flight are refused: at once, or after the queue wait.
	for range flood - 2 {
		mustBulkheadFull(t, receive(t, results), "svc-b")
	}
	// Keep B's queue busy while A is used. B hangs until the gate opens at
	// the end of the test, so an A request held by anything of B's (a slot,
	// the queue, a connection) would hang with it: receive's 10 s deadline
	// fails it. A never waits in a queue of its own either. How fast A
	// answers beside a hung service is BenchmarkRouteBesideAHungService's
	// business, not a pass/fail limit here.
	more := sendGet(t, h, &wg, "/b/more")
	for i := range 20 {
		r := receive(t, sendGet(t, h, &wg, fmt.Sprintf("/a/%d", i)))
		if r.err != nil || r.status != http.StatusOK || string(r.body) != "a" {
			t.Fatalf("A answered %d %q (%v) while B is hung, want 200 \"a\"", r.status, r.body, r.err)
		}
	}
	if n, _ := metricValue(t, h.reg, "bulwark_bulkhead_queue_seconds", map[string]string{"service": "svc-a"}); n != 0 {
		t.Errorf("bulwark_bulkhead_queue_seconds{svc-a} counts %v waits, want none: A's bulkhead is not B's", n)
	}
	if got := a.Count(); got != 20 {
		t.Errorf("A received %d requests, want the 20 sent", got)
	}
	mustBulkheadFull(t, receive(t, more), "svc-b")
	if got := bulkheadRejections(t, h, "svc-b"); got != flood-2+1 {
		t.Errorf("bulwark_bulkhead_rejections_total{svc-b} = %d, want %d", got, flood-2+1)
	}
	if got := bulkheadRejections(t, h, "svc-a"); got != 0 {
		t.Errorf("bulwark_bulkhead_rejections_total{svc-a} = %d, want 0", got)
	}
	if got := b.Count(); got != 2 {
		t.Errorf("B received %d requests, want only the 2 its bulkhead holds", got)
	}
	g.open()
	for range 2 {
		if r := receive(t, results); r.err != nil || r.status != http.StatusOK {
			t.Errorf("a held request to B got %d, %v; want 200 once B answered", r.status, r.err)
		}
	}
}
