package gateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// resilienceMetrics count what the breakers, bulkheads, retries and outlier
// ejection did. Their current state (breaker state, bulkhead slots in use,
// ejected instances) is read from the live state at scrape time by
// stateCollector, so a service that goes away leaves no stale series.
type resilienceMetrics struct {
	breakerTransitions *prometheus.CounterVec // service, to
	bulkheadRejections *prometheus.CounterVec // service
	bulkheadQueued     *prometheus.HistogramVec
	retries            *prometheus.CounterVec // service, reason
	ejections          *prometheus.CounterVec // service
	ejectionsSkipped   *prometheus.CounterVec // service
}

func newResilienceMetrics(reg prometheus.Registerer) resilienceMetrics {
	m := resilienceMetrics{
		breakerTransitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_breaker_transitions_total",
			Help: "Circuit breaker state changes by service and new state (open, half_open, closed).",
		}, []string{"service", "to"}),
		bulkheadRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_bulkhead_rejections_total",
			Help: "Requests refused with 503 because the service's bulkhead and its queue were full.",
		}, []string{"service"}),
		bulkheadQueued: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "bulwark_bulkhead_queue_seconds",
			Help:    "Time requests waited in a service's bulkhead queue (only requests that had to wait).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"service"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_retries_total",
			Help: "Retries by service and the failure that caused them (status_NNN, timeout, connect_refused, connect, tls, protocol); reason stale_connection counts requests resent at once, outside the budget, after a reused keep-alive connection failed before the upstream could have processed them; reason budget_exhausted counts retries the budget refused.",
		}, []string{"service", "reason"}),
		ejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_outlier_ejections_total",
			Help: "Instances ejected by outlier detection, by service.",
		}, []string{"service"}),
		ejectionsSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_outlier_ejections_skipped_total",
			Help: "Ejections not made because max_ejected of the service's instances were already out.",
		}, []string{"service"}),
	}
	reg.MustRegister(m.breakerTransitions, m.bulkheadRejections, m.bulkheadQueued, m.retries, m.ejections, m.ejectionsSkipped)
	return m
}

// stateCollector exports the resilience state of the services in use.
type stateCollector struct{ g *Gateway }

var (
	breakerStateDesc = prometheus.NewDesc("bulwark_breaker_state",
		"Circuit breaker state by service: 0 closed, 1 half-open, 2 open.", []string{"service"}, nil)
	bulkheadInUseDesc = prometheus.NewDesc("bulwark_bulkhead_in_use",
		"Requests holding one of the service's bulkhead slots.", []string{"service"}, nil)
	ejectedDesc = prometheus.NewDesc("bulwark_outlier_ejected",
		"Instances of the service currently ejected by outlier detection.", []string{"service"}, nil)
)

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- breakerStateDesc
	ch <- bulkheadInUseDesc
	ch <- ejectedDesc
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	for name, s := range c.g.state.Load().services.All() {
		if b := s.guard.breaker; b != nil {
			ch <- prometheus.MustNewConstMetric(breakerStateDesc, prometheus.GaugeValue, b.stateValue(), name)
		}
		if bh := s.guard.bulkhead; bh != nil {
			ch <- prometheus.MustNewConstMetric(bulkheadInUseDesc, prometheus.GaugeValue, float64(bh.inUse()), name)
		}
		ch <- prometheus.MustNewConstMetric(ejectedDesc, prometheus.GaugeValue, float64(s.ejectedCount()), name)
	}
}
