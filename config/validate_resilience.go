package config

import "strings"

// resilienceBlocks checks the breaker, bulkhead, retries and outlier blocks of
// one policy block, each value on its own and at its own position. What only
// the combination can break (a queue without a queue timeout) is left to the
// policies.Resolve safety net in combined.
func (c *checker) resilienceBlocks(p string, b Policy) {
	nonNegative := func(path string, v *int) {
		if v != nil && *v < 0 {
			c.report(path, "must not be negative, got %d", *v)
		}
	}
	positive := func(path string, d *Duration) {
		if d != nil && *d <= 0 {
			c.report(path, "must be positive, got %v", *d)
		}
	}
	share := func(path string, v *Percent) {
		if v != nil {
			if _, err := v.Fraction(); err != nil {
				c.report(path, "%v", err)
			}
		}
	}
	if d := b.Docs; d != nil {
		if p == "defaults" {
			c.report(p+".docs", "documents are per service: set docs under services.NAME")
		}
		for key, v := range map[string]string{"openapi": d.OpenAPI, "hal": d.HAL} {
			if v != "" && (!strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?# ") || strings.Contains(v, "..")) {
				c.report(p+".docs."+key, "%q must be a clean absolute path on the service's instances", v)
			}
		}
	}
	if t := b.TLS; t != nil && (t.Cert == "") != (t.Key == "") {
		c.report(p+".tls", "a client certificate needs both cert and key")
	}
	if br := b.Breaker; br != nil {
		nonNegative(p+".breaker.failures", br.Failures)
		positive(p+".breaker.open_for", br.OpenFor)
		if br.HalfOpenRequests != nil && *br.HalfOpenRequests < 1 {
			c.report(p+".breaker.half_open_requests", "must be at least 1, got %d", *br.HalfOpenRequests)
		}
	}
	if bh := b.Bulkhead; bh != nil {
		nonNegative(p+".bulkhead.max_concurrent", bh.MaxConcurrent)
		nonNegative(p+".bulkhead.max_queue", bh.MaxQueue)
		positive(p+".bulkhead.queue_timeout", bh.QueueTimeout)
	}
	if r := b.Retries; r != nil {
		if r.Attempts != nil && (*r.Attempts < 1 || *r.Attempts > 10) {
			c.report(p+".retries.attempts", "must be from 1 (no retries) to 10, got %d", *r.Attempts)
		}
		share(p+".retries.budget", r.Budget)
		nonNegative(p+".retries.min_concurrent", r.MinConcurrent)
		if r.Backoff != nil && *r.Backoff < 0 {
			c.report(p+".retries.backoff", "must not be negative, got %v", *r.Backoff)
		}
		if r.MaxBodyBytes != nil && *r.MaxBodyBytes < 0 {
			c.report(p+".retries.max_body_bytes", "must not be negative, got %d", *r.MaxBodyBytes)
		}
	}
	if o := b.Outlier; o != nil {
		nonNegative(p+".outlier.consecutive_failures", o.ConsecutiveFailures)
		positive(p+".outlier.eject_for", o.EjectFor)
		share(p+".outlier.max_ejected", o.MaxEjected)
	}
}
