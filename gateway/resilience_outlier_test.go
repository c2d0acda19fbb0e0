package gateway

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// outlierPolicy ejects after 3 failures in a row for ejectFor, at most
// maxEjected of the instances; no retries and no breaker, so every request
// is one attempt on the instance round robin picks.
func outlierPolicy(t testing.TB, ejectFor time.Duration, maxEjected float64) policies.Policy {
	t.Helper()
	return resilientPolicy(t, func(p *policies.Policy) {
		p.Outlier = policies.Outlier{ConsecutiveFailures: 3, EjectFor: ejectFor, MaxEjected: maxEjected}
		p.Retries.Attempts = 1
		p.Breaker.Failures = 0
	})
}

// ejected is the bulwark_outlier_ejected gauge of service svc.
func ejected(t testing.TB, h *harness) int {
	t.Helper()
	v, _ := metricValue(t, h.reg, "bulwark_outlier_ejected", map[string]string{"service": "svc"})
	return int(v)
}

// ejections is bulwark_outlier_ejections_total{service="svc"}.
func ejections(t testing.TB, h *harness) int {
	t.Helper()
	v, _ := metricValue(t, h.reg, "bulwark_outlier_ejections_total", map[string]string{"service": "svc"})
	return int(v)
}

// An instance failing 3 times in a row is ejected: it gets no traffic for
// eject_for while the others take all of it, then it is tried again.
func TestOutlierEjectsAFailingInstance(t *testing.T) {
	t.Parallel()
	// Long enough that the handful of requests sent while the instance is
	// out (a few milliseconds each) cannot outlast it on a busy machine.
	const ejectFor = 2 * time.Second
	bad := newUpstream(t, "bad", statusHandler("bad", http.StatusBadGateway))
	good1, good2 := newUpstream(t, "good1", nil), newUpstream(t, "good2", nil)
	h := resilientGateway(t, outlierPolicy(t, ejectFor, 0.5), bad.Addr(), good1.Addr(), good2.Addr())

	// Round robin over three: every third request is the bad instance's.
	var lastSent time.Time // the ejection happened after this, during the last request
	for i := 0; bad.Count() < 3; i++ {
		if i == 9 {
			t.Fatalf("the bad instance received %d of 9 requests, want 3", bad.Count())
		}
		lastSent = time.Now()
		h.get(t, fmt.Sprintf("/before/%d", i))
	}
	if got := ejections(t, h); got != 1 {
		t.Fatalf("bulwark_outlier_ejections_total = %d after 3 failures, want 1", got)
	}
	if got := ejected(t, h); got != 1 {
		t.Errorf("bulwark_outlier_ejected = %d, want 1", got)
	}

	// Six requests: two full rounds of the three instances, none of which
	// may reach the ejected one. Counted, not timed; if a machine were so
	// slow that they outlasted eject_for, the check below says so instead
	// of blaming the gateway.
	const during = 6
	for i := range during {
		res, body := h.get(t, fmt.Sprintf("/during/%d", i))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d (%q) while the bad instance is ejected, want 200", res.StatusCode, body)
		}
	}
	if got := bad.Count(); got != 3 {
		if time.Since(lastSent) >= ejectFor {
			t.Fatalf("%d requests outlasted the %v ejection: the machine is too slow for this test to prove anything", during, ejectFor)
		}
		t.Errorf("the ejected instance received %d of %d requests while ejected, want none", got-3, during)
	}

	// The instance comes back once eject_for has passed, never before it
	// (a lower bound: a busy machine only makes it later).
	eventually(t, "the ejection to end", func() bool { return ejected(t, h) == 0 })
	if since := time.Since(lastSent); since < ejectFor {
		t.Errorf("the instance came back %v after its ejection, before eject_for (%v)", since, ejectFor)
	}
	for i := range 3 {
		h.get(t, fmt.Sprintf("/after/%d", i))
	}
	if got := bad.Count(); got != 4 {
		t.Errorf("the instance received %d of 3 requests after its ejection ended, want 1 (round robin)", got-3)
	}
}

// max_ejected caps the share of instances out at once, however many fail: the
// others keep their traffic, and each ejection not made is counted.
func TestOutlierMaxEjectedCapsEjections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		instances  int
		maxEjected float64
		want       int
	}{
		{name: "half of two failing instances is one", instances: 2, maxEjected: 0.5, want: 1},
		{name: "half of four failing instances is two", instances: 4, maxEjected: 0.5, want: 2},
		{name: "a third of three failing instances is one", instances: 3, maxEjected: 0.34, want: 1},
		{name: "max_ejected 0 ejects none", instances: 2, maxEjected: 0, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ups, addrs := failingUpstreams(t, tt.instances, http.StatusBadGateway)
			h := resilientGateway(t, outlierPolicy(t, time.Minute, tt.maxEjected), addrs...)
			for i := range 10 * tt.instances {
				res, body := h.get(t, fmt.Sprintf("/%d", i))
				if res.StatusCode != http.StatusBadGateway || res.Header.Get("X-Upstream") == "" {
					t.Fatalf("request %d: %d %q, want an instance's own 502", i, res.StatusCode, body)
				}
			}
			if got := ejected(t, h); got != tt.want {
				t.Errorf("bulwark_outlier_ejected = %d, want %d", got, tt.want)
			}
			if got := ejections(t, h); got != tt.want {
				t.Errorf("bulwark_outlier_ejections_total = %d, want %d", got, tt.want)
			}
			if v, _ := metricValue(t, h.reg, "bulwark_outlier_ejections_skipped_total", map[string]string{"service": "svc"}); v < 1 {
				t.Errorf("bulwark_outlier_ejections_skipped_total = %v, want the refused ejections counted", v)
			}
			// The instances left in keep receiving traffic.
			before := map[*upstream]int{}
			for _, u := range ups {
				before[u] = u.Count()
			}
			for i := range 2 * tt.instances {
				h.get(t, fmt.Sprintf("/more/%d", i))
			}
			receiving := 0
			for _, u := range ups {
				if u.Count() > before[u] {
					receiving++
				}
			}
			if receiving != tt.instances-tt.want {
				t.Errorf("%d instances received traffic, want the %d not ejected", receiving, tt.instances-tt.want)
			}
		})
	}
}

// Panic mode: when max_ejected allows every instance out and all are, the
// gateway spreads requests over all of them rather than refusing them all;
// instances that have recovered answer before their ejection ends.
func TestOutlierPanicModeWhenAllAreEjected(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	failing.Store(true)
	handler := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if failing.Load() {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			w.Header().Set("X-Upstream", name)
			_, _ = w.Write([]byte(name))
		}
	}
	a, b := newUpstream(t, "a", handler("a")), newUpstream(t, "b", handler("b"))
	h := resilientGateway(t, outlierPolicy(t, time.Minute, 1.0), a.Addr(), b.Addr())
	for i := 0; ejected(t, h) < 2; i++ {
		if i == 20 {
			t.Fatalf("%d instances ejected after 20 failures, want both", ejected(t, h))
		}
		if res, _ := h.get(t, "/"); res.StatusCode != http.StatusBadGateway {
			t.Fatalf("status %d, want the instances' 502", res.StatusCode)
		}
	}
	failing.Store(false)
	before := a.Count() + b.Count()
	seen := map[string]int{}
	const n = 40
	for i := range n {
		res, body := h.get(t, fmt.Sprintf("/panic/%d", i))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d (%q) with every instance ejected, want an instance's 200", res.StatusCode, body)
		}
		seen[string(body)]++
	}
	if got := a.Count() + b.Count() - before; got != n {
		t.Errorf("the instances received %d of %d requests", got, n)
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("answers by instance = %v, want the load spread over both", seen)
	}
	if got := ejected(t, h); got != 2 {
		t.Errorf("bulwark_outlier_ejected = %d, want both still ejected (panic mode does not end an ejection)", got)
	}
}

// A client that leaves says nothing about the instance: a cancelled attempt
// between failures neither counts as a failure nor resets the count, as with
// the breaker.
func TestOutlierIgnoresClientsThatLeave(t *testing.T) {
	t.Parallel()
	var hanging atomic.Int64
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			hanging.Add(1)
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusBadGateway)
	})
	// One instance, max_ejected 1: it can be ejected (panic mode keeps serving).
	h := resilientGateway(t, outlierPolicy(t, time.Minute, 1.0), up.Addr())
	h.get(t, "/fail")
	h.get(t, "/fail")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	ch := send(h, &wg, newRequest(t, http.MethodGet, h.url("/hang"), nil).WithContext(ctx))
	eventually(t, "the request to reach the upstream", func() bool { return hanging.Load() == 1 })
	cancel()
	receive(t, ch)
	wg.Wait()
	waitFinished(t, h, "svc", 3)
	h.get(t, "/fail")
	if got := ejections(t, h); got != 1 {
		t.Errorf("bulwark_outlier_ejections_total = %d after fail, fail, (client left), fail; want 1", got)
	}
}
