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
	// Balancer chooses an instance for each request.
	Balancer Balancer `json:"balancer"`
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
	return Policy{
		Timeout:        15 * time.Second,
		TryTimeout:     0, // means: the whole Timeout
		ConnectTimeout: 2 * time.Second,
		Balancer:       Balancer{Kind: RoundRobin},
	}
}

// Overrides is one layer's partial policy: a nil field leaves the value below it.
type Overrides struct {
	Timeout        *time.Duration
	TryTimeout     *time.Duration
	ConnectTimeout *time.Duration
	Balancer       *string
	HashOn         *string
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
	why := Explanation{
		"timeout": "built-in", "try_timeout": "built-in", "connect_timeout": "built-in",
		"balancer": "built-in", "hash_on": "built-in",
	}
	for _, l := range layers {
		o := l.Set
		set := func(field string, ok bool) {
			if ok {
				why[field] = l.Name
			}
		}
		if o.Timeout != nil {
			p.Timeout = *o.Timeout
		}
		set("timeout", o.Timeout != nil)
		if o.TryTimeout != nil {
			p.TryTimeout = *o.TryTimeout
		}
		set("try_timeout", o.TryTimeout != nil)
		if o.ConnectTimeout != nil {
			p.ConnectTimeout = *o.ConnectTimeout
		}
		set("connect_timeout", o.ConnectTimeout != nil)
		if o.Balancer != nil {
			p.Balancer.Kind = *o.Balancer
		}
		set("balancer", o.Balancer != nil)
		if o.HashOn != nil {
			p.Balancer.HashOn = *o.HashOn
		}
		set("hash_on", o.HashOn != nil)
	}
	if p.TryTimeout == 0 || p.TryTimeout > p.Timeout {
		p.TryTimeout = p.Timeout
	}
	return p, why, p.Validate()
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
	return p.Balancer.Validate()
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
