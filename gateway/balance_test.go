package gateway

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

// balanceTestUpstreams returns one upstream per weight, with addresses in sorted
// order as a Pool holds them ("backend-00:8080", "backend-01:8080", ...).
func balanceTestUpstreams(weights ...int) []*Upstream {
	ups := make([]*Upstream, len(weights))
	for i, w := range weights {
		ups[i] = &Upstream{Service: "svc", Addr: fmt.Sprintf("backend-%02d:8080", i), Weight: w}
	}
	return ups
}

// balanceTestPool wraps balanceTestUpstreams in a Pool.
func balanceTestPool(weights ...int) *Pool {
	return &Pool{Service: "svc", Upstreams: balanceTestUpstreams(weights...)}
}

func TestNewBalancer(t *testing.T) {
	tests := []struct {
		name    string
		policy  policies.Balancer
		want    string // type of the balancer, "" when an error is expected
		wantErr bool
	}{
		{"round robin is built for kind round_robin", policies.Balancer{Kind: policies.RoundRobin}, "*gateway.roundRobin", false},
		{"an empty kind means round robin, the default", policies.Balancer{}, "*gateway.roundRobin", false},
		{"least request is built for kind least_request", policies.Balancer{Kind: policies.LeastRequest}, "*gateway.leastRequest", false},
		{"consistent hash is built with its key", policies.Balancer{Kind: policies.ConsistentHash, HashOn: "header:X-User"}, "*gateway.consistentHash", false},
		{"consistent hash without a key is an error", policies.Balancer{Kind: policies.ConsistentHash}, "", true},
		{"consistent hash with a malformed key is an error", policies.Balancer{Kind: policies.ConsistentHash, HashOn: "path:zero"}, "", true},
		{"an unknown kind is an error", policies.Balancer{Kind: "random"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBalancer(tt.policy, balanceTestPool(1, 1))
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewBalancer(%+v) = %T, want an error", tt.policy, b)
				}
				return
			}
			if err != nil {
				t.Fatalf("NewBalancer(%+v): %v", tt.policy, err)
			}
			if got := fmt.Sprintf("%T", b); got != tt.want {
				t.Errorf("NewBalancer(%+v) = %s, want %s", tt.policy, got, tt.want)
			}
		})
	}
}

func TestBalancerEmptyPoolPicksNothing(t *testing.T) {
	kinds := []policies.Balancer{
		{Kind: policies.RoundRobin},
		{Kind: policies.LeastRequest},
		{Kind: policies.ConsistentHash, HashOn: "header:X-User"},
	}
	pools := map[string]*Pool{
		"an empty pool": {Service: "svc"},
		"a nil pool":    nil,
	}
	for _, kind := range kinds {
		for poolName, pool := range pools {
			t.Run(fmt.Sprintf("%s picks nothing from %s", kind.Kind, poolName), func(t *testing.T) {
				b, err := NewBalancer(kind, pool)
				if err != nil {
					t.Fatal(err)
				}
				r := httptest.NewRequest("GET", "/", nil)
				r.Header.Set("X-User", "alice")
				for range 3 {
					if u := b.Pick(r); u != nil {
						t.Fatalf("Pick = %s, want nil", u.Addr)
					}
				}
			})
		}
	}
}

// Pick sits on every request; round robin and least request must not allocate.
// Consistent hashing on a header is held to the same standard (its key lookup
// is a map read), while cookies and paths may allocate while parsing.
func TestBalancerPickDoesNotAllocate(t *testing.T) {
	tests := []struct {
		name   string
		policy policies.Balancer
	}{
		{"round robin picks without allocating", policies.Balancer{Kind: policies.RoundRobin}},
		{"least request picks without allocating", policies.Balancer{Kind: policies.LeastRequest}},
		{"consistent hash on a header picks without allocating", policies.Balancer{Kind: policies.ConsistentHash, HashOn: "header:X-User"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := NewBalancer(tt.policy, balanceTestPool(3, 1, 2, 1))
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("X-User", "alice")
			if allocs := testing.AllocsPerRun(1000, func() { b.Pick(r) }); allocs != 0 {
				t.Errorf("Pick allocates %v times per call, want 0", allocs)
			}
		})
	}
}
