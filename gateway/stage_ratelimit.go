package gateway

import (
	"net/http"
	"strings"

	"github.com/bulwark-gw/bulwark/internal/ratelimit"
	"github.com/bulwark-gw/bulwark/policies"
)

// ratelimitStage counts a request against its route's rate_limit and
// refuses it 429 with Retry-After when the count is spent. It comes after
// authentication, so a limit by consumer counts the consumer the gateway
// verified, never one a client claims. Every counted answer, refused or
// not, carries RateLimit-Policy and RateLimit (the IETF draft's fields), so
// a well-behaved client slows down before it is refused.
//
// The buckets are golang.org/x/time/rate token buckets (internal/ratelimit)
// that outlive reloads; with rate_limit.shared they are one GCRA count in
// Redis that every gateway shares, and when Redis fails each gateway counts
// alone until it answers again (logged once per failure window, counted in
// bulwark_ratelimit_redis_failures_total): a limit never opens fully and
// never closes for everyone.
type ratelimitStage struct{ g *Gateway }

func (s ratelimitStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	plan := s.g.admission(ex).limit
	if plan == nil {
		return nil
	}
	lim, key := plan.limit, plan.keyOf(r, ex)
	if plan.byConsumer && ex.consumer != "" {
		if c, ok := ex.state.cfg.Consumers[ex.consumer]; ok && c.RateLimit.N > 0 {
			lim.N, lim.Per = c.RateLimit.N, c.RateLimit.Per
			lim.Burst = 0
		}
	}
	d := plan.limiter.Allow(r.Context(), plan.scope+key, lim)
	d.SetHeaders(w.Header(), plan.name, lim)
	decision := "allowed"
	if !d.Allowed {
		decision = "limited"
	}
	if d.Fallback {
		decision += "_fallback"
	}
	s.g.admitMetrics.limits.WithLabelValues(ex.route.Service, decision).Inc()
	if !d.Allowed {
		s.g.countLimited(ex.state, ex.consumer)
		return &AdmissionError{Kind: ErrRateLimited, Reason: "rate_limit", Detail: "the rate limit of " + plan.rate + " is spent; retry after the time Retry-After gives"}
	}
	return nil
}

// limitPlan is one policy's rate limit.
type limitPlan struct {
	limit   ratelimit.Limit
	limiter ratelimit.Limiter // the gateway's buckets, or Redis when shared
	rate    string            // as written, for the problem's detail
	// name is the policy's name in the RateLimit headers: the key kind.
	name   string
	shared bool
	// scope keeps the buckets of one policy's keys apart from another's:
	// the same client on two services has two counts.
	scope      string
	kind       string // client_ip, consumer, route, header
	header     string // for kind header
	byConsumer bool
}

func newLimitPlan(p *policies.Policy, r policies.Rate) *limitPlan {
	key := limitKey.Of(p)
	plan := &limitPlan{
		limit:  ratelimit.Limit{N: r.N, Per: r.Per, Burst: limitBurst.Of(p)},
		rate:   r.String(),
		name:   key,
		shared: limitShared.Of(p),
		kind:   key,
	}
	if name, ok := strings.CutPrefix(key, "header:"); ok {
		plan.kind, plan.header, plan.name = "header", http.CanonicalHeaderKey(name), "header"
	}
	plan.byConsumer = plan.kind == "consumer"
	// One count per policy value: two routes with the same limit on one
	// service share it, as their service's policy is one value.
	plan.scope = r.String() + "|" + key + "|"
	return plan
}

// keyOf is what r is counted under. A request without the value its key
// names (no consumer: the route is public or the caller unknown; no such
// header) is counted by its client address, so leaving a header out never
// escapes the limit.
func (p *limitPlan) keyOf(r *http.Request, ex *exchange) string {
	switch p.kind {
	case "route":
		return "route:" + ex.route.Name + "|" + ex.route.Service
	case "consumer":
		if ex.consumer != "" {
			return "consumer:" + ex.consumer
		}
	case "header":
		if v := r.Header.Get(p.header); v != "" {
			return "header:" + v
		}
	}
	return "ip:" + clientIP(r, ex.trusted)
}

// newRedisLimiter connects the limiter of shared limits; failures are
// logged once per window and counted.
func newRedisLimiter(g *Gateway, cfg RedisConfig) *ratelimit.Redis {
	return ratelimit.NewRedis(ratelimit.RedisOptions{
		Addr:     cfg.Address,
		Password: cfg.Password,
		DB:       cfg.DB,
		Timeout:  cfg.Timeout,
		OnFallback: func(err error) {
			g.admitMetrics.fallbacks.Inc()
			g.log.Warn("rate limit: Redis failed; counting locally until it answers", "address", cfg.Address, "error", err)
		},
	})
}
