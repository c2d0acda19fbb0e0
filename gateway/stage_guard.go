package gateway

import (
	"errors"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
)

// guardStage ends the request stages: the request passes the service's
// bulkhead and breaker, an instance is picked, and the proxy sends it there;
// the outcome is reported to the breaker. It comes after every refusal that
// costs nothing, so a request refused for its own sake (a bad path, no route,
// a closed door) never takes a bulkhead slot or counts for or against the
// breaker, and an open breaker sheds only requests that would have gone
// upstream.
type guardStage struct {
	metrics *metrics
	proxy   *proxy
}

func (s *guardStage) serve(w http.ResponseWriter, r *http.Request, ex *exchange) {
	if len(ex.svc.pool.Upstreams) == 0 {
		refuse(w, ex, ErrNoHealthyInstance)
		return
	}
	gd := ex.svc.guard
	release, queued, err := gd.bulkhead.acquire(r.Context())
	ex.queued = queued
	if queued > 0 {
		s.metrics.bulkheadQueued.WithLabelValues(ex.svc.name).Observe(queued.Seconds())
	}
	if err != nil {
		if errors.Is(err, ErrBulkheadFull) {
			s.metrics.bulkheadRejections.WithLabelValues(ex.svc.name).Inc()
		}
		refuse(w, ex, err)
		return
	}
	defer release()
	done, err := gd.breaker.allow()
	if err != nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(gd.breaker.retryAfter().Seconds()))))
		refuse(w, ex, err)
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
	s.proxy.serve(w, r, ex)
}
