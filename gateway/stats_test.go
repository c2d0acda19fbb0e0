package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
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

// Stats keeps plain counts beside the Prometheus series instead of reading
// them back: both must say the same, request for request and bucket for
// bucket, summed over every route to the service.
func TestStatsAgreeWithThePrometheusSeries(t *testing.T) {
	up := newUpstream(t, "s", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		time.Sleep(time.Duration(ms) * time.Millisecond)
		code, _ := strconv.Atoi(r.URL.Query().Get("code"))
		w.WriteHeader(code)
	})
	p := resilientPolicy(t, func(p *policies.Policy) {
		p.Retries.Attempts = 1
		p.Breaker.Failures = 0
		p.Outlier.ConsecutiveFailures = 0
	})
	h := newHarness(t, Config{
		Routes:   []Route{{Name: "a", Path: "/a", Service: "s"}, {Name: "b", Path: "/b", Service: "s"}},
		Policies: map[string]policies.Policy{"s": p},
	}, snapshot(t, map[string][]string{"s": {up.Addr()}}))
	n := 0
	for _, path := range []string{"/a", "/b"} {
		for _, ms := range []int{0, 2, 7, 30} {
			for _, code := range []int{200, 404, 503} {
				h.get(t, fmt.Sprintf("%s?ms=%d&code=%d", path, ms, code))
				n++
			}
		}
	}
	// record counts the series first: once Stats has them all, so have they.
	eventually(t, "Stats to count every request", func() bool {
		st, _ := h.g.Stats("s")
		return st.Requests == uint64(n)
	})

	var want ServiceStats
	var bounds []float64
	var cumulative []uint64
	var count uint64
	families, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["service"] != "s" {
				continue
			}
			switch f.GetName() {
			case "bulwark_requests_total":
				v := uint64(m.GetCounter().GetValue())
				want.Requests += v
				if strings.HasPrefix(labels["code"], "5") {
					want.Errors += v
				}
			case "bulwark_request_duration_seconds":
				hist := m.GetHistogram()
				count += hist.GetSampleCount()
				for i, b := range hist.GetBucket() {
					if i == len(bounds) {
						bounds, cumulative = append(bounds, b.GetUpperBound()), append(cumulative, 0)
					}
					cumulative[i] += b.GetCumulativeCount()
				}
			}
		}
	}
	want.P50, want.P99 = quantile(bounds, cumulative, count, 0.5), quantile(bounds, cumulative, count, 0.99)
	got, found := h.g.Stats("s")
	if !found || got != want || count != want.Requests || want.Requests != uint64(n) || want.Errors != uint64(n/3) {
		t.Errorf("Stats = %+v (found %v), the series say %+v over %d samples, want %d requests, %d errors",
			got, found, want, count, n, n/3)
	}
}
