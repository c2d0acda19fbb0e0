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
// Nothing is created until the route's first request (issue 20: a thousand
// routes that see no traffic cost a thousand small structs, not a thousand
// histograms and 600-slot code tables).
type routeMetrics struct {
	m      *metrics
	labels [2]string
	// live holds the duration histogram and in-flight gauge, made by the
	// first request (series).
	live atomic.Pointer[liveSeries]
	// retired is set when the last table holding the route dropped it: a
	// request still finishing then gets series that are not exported.
	retired atomic.Bool
	// refs counts the routes of live tables holding the series (metrics.mu).
	refs int
	// oddCodes is set once a status beyond the codes list was counted.
	oddCodes atomic.Bool
	// codes caches a counter per status code seen, copied on write under
	// codesMu: a route answers a handful of codes, so a short list read
	// without a lock is as fast as an index and far smaller (a block of 100
	// slots per class was 800 bytes per class per route, ~1.6 MiB at 1,000
	// routes, issue 20).
	codes   atomic.Pointer[[]codeCounter]
	codesMu sync.Mutex
	// plain counts what the series count, for Stats.
	plain plainCounts
}

// codeCounter is one status code's counter of a route.
type codeCounter struct {
	code    int
	counter prometheus.Counter
}

// maxCodes bounds the codes a route's list holds; more distinct codes than
// this (an upstream answering with many) are counted through the vec.
const maxCodes = 16

// liveSeries are a route's series that exist from its first request on.
type liveSeries struct {
	duration prometheus.Observer
	inflight prometheus.Gauge
}

// unexported are the series of a retired route: counted, never scraped.
var unexported = &liveSeries{
	duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "retired_route_duration"}),
	inflight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "retired_route_inflight"}),
}

var unexportedCount = prometheus.NewCounter(prometheus.CounterOpts{Name: "retired_route_requests"})

// series returns the route's histogram and gauge, making them on first use.
// Two first requests may both ask the vecs; WithLabelValues gives both the
// same child, so either result is the one.
func (rm *routeMetrics) series() *liveSeries {
	if s := rm.live.Load(); s != nil {
		return s
	}
	if rm.retired.Load() {
		return unexported
	}
	s := &liveSeries{
		duration: rm.m.duration.WithLabelValues(rm.labels[0], rm.labels[1]),
		inflight: rm.m.inflight.WithLabelValues(rm.labels[0], rm.labels[1]),
	}
	if !rm.live.CompareAndSwap(nil, s) {
		return rm.live.Load()
	}
	return s
}

func (rm *routeMetrics) counter(code int) prometheus.Counter {
	if rm.retired.Load() {
		return unexportedCount
	}
	if list := rm.codes.Load(); list != nil {
		for _, cc := range *list {
			if cc.code == code {
				return cc.counter
			}
		}
	}
	return rm.addCode(code)
}

// addCode makes a code's counter and adds it to the route's list.
func (rm *routeMetrics) addCode(code int) prometheus.Counter {
	rm.codesMu.Lock()
	defer rm.codesMu.Unlock()
	if rm.retired.Load() { // retired while this request waited: bindRoutes has deleted the list's series
		return unexportedCount
	}
	var list []codeCounter
	if p := rm.codes.Load(); p != nil {
		list = *p
		for _, cc := range list {
			if cc.code == code { // added while this request waited for the lock
				return cc.counter
			}
		}
	}
	c := rm.m.requests.WithLabelValues(rm.labels[0], rm.labels[1], strconv.Itoa(code))
	if len(list) >= maxCodes {
		rm.oddCodes.Store(true)
		return c
	}
	next := append(make([]codeCounter, 0, len(list)+1), list...)
	next = append(next, codeCounter{code, c})
	rm.codes.Store(&next)
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
		rm.retired.Store(true)
		m.duration.DeleteLabelValues(key[0], key[1])
		m.inflight.DeleteLabelValues(key[0], key[1])
		rm.codesMu.Lock()
		if list := rm.codes.Load(); list != nil {
			for _, cc := range *list {
				m.requests.DeleteLabelValues(key[0], key[1], strconv.Itoa(cc.code))
			}
		}
		rm.codesMu.Unlock()
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
	rm := &routeMetrics{refs: 1, m: m, labels: key}
	m.series[key] = rm
	return rm
}
