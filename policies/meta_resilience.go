package policies

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// resilienceMetaKeys are the resilience settings a service may set in its
// labels, named after the config file's keys: bulwark-breaker-failures=3 is
// services.NAME.breaker.failures: 3.
var resilienceMetaKeys = []string{
	"breaker-failures", "breaker-open-for", "breaker-half-open-requests",
	"bulkhead-max-concurrent", "bulkhead-max-queue", "bulkhead-queue-timeout",
	"retries-attempts", "retries-budget", "retries-min-concurrent", "retries-backoff", "retries-max-body-bytes",
	"outlier-consecutive-failures", "outlier-eject-for", "outlier-max-ejected",
}

// resilienceFromMeta reads the resilience keys into o. Each value is checked
// on its own (a count is a whole number, a share is 0–100%); whether the
// values agree with each other is left to Resolve, as for the file.
func resilienceFromMeta(meta map[string]string, o *Overrides, bad func(key, value, why string)) {
	count := func(key string) *int {
		v, ok := meta[MetaPrefix+key]
		if !ok {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1<<20 {
			bad(key, v, "want a whole number from 0")
			return nil
		}
		return &n
	}
	duration := func(key string) *time.Duration {
		v, ok := meta[MetaPrefix+key]
		if !ok {
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 || d > time.Hour {
			bad(key, v, "want a duration from 0 to 1h (Go syntax, e.g. 250ms)")
			return nil
		}
		return &d
	}
	share := func(key string) *float64 {
		v, ok := meta[MetaPrefix+key]
		if !ok {
			return nil
		}
		f, err := ParseShare(v)
		if err != nil {
			bad(key, v, err.Error())
			return nil
		}
		return &f
	}
	o.Breaker = BreakerOverrides{Failures: count("breaker-failures"), OpenFor: duration("breaker-open-for"),
		HalfOpenRequests: count("breaker-half-open-requests")}
	o.Bulkhead = BulkheadOverrides{MaxConcurrent: count("bulkhead-max-concurrent"), MaxQueue: count("bulkhead-max-queue"),
		QueueTimeout: duration("bulkhead-queue-timeout")}
	o.Retries = RetriesOverrides{Attempts: count("retries-attempts"), Budget: share("retries-budget"),
		MinConcurrent: count("retries-min-concurrent"), Backoff: duration("retries-backoff")}
	if n := count("retries-max-body-bytes"); n != nil {
		b := int64(*n)
		o.Retries.MaxBodyBytes = &b
	}
	o.Outlier = OutlierOverrides{ConsecutiveFailures: count("outlier-consecutive-failures"),
		EjectFor: duration("outlier-eject-for"), MaxEjected: share("outlier-max-ejected")}
}

// ParseShare reads "20%" as 0.2, and a bare number as a fraction ("0.2"),
// from 0 to 1: the budgets and caps given as shares, in the file and in labels.
func ParseShare(s string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("expected a percentage such as \"20%%\", found %q", s)
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not between 0%% and 100%%", s)
	}
	return f, nil
}
