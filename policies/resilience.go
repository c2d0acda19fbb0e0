package policies

import (
	"fmt"
	"time"
)

// The resilience policies contain a failing upstream: a breaker stops sending
// to a service that keeps failing, a bulkhead caps what one service may hold,
// retries hide a single instance's failure where that is safe, and outlier
// ejection takes a repeatedly failing instance out of the pool. Envoy is the
// model for their semantics; the defaults are on, chosen for a production
// gateway, since an operator who has not read about them is the one who needs
// them most.

// Breaker opens a service's circuit after consecutive failed exchanges (5xx,
// connect errors, timeouts; never 4xx or a client that left), rejects at once
// with 503 while open, then lets HalfOpenRequests probes through.
type Breaker struct {
	// Failures in a row that open the breaker; 0 disables it.
	Failures int `json:"failures"`
	// OpenFor is how long it stays open before probing.
	OpenFor time.Duration `json:"open_for"`
	// HalfOpenRequests is how many probes are let through; all must succeed.
	HalfOpenRequests int `json:"half_open_requests"`
}

// Bulkhead caps a service's concurrent requests, with a short queue; overflow
// fails fast with 503, so a hung upstream holds at most its bulkhead.
type Bulkhead struct {
	// MaxConcurrent requests in flight to the service; 0 is unlimited.
	MaxConcurrent int `json:"max_concurrent"`
	// MaxQueue requests may wait for a slot, each at most QueueTimeout.
	MaxQueue     int           `json:"max_queue"`
	QueueTimeout time.Duration `json:"queue_timeout"`
}

// Retries says when a failed attempt is tried again on another instance.
type Retries struct {
	// Attempts is the most tries of one request, the first included; 1 never retries.
	Attempts int `json:"attempts"`
	// Budget is the share of a service's active requests that may be retries
	// at once (0.2), with at least MinConcurrent allowed, so retries cannot
	// multiply the load on a service that is already failing.
	Budget        float64 `json:"budget"`
	MinConcurrent int     `json:"min_concurrent"`
	// Backoff is the base of the jittered exponential wait before a retry.
	Backoff time.Duration `json:"backoff"`
	// MaxBodyBytes bounds the request bodies kept for replay; a request with a
	// larger (or streamed) body is never retried.
	MaxBodyBytes int64 `json:"max_body_bytes"`
}

// Outlier ejects an instance after consecutive failures, for EjectFor times the
// number of times it was ejected before (capped at ten times), never more than
// MaxEjected of the service's instances at once.
type Outlier struct {
	// ConsecutiveFailures that eject an instance; 0 disables ejection.
	ConsecutiveFailures int           `json:"consecutive_failures"`
	EjectFor            time.Duration `json:"eject_for"`
	// MaxEjected is the largest share of instances ejected at once (0.5).
	MaxEjected float64 `json:"max_ejected"`
}

// defaultResilience are the built-in values.
func defaultResilience() (Breaker, Bulkhead, Retries, Outlier) {
	return Breaker{Failures: 5, OpenFor: 10 * time.Second, HalfOpenRequests: 3},
		Bulkhead{MaxConcurrent: 1024, MaxQueue: 64, QueueTimeout: 100 * time.Millisecond},
		Retries{Attempts: 2, Budget: 0.2, MinConcurrent: 3, Backoff: 25 * time.Millisecond, MaxBodyBytes: 64 << 10},
		Outlier{ConsecutiveFailures: 5, EjectFor: 30 * time.Second, MaxEjected: 0.5}
}

// Validate reports the first inconsistent value.
func (b Breaker) Validate() error {
	switch {
	case b.Failures < 0:
		return fmt.Errorf("breaker.failures must not be negative")
	case b.Failures > 0 && b.OpenFor <= 0:
		return fmt.Errorf("breaker.open_for must be positive")
	case b.Failures > 0 && b.HalfOpenRequests < 1:
		return fmt.Errorf("breaker.half_open_requests must be at least 1")
	}
	return nil
}

// Validate reports the first inconsistent value.
func (b Bulkhead) Validate() error {
	switch {
	case b.MaxConcurrent < 0 || b.MaxQueue < 0:
		return fmt.Errorf("bulkhead sizes must not be negative")
	case b.MaxQueue > 0 && b.QueueTimeout <= 0:
		return fmt.Errorf("bulkhead.queue_timeout must be positive when max_queue is set")
	}
	return nil
}

// Validate reports the first inconsistent value.
func (r Retries) Validate() error {
	switch {
	case r.Attempts < 1 || r.Attempts > 10:
		return fmt.Errorf("retries.attempts must be from 1 (no retries) to 10")
	case r.Budget < 0 || r.Budget > 1:
		return fmt.Errorf("retries.budget must be from 0%% to 100%%")
	case r.MinConcurrent < 0 || r.Backoff < 0 || r.MaxBodyBytes < 0:
		return fmt.Errorf("retries values must not be negative")
	}
	return nil
}

// Validate reports the first inconsistent value.
func (o Outlier) Validate() error {
	switch {
	case o.ConsecutiveFailures < 0:
		return fmt.Errorf("outlier.consecutive_failures must not be negative")
	case o.ConsecutiveFailures > 0 && o.EjectFor <= 0:
		return fmt.Errorf("outlier.eject_for must be positive")
	case o.MaxEjected < 0 || o.MaxEjected > 1:
		return fmt.Errorf("outlier.max_ejected must be from 0%% to 100%%")
	}
	return nil
}
