package policies

import "time"

// The resilience policies contain a failing upstream: a breaker stops sending
// to a service that keeps failing, a bulkhead caps what one service may hold,
// retries hide a single instance's failure where that is safe, and outlier
// ejection takes a repeatedly failing instance out of the pool. Envoy is the
// model for their semantics. Their built-in values (all on), ranges and labels
// are declared with every other key, in keys.go.

// Breaker opens a service's circuit after consecutive failed exchanges (5xx,
// connect errors, timeouts; never 4xx or a client that left), rejects at once
// with 503 while open, then lets HalfOpenRequests probes through.
type Breaker struct {
	// Failures in a row that open the breaker; 0 disables it.
	Failures int
	// OpenFor is how long it stays open before probing.
	OpenFor time.Duration
	// HalfOpenRequests is how many probes are let through; all must succeed.
	HalfOpenRequests int
}

// Bulkhead caps a service's concurrent requests, with a short queue; overflow
// fails fast with 503, so a hung upstream holds at most its bulkhead.
type Bulkhead struct {
	// MaxConcurrent requests in flight to the service; 0 is unlimited.
	MaxConcurrent int
	// MaxQueue requests may wait for a slot, each at most QueueTimeout.
	MaxQueue     int
	QueueTimeout time.Duration
}

// Retries says when a failed attempt is tried again on another instance.
type Retries struct {
	// Attempts is the most tries of one request, the first included; 1 never retries.
	Attempts int
	// Budget is the share of a service's active requests that may be retries
	// at once (0.2), with at least MinConcurrent allowed, so retries cannot
	// multiply the load on a service that is already failing.
	Budget        float64
	MinConcurrent int
	// Backoff is the base of the jittered exponential wait before a retry.
	Backoff time.Duration
	// MaxBodyBytes bounds the request bodies kept for replay; a request with a
	// larger (or streamed) body is never retried.
	MaxBodyBytes int64
}

// Outlier ejects an instance after consecutive failures, for EjectFor times the
// number of times it was ejected before (capped at ten times), never more than
// MaxEjected of the service's instances at once.
type Outlier struct {
	// ConsecutiveFailures that eject an instance; 0 disables ejection.
	ConsecutiveFailures int
	EjectFor            time.Duration
	// MaxEjected is the largest share of instances ejected at once (0.5).
	MaxEjected float64
}
