package gateway

import (
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
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

// guarded passes the request through the service's bulkhead and breaker, picks
// an instance and proxies to it, then reports the outcome to the breaker.
func (g *Gateway) guarded(w http.ResponseWriter, r *http.Request, ex *exchange) {
	gd := ex.svc.guard
	release, queued, err := gd.bulkhead.acquire(r.Context())
	ex.queued = queued
	if queued > 0 {
		g.metrics.bulkheadQueued.WithLabelValues(ex.svc.name).Observe(queued.Seconds())
	}
	if err != nil {
		if errors.Is(err, ErrBulkheadFull) {
			g.metrics.bulkheadRejections.WithLabelValues(ex.svc.name).Inc()
		}
		g.refuse(w, ex, err)
		return
	}
	defer release()
	done, err := gd.breaker.allow()
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(gd.breaker.retryAfter().Seconds()))))
		g.refuse(w, ex, err)
		return
	}
	gd.active.Add(1)
	defer gd.active.Add(-1)
	ex.up = ex.svc.balancer.Pick(r)
	if ex.up == nil {
		// Every instance is ejected (max_ejected allows it): spread the load
		// over all of them rather than refuse it all (Envoy's panic mode).
		ups := ex.svc.pool.Upstreams
		ex.up = ups[rand.IntN(len(ups))]
	}
	// done runs even when the response is cut off mid-body (ReverseProxy then
	// panics with http.ErrAbortHandler): a half-open probe that never reported
	// would hold its slot, and the breaker would refuse everything for ever.
	defer func() {
		if p := recover(); p != nil {
			if ex.err == nil {
				ex.err = abortCause(ex)
			}
			done(breakerOutcome(ex))
			panic(p)
		}
		done(breakerOutcome(ex))
	}()
	g.proxy.serve(w, r, ex)
}
