package gateway

import (
	"sort"
	"sync/atomic"
	"time"
)

// ServiceStats are a service's request counters since the gateway started,
// for the portal: how many requests, how many answered 5xx, and the latency
// quantiles estimated from the request-duration histogram's buckets.
type ServiceStats struct {
	Requests uint64
	Errors   uint64 // 5xx answers, the gateway's own included
	P50, P99 time.Duration
	// CacheLookups and CacheHits are the service's HTTP cache's requests and
	// those it answered (fresh or stale); 0 without a cache.
	CacheLookups, CacheHits uint64
}

// durationBuckets are the bounds, in seconds, of the request-duration
// histogram: the Prometheus series' and the plain counts' alike.
var durationBuckets = [...]float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

// plainCounts are a route series' requests, 5xx answers and latencies as
// plain atomics, counted beside its Prometheus series (record) for Stats.
// Reading the series back would go through client_model's protobuf structs,
// a collector goroutine and a copy of every series of the gateway, on every
// portal page that shows a service's health. They live and die with their
// routeMetrics, as the series do, so both say the same.
type plainCounts struct {
	errors atomic.Uint64
	// buckets counts requests by the first bound their duration is at or
	// under (not cumulative); the last one is beyond every bound.
	buckets [len(durationBuckets) + 1]atomic.Uint64
}

// add counts one finished request, bucketed as the Prometheus histogram
// buckets it (le: the first bound at or above the value).
func (c *plainCounts) add(status int, elapsed time.Duration) {
	c.buckets[sort.SearchFloat64s(durationBuckets[:], elapsed.Seconds())].Add(1)
	if status/100 == 5 {
		c.errors.Add(1)
	}
}

// Stats reads a service's counters: the sum over the routes to it that the
// current tables hold (a removed route's series, and counts, are gone).
func (g *Gateway) Stats(service string) (ServiceStats, bool) {
	var st ServiceStats
	var counts [len(durationBuckets) + 1]uint64
	m := g.metrics
	m.mu.Lock()
	for key, rm := range m.series {
		if key[1] != service {
			continue
		}
		for i := range counts {
			counts[i] += rm.plain.buckets[i].Load()
		}
		st.Errors += rm.plain.errors.Load()
	}
	m.mu.Unlock()
	var cumulative [len(durationBuckets)]uint64
	for i, n := range counts {
		st.Requests += n
		if i < len(cumulative) {
			cumulative[i] = st.Requests
		}
	}
	if st.Requests == 0 {
		return st, false
	}
	st.P50 = quantile(durationBuckets[:], cumulative[:], st.Requests, 0.5)
	st.P99 = quantile(durationBuckets[:], cumulative[:], st.Requests, 0.99)
	for _, hc := range g.caches.all() {
		if hc.name == service {
			c := hc.store.Stats()
			st.CacheHits = c.Hits + c.StaleMaxStale + c.StaleWhileRevalidate + c.StaleIfError
			st.CacheLookups = st.CacheHits + c.Revalidations + c.URIMisses + c.VaryMisses
		}
	}
	return st, true
}

// quantile interpolates linearly inside the bucket holding the q-th of count
// samples, as Prometheus's histogram_quantile does; cumulative[i] counts the
// samples at or under bounds[i].
func quantile(bounds []float64, cumulative []uint64, count uint64, q float64) time.Duration {
	if count == 0 {
		return 0
	}
	rank := q * float64(count)
	lower, prev := 0.0, 0.0
	for i, bound := range bounds {
		c := float64(cumulative[i])
		if c >= rank {
			frac := 1.0
			if c > prev {
				frac = (rank - prev) / (c - prev)
			}
			return time.Duration((lower + (bound-lower)*frac) * float64(time.Second))
		}
		lower, prev = bound, c
	}
	return time.Duration(lower * float64(time.Second)) // beyond the last bucket
}
