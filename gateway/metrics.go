package gateway

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's Prometheus series. Label sets are bounded: route and
// service names come from configuration, codes from HTTP, kinds from errorKind.
type metrics struct {
	requests       *prometheus.CounterVec   // route, service, code
	duration       *prometheus.HistogramVec // route, service
	inflight       *prometheus.GaugeVec     // route, service
	upstreamErrors *prometheus.CounterVec   // service, kind
	labelProblems  *prometheus.GaugeVec     // service
	resilienceMetrics

	// mu guards series, which keeps one routeMetrics per (route, service) across
	// reloads so a reload neither resets nor duplicates them.
	mu     sync.Mutex
	series map[[2]string]*routeMetrics
	// unrouted counts requests refused before a route matched.
	unrouted *routeMetrics
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_requests_total",
			Help: "Client requests by route, service and status code (499: the client went away).",
		}, []string{"route", "service", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bulwark_request_duration_seconds",
			Help:    "Time from receiving a request to the end of its response, by route and service.",
			Buckets: durationBuckets[:],
		}, []string{"route", "service"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bulwark_requests_in_flight",
			Help: "Requests being served, by route and service.",
		}, []string{"route", "service"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_upstream_errors_total",
			Help: "Failed upstream exchanges by service and kind (timeout, connect, connect_refused, protocol, client_gone).",
		}, []string{"service", "kind"}),
		labelProblems: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "bulwark_label_problems",
			Help: "Problems in a service's routing labels (Consul tags and meta), each skipped; see /api/v1/services.",
		}, []string{"service"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight, m.upstreamErrors, m.labelProblems)
	m.resilienceMetrics = newResilienceMetrics(reg)
	m.series = map[[2]string]*routeMetrics{}
	m.unrouted = m.seriesFor("", "")
	return m
}

// routeMetrics caches a route's series so the hot path does no label hashing.
type routeMetrics struct {
	duration prometheus.Observer
	inflight prometheus.Gauge
	vec      *prometheus.CounterVec
	labels   [2]string
	// refs counts the routes of live tables holding the series (metrics.mu).
	refs int
	// oddCodes is set once a status outside codes was counted.
	oddCodes atomic.Bool
	// codes caches a counter per status code, filled on first use.
	codes [600]atomic.Pointer[prometheus.Counter]
	// plain counts what the series count, for Stats.
	plain plainCounts
}

func (rm *routeMetrics) counter(code int) prometheus.Counter {
	if code < 0 || code >= len(rm.codes) {
		rm.oddCodes.Store(true)
		return rm.vec.WithLabelValues(rm.labels[0], rm.labels[1], strconv.Itoa(code))
	}
	if c := rm.codes[code].Load(); c != nil {
		return *c
	}
	c := rm.vec.WithLabelValues(rm.labels[0], rm.labels[1], strconv.Itoa(code))
	rm.codes[code].Store(&c)
	return c
}

// bindRoutes gives the routes a new table compiled their series, and lets go
// of the series of the routes it dropped: a series is deleted when no route
// holds it any more, so a reload leaves no stale series behind (a removed
// route's counters would otherwise be exported forever), and a change costs
// the routes it touched, not the whole table.
func (m *metrics) bindRoutes(added, removed []*route) {
	for _, rt := range added {
		rt.Data = m.seriesFor(rt.Name, rt.Service)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, rt := range removed {
		key := [2]string{rt.Name, rt.Service}
		rm := m.series[key]
		if rm == nil {
			continue
		}
		if rm.refs--; rm.refs > 0 {
			continue
		}
		// Exact deletes: a partial match would scan every series of the vec.
		m.duration.DeleteLabelValues(key[0], key[1])
		m.inflight.DeleteLabelValues(key[0], key[1])
		for code := range rm.codes {
			if rm.codes[code].Load() != nil {
				m.requests.DeleteLabelValues(key[0], key[1], strconv.Itoa(code))
			}
		}
		if rm.oddCodes.Load() {
			m.requests.DeletePartialMatch(prometheus.Labels{"route": key[0], "service": key[1]})
		}
		delete(m.series, key)
	}
}

func (m *metrics) seriesFor(route, service string) *routeMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := [2]string{route, service}
	if rm := m.series[key]; rm != nil {
		rm.refs++
		return rm
	}
	rm := &routeMetrics{
		refs:     1,
		duration: m.duration.WithLabelValues(route, service),
		inflight: m.inflight.WithLabelValues(route, service),
		vec:      m.requests,
		labels:   key,
	}
	m.series[key] = rm
	return rm
}
