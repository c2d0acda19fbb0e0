package gateway

import (
	"log/slog"
	"sync/atomic"

	"github.com/bulwark-gw/bulwark/policies"
)

// guard is a service's shared protection state: its breaker, its bulkhead and
// its retry budget. It outlives the service value, which is rebuilt whenever
// the service's instances change: a breaker must not close, nor a bulkhead
// forget the requests it holds, because an instance came or went. A guard is
// replaced only when the policy that shapes it changes.
type guard struct {
	policy   policies.Policy // the parts that shape it: Breaker, Bulkhead, Retries
	breaker  *breaker
	bulkhead *bulkhead
	// active counts the service's requests in flight, retries the retries among
	// them: the budget lets retries be at most Budget of active (at least
	// MinConcurrent), so a failing service is not sent twice its load.
	active  atomic.Int64
	retries atomic.Int64
}

func newGuard(service string, p policies.Policy, m *metrics, log *slog.Logger) *guard {
	return &guard{policy: p, breaker: newBreaker(service, p.Breaker, m, log), bulkhead: newBulkhead(p.Bulkhead)}
}

// sameShape reports whether a guard built for p would equal g.
func (g *guard) sameShape(p policies.Policy) bool {
	return g.policy.Breaker == p.Breaker && g.policy.Bulkhead == p.Bulkhead && g.policy.Retries == p.Retries
}

// takeRetry reserves a retry within the budget; the caller calls doneRetry.
func (g *guard) takeRetry() bool {
	r := g.policy.Retries
	limit := max(int64(float64(g.active.Load())*r.Budget), int64(r.MinConcurrent))
	if g.retries.Add(1) > limit {
		g.retries.Add(-1)
		return false
	}
	return true
}

func (g *guard) doneRetry() { g.retries.Add(-1) }
