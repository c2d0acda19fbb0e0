package gateway

import (
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/rs/cors"

	"github.com/bulwark-gw/bulwark/internal/authn"
	"github.com/bulwark-gw/bulwark/internal/ratelimit"
	"github.com/bulwark-gw/bulwark/policies"
)

// Admission is four request stages (stage_cors.go, stage_ip.go,
// stage_auth.go, stage_ratelimit.go), in that order, between the service
// stage and the cache: a preflight is answered before anyone asks for a
// credential, an address is refused before a signature is checked, and a
// caller is counted once it is known, so a limit by consumer counts
// consumers. Each reads what its request's policy asks (an admission),
// built from the policy once per state on the first request that needs it.
// What must outlive a state (a JWKS already fetched, the buckets of a rate
// limit, the Redis client) lives in the gateway's admitters.

// admission is what one resolved policy asks of its callers.
type admission struct {
	cors        *cors.Cors // nil: no CORS answers
	allow, deny []netip.Prefix
	auth        *authPlan  // nil: no authentication
	limit       *limitPlan // nil: no rate limit
}

// admissions holds, per state, the admission of each policy read so far.
type admissions struct{ m sync.Map } // *policies.Policy → *admission

// admission is what ex's policy asks of callers. Stages after serviceStage
// call it; the first builds it, for the state.
func (g *Gateway) admission(ex *exchange) *admission {
	if ex.adm != nil {
		return ex.adm
	}
	if a, ok := ex.state.admissions.m.Load(ex.policy); ok {
		ex.adm = a.(*admission)
		return ex.adm
	}
	a, _ := ex.state.admissions.m.LoadOrStore(ex.policy, g.buildAdmission(ex.state, ex.policy))
	ex.adm = a.(*admission)
	return ex.adm
}

// buildAdmission reads a policy's admission keys into what the stages check
// with. It runs once per policy and state, off the hot path.
func (g *Gateway) buildAdmission(st *state, p *policies.Policy) *admission {
	a := &admission{
		cors:  newCORS(p),
		allow: parsePrefixes(ipAllow.Of(p).Items()),
		deny:  parsePrefixes(ipDeny.Of(p).Items()),
	}
	if authOn(p) {
		a.auth = g.admitters.authPlan(st, p)
	}
	if r := limitRate.Of(p); r.N > 0 {
		a.limit = newLimitPlan(p, r)
		// Chosen once per state: retain set the Redis client before the
		// state was published, so no request takes a lock for it.
		a.limit.limiter = g.admitters.limiter(a.limit.shared)
	}
	return a
}

// admitters are the verifiers and limiters shared by every state: a JWT
// verifier keeps the JWKS it fetched, a limiter its buckets, across reloads
// and discovery changes. Guarded by mu; the request path reaches them
// through an admission, built once per state.
type admitters struct {
	g  *Gateway
	mu sync.Mutex
	// jwts and forwards by their whole configuration; a reload drops those
	// whose address left the file (retain).
	jwts     map[string]*authn.JWT
	forwards map[string]*authn.Forward
	// consumers are the verifiers of cfg's consumers, rebuilt when a reload
	// brings another Config.
	consumersOf *Config
	apiKeys     *authn.APIKeys
	basic       *authn.Basic
	local       *ratelimit.Local
	redis       *ratelimit.Redis
	redisCfg    RedisConfig
	// usage counts the configured consumers' requests (admin_consumers.go).
	usage usage
}

func (a *admitters) init(g *Gateway) {
	a.g = g
	a.jwts = map[string]*authn.JWT{}
	a.forwards = map[string]*authn.Forward{}
	a.local = ratelimit.NewLocal(ratelimit.LocalOptions{})
}

// maxVerifiers bounds the JWT and forward verifiers kept: labels may tune
// a verifier's checks per service, and each variation is one more.
const maxVerifiers = 256

// authPlan builds the plan of a policy that asks for authentication.
func (a *admitters) authPlan(st *state, p *policies.Policy) *authPlan {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.consumers(st.cfg)
	plan := newAuthPlan(p)
	plan.security = st.cfg.Security
	if url := jwksURL.Of(p); url != "" {
		cfg := authn.JWTConfig{
			JWKSURL:       url,
			Issuer:        jwtIssuer.Of(p),
			Audiences:     jwtAudiences.Of(p).Items(),
			Algorithms:    jwtAlgorithms.Of(p).Items(),
			ClockSkew:     jwtClockSkew.Of(p),
			ConsumerClaim: jwtConsumerClaim.Of(p),
		}
		key := strings.Join(slices.Concat([]string{url, cfg.Issuer, cfg.ClockSkew.String(), cfg.ConsumerClaim},
			cfg.Audiences, []string{"\x00"}, cfg.Algorithms), "\n")
		j := a.jwts[key]
		if j == nil {
			var err error
			if j, err = authn.NewJWT(cfg); err != nil {
				a.g.log.Error("auth: JWT verifier", "jwks_url", url, "error", err)
			} else {
				if len(a.jwts) >= maxVerifiers {
					a.dropJWTs(func(string) bool { return true })
				}
				a.jwts[key] = j
			}
		}
		plan.jwt = j
		plan.jwtConfigured = true
	}
	if url := forwardURL.Of(p); url != "" {
		cfg := authn.ForwardConfig{
			URL:             url,
			RequestHeaders:  forwardRequest.Of(p).Items(),
			ResponseHeaders: forwardResponse.Of(p).Items(),
			Timeout:         forwardTimeout.Of(p),
			// The service may name the consumer in the header the
			// upstream is told it in.
			ConsumerHeader: consumerHeader.Of(p),
		}
		key := strings.Join(slices.Concat([]string{url, cfg.Timeout.String(), cfg.ConsumerHeader}, cfg.RequestHeaders, []string{"\x00"}, cfg.ResponseHeaders), "\n")
		f := a.forwards[key]
		if f == nil {
			var err error
			if f, err = authn.NewForward(cfg); err != nil {
				a.g.log.Error("auth: forward verifier", "url", url, "error", err)
			} else {
				if len(a.forwards) >= maxVerifiers {
					a.closeForwards()
				}
				a.forwards[key] = f
			}
		}
		plan.forward = f
		plan.forwardConfigured = true
	}
	if apiKeysEnabled.Of(p) {
		plan.apiKeys = a.apiKeys
	}
	if basicEnabled.Of(p) {
		plan.basic = a.basic
	}
	return plan
}

// consumers rebuilds the API key and password verifiers when cfg is a new
// configuration. Config validation checked every hash's form; a hash the
// verifier still refuses (argon2 parameters past its bounds) is logged, and
// that verifier admits nobody rather than somebody.
func (a *admitters) consumers(cfg *Config) {
	if a.consumersOf == cfg {
		return
	}
	a.consumersOf = cfg
	keys := map[string][]string{}
	passwords := map[string]string{}
	for name, c := range cfg.Consumers {
		if len(c.APIKeys) > 0 {
			keys[name] = c.APIKeys
		}
		if c.Password != "" {
			passwords[name] = c.Password
		}
	}
	var err error
	if a.apiKeys, err = authn.NewAPIKeys(keys); err != nil {
		a.g.log.Error("auth: consumers' API keys", "error", err)
		a.apiKeys, _ = authn.NewAPIKeys(nil)
	}
	if a.basic, err = authn.NewBasic(passwords); err != nil {
		a.g.log.Error("auth: consumers' passwords", "error", err)
		a.basic, _ = authn.NewBasic(nil)
	}
}

// dropJWTs closes and forgets the JWT verifiers whose JWKS URL drop says.
func (a *admitters) dropJWTs(drop func(url string) bool) {
	for k, j := range a.jwts {
		if url, _, _ := strings.Cut(k, "\n"); drop(url) {
			j.Close()
			delete(a.jwts, k)
		}
	}
}

// closeForwards closes and forgets every forward verifier.
func (a *admitters) closeForwards() {
	for k, f := range a.forwards {
		f.Close()
		delete(a.forwards, k)
	}
}

// retain runs after a new configuration is published: verifiers whose
// address is no longer in the file go (labels cannot name one), and the
// Redis client follows redis: in the file.
func (a *admitters) retain(cfg *Config) {
	urls := map[string]bool{}
	note := func(p *policies.Policy) {
		urls[jwksURL.Of(p)] = true
		urls[forwardURL.Of(p)] = true
	}
	for _, p := range cfg.Policies {
		note(&p)
	}
	if cfg.DefaultPolicy != nil {
		note(cfg.DefaultPolicy)
	}
	for _, r := range cfg.Routes {
		var p policies.Policy
		p = p.With(&r.Policy)
		note(&p)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dropJWTs(func(url string) bool { return !urls[url] })
	for k := range a.forwards {
		url, _, _ := strings.Cut(k, "\n")
		if !urls[url] {
			a.forwards[k].Close()
			delete(a.forwards, k)
		}
	}
	a.retainRedis(cfg.Redis)
}

// retainRedis makes, replaces or closes the Redis limiter as cfg says.
func (a *admitters) retainRedis(cfg *RedisConfig) {
	var want RedisConfig
	if cfg != nil {
		want = *cfg
	}
	if a.redis != nil && want == a.redisCfg {
		return
	}
	if a.redis != nil {
		_ = a.redis.Close()
		a.redis = nil
	}
	a.redisCfg = want
	if cfg == nil {
		return
	}
	a.redis = newRedisLimiter(a.g, want)
}

// limiter is the limiter a plan counts with: Redis when the policy shares
// its limit and a Redis is configured, else the gateway's own buckets.
func (a *admitters) limiter(shared bool) ratelimit.Limiter {
	if shared {
		a.mu.Lock()
		r := a.redis
		a.mu.Unlock()
		if r != nil {
			return r
		}
	}
	return a.local
}

// close releases what the admitters hold (Gateway.Close).
func (a *admitters) close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.dropJWTs(func(string) bool { return true })
	a.closeForwards()
	if a.redis != nil {
		_ = a.redis.Close()
		a.redis = nil
	}
}
