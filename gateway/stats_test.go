package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

func TestStatsCountRequestsErrorsAndLatency(t *testing.T) {
	ok := newUpstream(t, "ok", nil)
	bad := newUpstream(t, "bad", statusHandler("bad", http.StatusInternalServerError))
	p := resilientPolicy(t, func(p *policies.Policy) {
		p.Retries.Attempts = 1
		p.Breaker.Failures = 0
		p.Outlier.ConsecutiveFailures = 0
	})
	h := newHarness(t, Config{
		Routes:   []Route{{Path: "/ok", Service: "s"}, {Path: "/bad", Service: "b"}},
		Policies: map[string]policies.Policy{"s": p, "b": p},
	}, snapshot(t, map[string][]string{"s": {ok.Addr()}, "b": {bad.Addr()}}))
	for range 20 {
		h.get(t, "/ok")
	}
	for range 5 {
		h.get(t, "/bad")
	}
	waitFinished(t, h, "s", 20)
	st, found := h.g.Stats("s")
	if !found || st.Requests != 20 || st.Errors != 0 || st.P50 <= 0 || st.P50 > st.P99 || st.P99 > time.Second {
		t.Errorf("stats of s: %+v (found %v)", st, found)
	}
	waitFinished(t, h, "b", 5)
	if st, _ := h.g.Stats("b"); st.Requests != 5 || st.Errors != 5 {
		t.Errorf("stats of b: %+v", st)
	}
	if _, found := h.g.Stats("nobody"); found {
		t.Error("stats for a service with no requests")
	}
}
