package gateway

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/bulwark-gw/bulwark/policies"
)

func TestMetrics(t *testing.T) {
	t.Parallel()
	arrived, release := make(chan struct{}), make(chan struct{})
	pets := newUpstream(t, "pets", nil)
	held := newUpstream(t, "held", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	hung := newUpstream(t, "hung", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	h := newHarness(t, Config{
		Routes: []Route{
			{Name: "pets", Path: "/pets", Service: "pets"},
			{Name: "held", Path: "/held", Service: "held"},
			{Name: "hung", Path: "/hung", Service: "hung"},
		},
		Policies: map[string]policies.Policy{"hung": policy(time.Second, 100*time.Millisecond, policies.Balancer{})},
	}, snapshot(t, map[string][]string{"pets": {pets.Addr()}, "held": {held.Addr()}, "hung": {hung.Addr()}}))

	for range 5 {
		h.get(t, "/pets/1")
	}
	h.get(t, "/nowhere")
	h.get(t, "/nowhere/else")
	if res, _ := h.get(t, "/hung"); res.StatusCode != http.StatusGatewayTimeout {
		t.Fatalf("GET /hung = %d, want 504", res.StatusCode)
	}

	// A request held by its upstream is in flight, and stops being so when done.
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := h.client.Get(h.url("/held"))
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
	}()
	<-arrived
	if v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": "held", "service": "held"}); v != 1 {
		t.Errorf("in flight while the upstream holds the request = %v, want 1", v)
	}
	close(release)
	<-done

	eventually(t, "every request to be counted", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", nil)
		return v == 9
	})
	const wantRequests = `
# HELP bulwark_requests_total Client requests by route, service and status code (499: the client went away).
# TYPE bulwark_requests_total counter
bulwark_requests_total{code="200",route="held",service="held"} 1
bulwark_requests_total{code="200",route="pets",service="pets"} 5
bulwark_requests_total{code="404",route="",service=""} 2
bulwark_requests_total{code="504",route="hung",service="hung"} 1
`
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(wantRequests), "bulwark_requests_total"); err != nil {
		t.Error(err)
	}
	const wantErrors = `
# HELP bulwark_upstream_errors_total Failed upstream exchanges by service and kind (timeout, connect, connect_refused, protocol, client_gone).
# TYPE bulwark_upstream_errors_total counter
bulwark_upstream_errors_total{kind="timeout",service="hung"} 1
`
	if err := testutil.GatherAndCompare(h.reg, strings.NewReader(wantErrors), "bulwark_upstream_errors_total"); err != nil {
		t.Error(err)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_request_duration_seconds", map[string]string{"route": "pets", "service": "pets"}); v != 5 {
		t.Errorf("duration observations for pets = %v, want 5", v)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_request_duration_seconds", map[string]string{"route": "hung"}); v != 1 {
		t.Errorf("duration observations for hung = %v, want 1", v)
	}
	for _, route := range []string{"pets", "held", "hung", ""} {
		if v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": route}); v != 0 {
			t.Errorf("in flight for route %q after the traffic = %v, want 0", route, v)
		}
	}
	if problems, err := testutil.GatherAndLint(h.reg); err != nil || len(problems) > 0 {
		t.Errorf("metric lint: %v %v", problems, err)
	}
}

// A reload keeps a route's series: counts continue instead of restarting, and
// New registers its collectors exactly once on the Registerer.
func TestMetricsSurviveReload(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	cfg := Config{Routes: []Route{{Name: "r", Path: "/", Service: "svc"}}}
	snap := snapshot(t, map[string][]string{"svc": {up.Addr()}})
	h := newHarness(t, cfg, snap)
	h.get(t, "/")
	h.g.Configure(cfg, snap)
	h.g.Configure(Config{Routes: []Route{{Name: "r", Path: "/", Service: "svc"}, {Name: "s", Path: "/s", Service: "svc"}}}, snap)
	h.get(t, "/")
	eventually(t, "two requests on route r", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "r", "code": "200"})
		return v == 2
	})
	if n := testutil.CollectAndCount(h.g.metrics.requests); n != 1 {
		t.Errorf("%d request series, want 1", n)
	}
}

func TestAReloadDeletesTheSeriesOfRemovedRoutes(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	snap := snapshot(t, map[string][]string{"svc": {up.Addr()}})
	both := Config{Routes: []Route{{Name: "kept", Path: "/", Service: "svc"}, {Name: "gone", Path: "/gone", Service: "svc"}}}
	h := newHarness(t, both, snap)
	h.get(t, "/")
	h.get(t, "/gone")
	eventually(t, "a request on route gone", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "gone", "code": "200"})
		return v == 1
	})

	h.g.Configure(Config{Routes: []Route{{Name: "kept", Path: "/", Service: "svc"}}}, snap)
	for _, name := range []string{"bulwark_requests_total", "bulwark_request_duration_seconds", "bulwark_requests_in_flight"} {
		if _, found := metricValue(t, h.reg, name, map[string]string{"route": "gone"}); found {
			t.Errorf("%s still has a series for the removed route", name)
		}
	}
	if v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "kept", "code": "200"}); v != 1 {
		t.Errorf("the kept route's count is %v after the reload, want 1 (kept, not reset)", v)
	}
}

// TestRouteSeriesAreMadeByTraffic: a route's series appear with its first
// request (issue 20: a thousand idle routes export nothing), and a request
// that finishes after its route was removed does not bring them back.
func TestRouteSeriesAreMadeByTraffic(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/slow") {
			<-release
		}
	})
	snap := snapshot(t, map[string][]string{"svc": {up.Addr()}})
	both := Config{Routes: []Route{{Name: "busy", Path: "/", Service: "svc"}, {Name: "idle", Path: "/idle", Service: "svc"}}}
	h := newHarness(t, both, snap)
	h.get(t, "/")
	for _, name := range []string{"bulwark_request_duration_seconds", "bulwark_requests_in_flight"} {
		if _, found := metricValue(t, h.reg, name, map[string]string{"route": "idle"}); found {
			t.Errorf("%s has a series for a route that saw no request", name)
		}
		if _, found := metricValue(t, h.reg, name, map[string]string{"route": "busy"}); !found {
			t.Errorf("%s has no series for a route that saw a request", name)
		}
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := h.client.Get(h.url("/idle/slow"))
		if err == nil {
			res.Body.Close()
		}
	}()
	eventually(t, "the slow request in flight", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": "idle"})
		return v == 1
	})
	h.g.Configure(Config{Routes: []Route{{Name: "busy", Path: "/", Service: "svc"}}}, snap)
	close(release)
	<-done
	for _, name := range []string{"bulwark_requests_total", "bulwark_request_duration_seconds", "bulwark_requests_in_flight"} {
		if _, found := metricValue(t, h.reg, name, map[string]string{"route": "idle"}); found {
			t.Errorf("%s has a series for the removed route after its last request finished", name)
		}
	}
}
