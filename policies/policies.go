// Package policies holds the per-upstream policy values (timeouts, load-balancing
// choice, breakers, bulkheads, retries and outlier ejection) and resolves them
// from layers: built-in defaults < the config file's `defaults:` < the file's
// `services.<name>:` block < the service's Consul labels. Every resolved value
// remembers which layer set it, so an operator can ask "why is this timeout 2s?".
//
// Each setting is declared once, as a Key (keys.go): its name, kind, built-in
// value, range, label and one line of docs. The config file's checks, the
// label parser, Resolve's explanation, the admin API's JSON and the docs table
// all read the declarations rather than keeping lists of their own.
//
// policies imports nothing else from bulwark. Values are plain and immutable once
// resolved; the gateway reads them on every request without locks.
package policies

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Policy is the resolved behaviour for one upstream service. Its JSON form
// (json.go) follows the key declarations.
type Policy struct {
	// Timeout bounds a whole request: connect, request, response headers and body.
	// Streams (SSE responses, upgraded connections) are released from it once their
	// headers arrive, since their length is unbounded by design.
	Timeout time.Duration
	// TryTimeout bounds one attempt's wait for the upstream's response headers,
	// from when the request has been sent.
	TryTimeout time.Duration
	// ConnectTimeout bounds dialling an instance.
	ConnectTimeout time.Duration
	// StreamIdleTimeout bounds the silence of a stream (server-sent events)
	// once its headers arrived and Timeout no longer applies: an upstream
	// that stops sending mid-stream is cut off rather than held for ever.
	// 0 disables it.
	StreamIdleTimeout time.Duration
	// Balancer chooses an instance for each request.
	Balancer Balancer
	// Breaker, Bulkhead, Retries and Outlier contain failures (resilience.go).
	Breaker  Breaker
	Bulkhead Bulkhead
	Retries  Retries
	Outlier  Outlier

	// more holds the values of the keys declared without a field of their
	// own (value.go), read with a Value handle. It is never written once
	// the policy is resolved: Resolve and With write to a copy.
	more []any
}

// Balancer names a load-balancing strategy and, for hashing, the request key.
type Balancer struct {
	// Kind is one of RoundRobin, LeastRequest, ConsistentHash.
	Kind string
	// HashOn is the key for ConsistentHash: "header:NAME", "cookie:NAME" or "path:N"
	// (the N-th path segment, 1-based). Requests without the key are balanced round robin.
	HashOn string
}

// Balancer kinds.
const (
	RoundRobin     = "round_robin"
	LeastRequest   = "least_request"
	ConsistentHash = "consistent_hash"
)

// Defaults are the built-in values every layer starts from, as declared in keys.
// TryTimeout is 0 there, which Resolve reads as "the whole Timeout".
func Defaults() Policy { return builtIn }

// builtIn is Defaults, built once from the declarations.
var builtIn = func() Policy {
	var p Policy
	for _, k := range keys {
		k.field.reset(&p)
	}
	return p
}()

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

	// more holds the layer's values of the keys without a field (value.go):
	// nil where the layer sets none.
	more []any
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

// Explanation maps each key's Name ("retries.backoff") to the layer that set its
// value, or "built-in".
type Explanation map[string]string

// Resolve applies the layers in order over Defaults and validates the result.
func Resolve(layers ...Layer) (Policy, Explanation, error) {
	p := Defaults()
	p.more = slices.Clone(p.more)
	why := make(Explanation, len(keys))
	for _, l := range layers {
		for _, k := range keys {
			if k.field.apply(&p, &l.Set) {
				why[k.Name] = l.Name
			}
		}
	}
	for _, k := range keys {
		if why[k.Name] == "" {
			why[k.Name] = "built-in"
		}
	}
	if p.TryTimeout == 0 || p.TryTimeout > p.Timeout {
		p.TryTimeout = p.Timeout
	}
	return p, why, p.Validate()
}

// With is p with a route's overrides applied over it, for the keys a route
// may set (Key.Route); the others are left as p has them. Each value was
// checked on its own where it was written, so With does not validate.
func (p Policy) With(o *Overrides) Policy {
	p.more = slices.Clone(p.more)
	for _, k := range keys {
		if k.Route {
			k.field.apply(&p, o)
		}
	}
	return p
}

// Equal reports whether p and q hold the same value for every key, so that
// a state built anew can keep what a policy that did not change owns (a
// breaker, a pool of connections).
func (p *Policy) Equal(q *Policy) bool {
	for _, k := range keys {
		if !k.field.same(p, q) {
			return false
		}
	}
	return true
}

// Validate reports every value outside its key's range, and a balancer whose
// hash_on does not fit it. A value whose key is switched off (open_for while
// breaker.failures is 0) is not used, so it is not checked.
func (p Policy) Validate() error {
	var errs []error
	for _, k := range keys {
		if k.Name == "balancer" || k.Name == "hash_on" {
			continue // Balancer.Validate checks them together
		}
		if on := keysByName[k.onlyWith]; on != nil {
			if n, _ := number(on.field.get(&p)); n == 0 {
				continue
			}
		}
		if err := k.Check(k.field.get(&p)); err != nil {
			errs = append(errs, fmt.Errorf("%s %w", k.Name, err))
		}
	}
	for _, rule := range rules {
		if err := rule(&p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, p.Balancer.Validate())...)
}

// Validate checks the kind and, for hashing, the key.
func (b Balancer) Validate() error {
	if err := keysByName["balancer"].Check(b.Kind); err != nil {
		return err
	}
	switch {
	case b.Kind != ConsistentHash && b.HashOn != "":
		return fmt.Errorf("hash_on is only used with balancer %q", ConsistentHash)
	case b.Kind == ConsistentHash:
		_, err := ParseHashKey(b.HashOn)
		return err
	}
	return nil
}
