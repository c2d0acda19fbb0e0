package gateway

import "github.com/prometheus/client_golang/prometheus"

// admitMetrics are the admission stages' series: who was let in, who was
// not and why, by service (names from configuration and discovery, never
// from a request).
type admitMetrics struct {
	auth       *prometheus.CounterVec // service, method, result, reason
	limits     *prometheus.CounterVec // service, decision
	ipRefused  *prometheus.CounterVec // service
	preflights *prometheus.CounterVec // service
	fallbacks  prometheus.Counter
}

func newAdmitMetrics(reg prometheus.Registerer) *admitMetrics {
	m := &admitMetrics{
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_auth_requests_total",
			Help: "Requests of routes that ask for a credential, by the verifier that decided (jwt, api_key, basic, forward; none when no credential was sent; public for an operation whose document needs none), result (ok, refused, unavailable) and reason (missing, expired, bad_signature, wrong_audience, insufficient_scope, ...).",
		}, []string{"service", "method", "result", "reason"}),
		limits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_ratelimit_decisions_total",
			Help: "Rate-limited requests by decision: allowed, limited (answered 429), and allowed_fallback / limited_fallback when a shared limit was decided locally because Redis failed.",
		}, []string{"service", "decision"}),
		ipRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_ip_refused_total",
			Help: "Requests refused 403 by a route's ip.allow or ip.deny.",
		}, []string{"service"}),
		preflights: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "bulwark_cors_preflights_total",
			Help: "CORS preflight requests the gateway answered itself.",
		}, []string{"service"}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "bulwark_ratelimit_redis_failures_total",
			Help: "Failures of the Redis of shared rate limits (an error or a timeout), at most one per retry window; the decisions made locally meanwhile are the *_fallback ones of bulwark_ratelimit_decisions_total.",
		}),
	}
	reg.MustRegister(m.auth, m.limits, m.ipRefused, m.preflights, m.fallbacks)
	return m
}
