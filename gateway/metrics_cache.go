package gateway

import "github.com/prometheus/client_golang/prometheus"

// cacheMetrics are the HTTP cache's series, by cache name (a service's, or
// a route's with a budget of its own: names from configuration). What the
// stores count themselves (bytes held, evictions) is read at scrape time by
// cacheCollector, so the two never disagree.
type cacheMetrics struct {
	requests  *prometheus.CounterVec // cache, result
	staleBy   *prometheus.CounterVec // cache, reason
	coalesces *prometheus.CounterVec // cache
}

func newCacheMetrics(reg prometheus.Registerer, g *Gateway) *cacheMetrics {
	m := &cacheMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_cache_requests_total",
			Help: "Requests of cached routes by what the cache did: hit (a fresh stored response), stale (a stale one, see bulwark_cache_stale_served_total), revalidated (a stored response confirmed by a 304), miss (sent upstream), bypass (a method the cache does not keep).",
		}, []string{"cache", "result"}),
		staleBy: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_cache_stale_served_total",
			Help: "Stale responses served, by reason: max-stale (the client allowed it), stale-while-revalidate, or in place of a failure: status (the upstream answered 500, 502, 503 or 504), connect, timeout, breaker, bulkhead, no-instance.",
		}, []string{"cache", "reason"}),
		coalesces: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_cache_coalesced_total",
			Help: "Requests that missed while another request for the same key was on its way upstream, and waited for it.",
		}, []string{"cache"}),
	}
	reg.MustRegister(m.requests, m.staleBy, m.coalesces, cacheCollector{g})
	return m
}

func (m *cacheMetrics) result(cache, result string) { m.requests.WithLabelValues(cache, result).Inc() }
func (m *cacheMetrics) stale(cache, reason string)  { m.staleBy.WithLabelValues(cache, reason).Inc() }
func (m *cacheMetrics) coalesced(cache string)      { m.coalesces.WithLabelValues(cache).Inc() }

// born makes a new cache's counters, so each has a series from its start
// (a rate over a series that appears later misses its first increase).
func (m *cacheMetrics) born(cache string) {
	m.coalesces.WithLabelValues(cache)
	for _, r := range []string{"hit", "stale", "revalidated", "miss", "bypass"} {
		m.requests.WithLabelValues(cache, r)
	}
}

// cacheCollector exports what each store holds.
type cacheCollector struct{ g *Gateway }

var (
	cacheBytesDesc = prometheus.NewDesc("bulwark_cache_bytes",
		"Bytes the cache holds (bodies, headers and keys), never more than its cache.max_bytes.", []string{"cache"}, nil)
	cacheMaxBytesDesc = prometheus.NewDesc("bulwark_cache_max_bytes",
		"The cache's budget, cache.max_bytes.", []string{"cache"}, nil)
	cacheKeysDesc = prometheus.NewDesc("bulwark_cache_keys",
		"Keys (URLs) the cache holds, each with one or more variants.", []string{"cache"}, nil)
	cacheEvictionsDesc = prometheus.NewDesc("bulwark_cache_evictions_total",
		"Entries evicted to stay within the budget.", []string{"cache"}, nil)
)

func (cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheBytesDesc
	ch <- cacheMaxBytesDesc
	ch <- cacheKeysDesc
	ch <- cacheEvictionsDesc
}

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for _, hc := range c.g.caches.all() {
		s := hc.store.Stats()
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(s.Bytes), hc.name)
		ch <- prometheus.MustNewConstMetric(cacheMaxBytesDesc, prometheus.GaugeValue, float64(hc.maxBytes), hc.name)
		ch <- prometheus.MustNewConstMetric(cacheKeysDesc, prometheus.GaugeValue, float64(s.Keys), hc.name)
		ch <- prometheus.MustNewConstMetric(cacheEvictionsDesc, prometheus.CounterValue, float64(s.Evictions), hc.name)
	}
}
