// Package policies holds the per-upstream policy values (timeouts, load-balancing
// choice, and later breakers, bulkheads, retries and outlier ejection) and resolves
// them from layers: built-in defaults < the config file's `defaults:` < the file's
// `services.<name>:` block < (later) Consul service meta. Every resolved value
// remembers which layer set it, so an operator can ask "why is this timeout 2s?".
//
// policies imports nothing else from bulwark. Values are plain and immutable once
// resolved; the gateway reads them on every request without locks.
package policies

import (
	"errors"
	"fmt"
	"time"
)

// Policy is the resolved behaviour for one upstream service.
type Policy struct {
	// Timeout bounds a whole request: connect, request, response headers and body.
	// Streams (SSE responses, upgraded connections) are released from it once their
	// headers arrive, since their length is unbounded by design.
	Timeout time.Duration `json:"timeout"`
	// TryTimeout bounds one attempt's wait for the upstream's response headers,
	// from when the request has been sent.
	TryTimeout time.Duration `json:"try_timeout"`
	// ConnectTimeout bounds dialling an instance.
	ConnectTimeout time.Duration `json:"connect_timeout"`
	// StreamIdleTimeout bounds the silence of a stream (server-sent events)
	// once its headers arrived and Timeout no longer applies: an upstream
	// that stops sending mid-stream is cut off rather than held for ever.
	// 0 disables it.
	StreamIdleTimeout time.Duration `json:"stream_idle_timeout"`
	// Balancer chooses an instance for each request.
	Balancer Balancer `json:"balancer"`
	// Breaker, Bulkhead, Retries and Outlier contain failures (resilience.go).
	Breaker  Breaker  `json:"breaker"`
	Bulkhead Bulkhead `json:"bulkhead"`
	Retries  Retries  `json:"retries"`
	Outlier  Outlier  `json:"outlier"`
}

// Balancer names a load-balancing strategy and, for hashing, the request key.
type Balancer struct {
	// Kind is one of RoundRobin, LeastRequest, ConsistentHash.
	Kind string `json:"kind"`
	// HashOn is the key for ConsistentHash: "header:NAME", "cookie:NAME" or "path:N"
	// (the N-th path segment, 1-based). Requests without the key are balanced round robin.
	HashOn string `json:"hash_on,omitempty"`
}

// Balancer kinds.
const (
	RoundRobin     = "round_robin"
	LeastRequest   = "least_request"
	ConsistentHash = "consistent_hash"
)

// Defaults are the built-in values every layer starts from. They are chosen for a
// production gateway: Envoy's 15 s route timeout, a connect timeout short enough to
// fail over quickly, and round robin, which needs no state.
func Defaults() Policy {
	p := Policy{
		Timeout:        15 * time.Second,
		TryTimeout:     0, // means: the whole Timeout
		ConnectTimeout: 2 * time.Second,
		Balancer:       Balancer{Kind: RoundRobin},
		// Envoy's stream_idle_timeout; SSE servers send a comment well within it.
		StreamIdleTimeout: 5 * time.Minute,
	}
	p.Breaker, p.Bulkhead, p.Retries, p.Outlier = defaultResilience()
	return p
}

// Overrides is one layer's partial policy: a nil field leaves the value below it.
type Overrides struct {
	Timeout        *time.Duration
	TryTimeout     *time.Duration
	ConnectTimeout *time.Duration
	StreamIdle     *time.Duration
	Balancer       *string
	HashOn         *string
	Breaker        BreakerOverrides
	Bulkhead       BulkheadOverrides
	Retries        RetriesOverrides
	Outlier        OutlierOverrides
}

// BreakerOverrides is one layer's partial Breaker.
type BreakerOverrides struct {
	Failures         *int
	OpenFor          *time.Duration
	HalfOpenRequests *int
}

// BulkheadOverrides is one layer's partial Bulkhead.
type BulkheadOverrides struct {
	MaxConcurrent *int
	MaxQueue      *int
	QueueTimeout  *time.Duration
}

// RetriesOverrides is one layer's partial Retries.
type RetriesOverrides struct {
	Attempts      *int
	Budget        *float64
	MinConcurrent *int
	Backoff       *time.Duration
	MaxBodyBytes  *int64
}

// OutlierOverrides is one layer's partial Outlier.
type OutlierOverrides struct {
	ConsecutiveFailures *int
	EjectFor            *time.Duration
	MaxEjected          *float64
}

// Layer is a named set of overrides, e.g. {"defaults", ...} or {"services.pets", ...}.
type Layer struct {
	Name string
	Set  Overrides
}

// Explanation maps a policy field name (as in JSON) to the layer that set it.
type Explanation map[string]string

// Resolve applies the layers in order over Defaults and validates the result.
func Resolve(layers ...Layer) (Policy, Explanation, error) {
	p := Defaults()
	why := Explanation{}
	for _, l := range layers {
		o := l.Set
		set := func(field string, ok bool) {
			if ok {
				why[field] = l.Name
			}
		}
		set("timeout", pick(&p.Timeout, o.Timeout))
		set("try_timeout", pick(&p.TryTimeout, o.TryTimeout))
		set("connect_timeout", pick(&p.ConnectTimeout, o.ConnectTimeout))
		set("stream_idle_timeout", pick(&p.StreamIdleTimeout, o.StreamIdle))
		set("balancer", pick(&p.Balancer.Kind, o.Balancer))
		set("hash_on", pick(&p.Balancer.HashOn, o.HashOn))
		b, bh, r, ol := o.Breaker, o.Bulkhead, o.Retries, o.Outlier
		set("breaker.failures", pick(&p.Breaker.Failures, b.Failures))
		set("breaker.open_for", pick(&p.Breaker.OpenFor, b.OpenFor))
		set("breaker.half_open_requests", pick(&p.Breaker.HalfOpenRequests, b.HalfOpenRequests))
		set("bulkhead.max_concurrent", pick(&p.Bulkhead.MaxConcurrent, bh.MaxConcurrent))
		set("bulkhead.max_queue", pick(&p.Bulkhead.MaxQueue, bh.MaxQueue))
		set("bulkhead.queue_timeout", pick(&p.Bulkhead.QueueTimeout, bh.QueueTimeout))
		set("retries.attempts", pick(&p.Retries.Attempts, r.Attempts))
		set("retries.budget", pick(&p.Retries.Budget, r.Budget))
		set("retries.min_concurrent", pick(&p.Retries.MinConcurrent, r.MinConcurrent))
		set("retries.backoff", pick(&p.Retries.Backoff, r.Backoff))
		set("retries.max_body_bytes", pick(&p.Retries.MaxBodyBytes, r.MaxBodyBytes))
		set("outlier.consecutive_failures", pick(&p.Outlier.ConsecutiveFailures, ol.ConsecutiveFailures))
		set("outlier.eject_for", pick(&p.Outlier.EjectFor, ol.EjectFor))
		set("outlier.max_ejected", pick(&p.Outlier.MaxEjected, ol.MaxEjected))
	}
	for _, f := range fields {
		if why[f] == "" {
			why[f] = "built-in"
		}
	}
	if p.TryTimeout == 0 || p.TryTimeout > p.Timeout {
		p.TryTimeout = p.Timeout
	}
	return p, why, p.Validate()
}

// fields are the names an Explanation covers.
var fields = []string{"timeout", "try_timeout", "connect_timeout", "stream_idle_timeout", "balancer", "hash_on",
	"breaker.failures", "breaker.open_for", "breaker.half_open_requests",
	"bulkhead.max_concurrent", "bulkhead.max_queue", "bulkhead.queue_timeout",
	"retries.attempts", "retries.budget", "retries.min_concurrent", "retries.backoff", "retries.max_body_bytes",
	"outlier.consecutive_failures", "outlier.eject_for", "outlier.max_ejected"}

// pick sets *dst from src when the layer sets it, and says whether it did.
func pick[T any](dst, src *T) bool {
	if src == nil {
		return false
	}
	*dst = *src
	return true
}

// Validate reports the first inconsistent value.
func (p Policy) Validate() error {
	if p.Timeout <= 0 {
		return fmt.Errorf("timeout must be positive, got %v", p.Timeout)
	}
	if p.TryTimeout < 0 {
		return fmt.Errorf("try_timeout must not be negative, got %v", p.TryTimeout)
	}
	if p.ConnectTimeout <= 0 {
		return fmt.Errorf("connect_timeout must be positive, got %v", p.ConnectTimeout)
	}
	if p.StreamIdleTimeout < 0 {
		return fmt.Errorf("stream_idle_timeout must not be negative, got %v", p.StreamIdleTimeout)
	}
	return errors.Join(p.Balancer.Validate(), p.Breaker.Validate(), p.Bulkhead.Validate(),
		p.Retries.Validate(), p.Outlier.Validate())
}

// Validate checks the kind and, for hashing, the key.
func (b Balancer) Validate() error {
	switch b.Kind {
	case RoundRobin, LeastRequest:
		if b.HashOn != "" {
			return fmt.Errorf("hash_on is only used with balancer %q", ConsistentHash)
		}
		return nil
	case ConsistentHash:
		_, err := ParseHashKey(b.HashOn)
		return err
	default:
		return fmt.Errorf("unknown balancer %q (want %s, %s or %s)", b.Kind, RoundRobin, LeastRequest, ConsistentHash)
	}
}
