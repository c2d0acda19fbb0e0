package gateway

import (
	"fmt"
	"net/http"

	"github.com/bulwark-gw/bulwark/policies"
)

// Balancer picks an instance of a pool for a request. A Balancer is built once per
// pool (so it may precompute from the pool's instances) and is used concurrently
// without locks on the hot path. Pick returns nil when no instance is Available().
type Balancer interface {
	Pick(r *http.Request) *Upstream
}

// Compile-time checks that every strategy is a Balancer.
var (
	_ Balancer = (*roundRobin)(nil)
	_ Balancer = (*leastRequest)(nil)
	_ Balancer = (*consistentHash)(nil)
)

// NewBalancer builds the balancer for a pool from the service's policy. An empty
// Kind means round robin, the policies default, so a zero Balancer policy works.
// A nil pool is treated as an empty one: the balancer then always picks nil, which
// the gateway answers with 503.
//
// The strategies are listed in this switch rather than registered from init()
// functions so that the whole set is visible in one place (fabio's picker.go).
func NewBalancer(p policies.Balancer, pool *Pool) (Balancer, error) {
	var ups []*Upstream
	if pool != nil {
		ups = pool.Upstreams
	}
	switch p.Kind {
	case policies.RoundRobin, "":
		return newRoundRobin(ups), nil
	case policies.LeastRequest:
		return newLeastRequest(ups), nil
	case policies.ConsistentHash:
		key, err := policies.ParseHashKey(p.HashOn)
		if err != nil {
			return nil, fmt.Errorf("building consistent hash balancer: %w", err)
		}
		return newConsistentHash(key, ups), nil
	default:
		return nil, fmt.Errorf("building balancer: unknown kind %q", p.Kind)
	}
}

// anyUpstreamAvailable reports whether some instance may take a request. The
// strategies call it only off their fast path, to stop a search early when
// everything is down.
func anyUpstreamAvailable(ups []*Upstream) bool {
	for _, u := range ups {
		if u.Available() {
			return true
		}
	}
	return false
}
