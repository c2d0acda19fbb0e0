package gateway

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// ServiceStats are a service's request counters since the gateway started,
// for the portal: how many requests, how many answered 5xx, and the latency
// quantiles estimated from the request-duration histogram's buckets.
type ServiceStats struct {
	Requests uint64
	Errors   uint64 // 5xx answers, the gateway's own included
	P50, P99 time.Duration
}

// Stats reads a service's counters from the gateway's own metrics.
func (g *Gateway) Stats(service string) (ServiceStats, bool) {
	var st ServiceStats
	var buckets []*dto.Bucket
	var count uint64
	for _, m := range collect(g.metrics.duration) {
		if label(m, "service") != service {
			continue
		}
		h := m.GetHistogram()
		count += h.GetSampleCount()
		buckets = mergeBuckets(buckets, h.GetBucket())
	}
	for _, m := range collect(g.metrics.requests) {
		if label(m, "service") != service {
			continue
		}
		n := uint64(m.GetCounter().GetValue())
		st.Requests += n
		if strings.HasPrefix(label(m, "code"), "5") {
			st.Errors += n
		}
	}
	if count == 0 && st.Requests == 0 {
		return st, false
	}
	st.P50, st.P99 = quantile(buckets, count, 0.5), quantile(buckets, count, 0.99)
	return st, true
}

func collect(c prometheus.Collector) []*dto.Metric {
	ch := make(chan prometheus.Metric, 64)
	go func() { c.Collect(ch); close(ch) }()
	var out []*dto.Metric
	for m := range ch {
		var d dto.Metric
		if m.Write(&d) == nil {
			out = append(out, &d)
		}
	}
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// mergeBuckets adds b's cumulative counts to acc (same bucket bounds).
func mergeBuckets(acc []*dto.Bucket, b []*dto.Bucket) []*dto.Bucket {
	if acc == nil {
		out := make([]*dto.Bucket, len(b))
		for i, x := range b {
			c, ub := x.GetCumulativeCount(), x.GetUpperBound()
			out[i] = &dto.Bucket{CumulativeCount: &c, UpperBound: &ub}
		}
		return out
	}
	for i := range acc {
		if i < len(b) {
			c := acc[i].GetCumulativeCount() + b[i].GetCumulativeCount()
			acc[i].CumulativeCount = &c
		}
	}
	return acc
}

// quantile interpolates linearly inside the bucket holding the q-th sample,
// as Prometheus's histogram_quantile does.
func quantile(buckets []*dto.Bucket, count uint64, q float64) time.Duration {
	if count == 0 {
		return 0
	}
	rank := q * float64(count)
	lower, prev := 0.0, 0.0
	for _, b := range buckets {
		c := float64(b.GetCumulativeCount())
		if c >= rank {
			frac := 1.0
			if c > prev {
				frac = (rank - prev) / (c - prev)
			}
			return time.Duration((lower + (b.GetUpperBound()-lower)*frac) * float64(time.Second))
		}
		lower, prev = b.GetUpperBound(), c
	}
	return time.Duration(lower * float64(time.Second)) // beyond the last bucket
}
