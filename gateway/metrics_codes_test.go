package gateway

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// A route counts every status code it answers, a few in its own short list
// and any number beyond through the vec, and its retirement deletes them
// all: no series of a removed route is left exported.
func TestRouteStatusCountersCountEveryCodeAndGoWithTheRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	rm := m.seriesFor("r", "svc")
	codes := []int{200, 404, 200}
	for c := 100; c < 100+2*maxCodes; c++ { // more distinct codes than the list holds
		codes = append(codes, c)
	}
	for _, c := range codes {
		rm.counter(c).Inc()
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("r", "svc", "200")); got != 2 {
		t.Errorf("code 200 counted %v times, want 2", got)
	}
	for c := 100; c < 100+2*maxCodes; c++ {
		if got := testutil.ToFloat64(m.requests.WithLabelValues("r", "svc", strconv.Itoa(c))); got != 1 {
			t.Errorf("code %d counted %v times, want 1", c, got)
		}
	}
	m.bindRoutes(nil, []*route{{Route: Route{Name: "r", Service: "svc"}}})
	if n := testutil.CollectAndCount(m.requests); n != 0 {
		t.Errorf("%d request series left after the route's retirement", n)
	}
	if rm.counter(200) != unexportedCount {
		t.Error("a retired route's request counted into an exported series")
	}
}

// maxSeriesPerRoute bounds the heap a route's series take once it has
// answered 200s and 404s: the histogram, the gauge and two counters with
// their labels, measured at 3.3 KiB. With a block of 100 counter slots per
// status class (before) it was 5.0 KiB, 1.7 MiB more at 1,000 routes
// (issue 20).
const maxSeriesPerRoute = 4 << 10

func TestRouteSeriesStaySmall(t *testing.T) {
	const routes = 1000
	reg := prometheus.NewRegistry()
	m := newMetrics(reg)
	rms := make([]*routeMetrics, routes)
	for i := range rms {
		rms[i] = m.seriesFor("route-"+strconv.Itoa(i), "svc-"+strconv.Itoa(i))
	}
	before := heapInUse()
	for _, rm := range rms {
		rm.series().duration.Observe(0.01)
		rm.counter(200).Inc()
		rm.counter(404).Inc()
	}
	per := (int64(heapInUse()) - int64(before)) / routes
	runtime.KeepAlive(rms)
	runtime.KeepAlive(reg)
	t.Logf("series of a route that answered 200 and 404: %d bytes", per)
	if per > maxSeriesPerRoute {
		t.Errorf("a route's series take %d bytes, over the bound of %d", per, maxSeriesPerRoute)
	}
}
