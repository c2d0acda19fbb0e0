package gateway

import (
	"math/rand/v2"
	"net/http"
)

// leastRequest is least request by the power of two choices: sample two distinct
// instances at random and take the one with fewer requests in flight per unit of
// weight. Comparing two random instances instead of scanning for the global
// minimum costs O(1) and avoids herding: many gateways (or goroutines) reading the
// same counters would all pick the same "least loaded" instance at once, while
// random pairs spread them, and still almost always avoid the busiest instances
// (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing").
type leastRequest struct {
	ups []*Upstream
}

func newLeastRequest(ups []*Upstream) *leastRequest {
	return &leastRequest{ups: ups}
}

// Pick returns the less loaded of two random available instances, the only
// available instance if there is one, or nil if there is none. It uses the
// per-goroutine generator behind rand.N, so it takes no lock and does not
// allocate.
func (lr *leastRequest) Pick(*http.Request) *Upstream {
	n := len(lr.ups)
	switch n {
	case 0:
		return nil
	case 1:
		if u := lr.ups[0]; u.Available() {
			return u
		}
		return nil
	}
	i := lr.availableFrom(rand.N(n), -1)
	if i < 0 {
		return nil
	}
	// Draw the second from the other n-1 positions so the pair is distinct even
	// when the first draw already landed on i.
	j := rand.N(n - 1)
	if j >= i {
		j++
	}
	j = lr.availableFrom(j, i)
	if j < 0 {
		return lr.ups[i]
	}
	a, b := lr.ups[i], lr.ups[j]
	// a.InFlight()/a.Weight <= b.InFlight()/b.Weight, cross-multiplied so that no
	// division (and no float) is needed. Ties go to a, which is itself random.
	if a.InFlight()*int64(max(b.Weight, 1)) <= b.InFlight()*int64(max(a.Weight, 1)) {
		return a
	}
	return b
}

// availableFrom returns the index of the first Available instance at or after
// start (wrapping around), other than skip, or -1 if there is none. When every
// instance is available, as is usual, it returns start at once, so the sample
// stays uniform; while some are down, the instances just after them are sampled
// a little more often, which is an acceptable price for a search without
// allocation.
func (lr *leastRequest) availableFrom(start, skip int) int {
	n := len(lr.ups)
	for k := range n {
		i := (start + k) % n
		if i != skip && lr.ups[i].Available() {
			return i
		}
	}
	return -1
}
