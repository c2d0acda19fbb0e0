// Package gateway is bulwark's request path: it matches a request to a route,
// picks an instance of the route's service with the service's balancer, and
// proxies the request with httputil.ReverseProxy under the service's timeouts,
// mapping every failure to one status (see ErrorStatus), and recording metrics,
// an access log line and a Server-Timing header.
//
// Everything a request reads (route table, services, pools, policies) lives in one
// immutable state value swapped atomically by Configure and Update, so a reload
// never blocks or fails a request: in-flight requests finish on the state they
// started with.
//
// gateway imports policies, discovery (types only) and leaves under internal/,
// among them the route table (internal/routing). It never calls Consul and
// never imports the portal: the portal is mounted as an http.Handler.
//
// Where things are, in the order a request meets them:
//
//	gateway.go     ServeHTTP, the state swapped by Configure/Update, the exchange
//	chain.go       the stages a request passes, in order; one per stage_*.go:
//	               sanitize, match, upgrade, service, guard; trace on the response
//	sanitize.go    requests refused before routing (paths, upgrades)
//	build.go       build: the next state from the previous one and what changed
//	routes.go      the route table (package internal/routing) as the gateway names it
//	labelroutes.go label views, read again only for the services that changed
//	pools.go       services: policy, pool, balancer and transport per service
//	guard.go       a service's breaker, bulkhead and retry budget (breaker.go, bulkhead.go)
//	retry.go       retries inside the round trip; outlier.go ejects failing instances
//	balance*.go    round robin, least request, consistent hash
//	upstream.go    one instance's live state
//	proxy.go       the ReverseProxy hooks: timeouts, Rewrite, ModifyResponse, errors
//	transport.go   one transport per service: its pool, dial and header timeouts;
//	               body-less GET/HEAD/OPTIONS take internal/h1's direct path
//	headers.go     X-Forwarded-*, X-Request-Id, Server-Timing
//	body.go        the client's body and its errors
//	errors.go      the one mapping from failures to status codes, problem+json
//	record.go      metrics and the access log line (internal/accesslog) at the end of every request
//	routelog.go    one log line per route an update adds, removes or changes
//	metrics.go     the Prometheus series
//	admin.go       the admin API
//	config.go      Config, what the gateway is configured with
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/accesslog"
	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/internal/routing"
	"github.com/bulwark-gw/bulwark/policies"
	"github.com/prometheus/client_golang/prometheus"
)

// Options are the gateway's process-level dependencies.
type Options struct {
	// Logger receives the operational log; nil discards it.
	Logger *slog.Logger
	// AccessLog receives one line per request when Config.AccessLog is on; nil
	// uses Logger. It is separate so that the operational log level (say, warn)
	// does not silence the access log, and so it can be buffered.
	AccessLog *slog.Logger
	// Registerer receives the gateway's metrics; nil uses a private registry.
	Registerer prometheus.Registerer
}

// Gateway is an http.Handler for client traffic. Create it with New, then call
// Configure and Update; it answers 503 until both have happened.
type Gateway struct {
	log    *slog.Logger
	access *slog.Logger
	// accessFast is access's handler when it is bulwark's own, whose direct path
	// writes request lines without building a slog.Record.
	accessFast *accesslog.Handler
	metrics    *metrics
	proxy      *proxy
	chain      *chain
	// caches are the HTTP caches by name, made on first use (cache.go).
	caches       caches
	cacheMetrics *cacheMetrics
	// admitters are the admission stages' state that outlives a state: JWKS
	// caches, rate-limit buckets, the Redis client (admission.go).
	admitters    admitters
	admitMetrics *admitMetrics
	// contracts is what traffic said about each service's document, and
	// checker the worker that checks sampled responses (contract_stats.go,
	// stage_validate_response.go).
	contracts       contractStats
	contractMetrics *contractMetrics
	checker         responseChecker

	state atomic.Pointer[state]

	// mu serializes writers (Configure, Update, Mount); readers only Load state.
	mu sync.Mutex
	// draining is set by Drain: readiness fails while requests still flow.
	draining atomic.Bool
	// discoversRoutes is set by DiscoversRoutes: routes may come from a
	// discovery source's labels, so having none is not a reason to be unready.
	discoversRoutes atomic.Bool
	// retired are transports replaced within retireGrace, closed by Close
	// (guarded by mu).
	retired map[*h1.Transport]bool
}

// state is everything one request reads, made by build (build.go) and
// immutable once stored: nothing reachable from it is written again, except
// the live counters of upstreams, guards and metrics, which are shared by
// design.
type state struct {
	cfg      *Config
	snap     *discovery.Snapshot
	table    *table // with the label routes that another owner holds (its conflicts)
	services pmap.Map[string, *service]
	mounts   []mount
	// labels are the services' routing labels as read (labels.go), and
	// policyProblems the label problems found resolving policies, by service.
	labels         pmap.Map[string, *labelView]
	policyProblems map[string][]string
	// routePolicies are the policies of the routes that set keys of their
	// own, filled as their requests come (route_policy.go).
	routePolicies *routePolicies
	// admissions are what each policy asks of callers, built on first use
	// (admission.go).
	admissions *admissions
}

// service is the named service's state; nil when it has none.
func (st *state) service(name string) *service {
	s, _ := st.services.Get(name)
	return s
}

// label is the named service's label view; nil when it has no labels.
func (st *state) label(name string) *labelView {
	v, _ := st.labels.Get(name)
	return v
}

// mount is a handler served under a path prefix ahead of the route table (the portal).
type mount struct {
	prefix string
	h      http.Handler
}

// New creates a gateway with no routes.
func New(opts Options) *Gateway {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	access := opts.AccessLog
	if access == nil {
		access = log
	}
	g := &Gateway{
		log:     log.With("component", "gateway"),
		access:  access.With("component", "access"),
		metrics: newMetrics(reg),
		retired: map[*h1.Transport]bool{},
	}
	g.accessFast, _ = g.access.Handler().(*accesslog.Handler)
	reg.MustRegister(stateCollector{g})
	g.cacheMetrics = newCacheMetrics(reg, g)
	g.admitMetrics = newAdmitMetrics(reg)
	g.contractMetrics = newContractMetrics(reg)
	g.checker.g = g
	g.admitters.init(g)
	g.proxy = newProxy(g)
	g.chain = newChain(g)
	g.state.Store(&state{cfg: &Config{}, table: &table{}, routePolicies: &routePolicies{}, admissions: &admissions{}})
	return g
}

// Configure applies a new configuration, and with it a new snapshot when snap is
// non-nil (so a reload that adds a route and its instances switches in one step).
func (g *Gateway) Configure(cfg Config, snap *discovery.Snapshot) {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.state.Load()
	if snap == nil {
		snap = prev.snap
	}
	next, d := g.build(prev, &cfg, snap, everything)
	g.apply(prev, next, d, "config")
}

// Update applies a new discovery snapshot, keeping the configuration.
func (g *Gateway) Update(snap *discovery.Snapshot) {
	g.mu.Lock()
	defer g.mu.Unlock()
	prev := g.state.Load()
	// A snapshot that names what changed is applied to those services alone.
	next, d := g.build(prev, prev.cfg, snap, changedIn(snap))
	g.apply(prev, next, d, "discovery")
}

// Mount serves h for every path under prefix ("/portal/"), ahead of the routes.
func (g *Gateway) Mount(prefix string, h http.Handler) {
	g.mu.Lock()
	defer g.mu.Unlock()
	next := *g.state.Load()
	// Kept without its trailing slash: matching is on path segments, so
	// "/portal/" serves /portal and everything under it.
	next.mounts = append(append([]mount(nil), next.mounts...), mount{prefix: strings.TrimSuffix(prefix, "/"), h: h})
	g.state.Store(&next)
}

// Drain marks the gateway as shutting down: /readyz answers 503 while requests
// keep being served, so load balancers move traffic away first.
func (g *Gateway) Drain() { g.draining.Store(true) }

// DiscoversRoutes says whether routes may come from a discovery source's
// labels (Consul tags and meta) as well as from the file. Then a gateway with
// no route yet is ready: it serves exactly what discovery says, which is
// nothing until a service opts in, and answering 503 would keep its own
// Consul check critical and its load balancer away for no fault of its own
// (Traefik and Fabio are ready with an empty table too). Whether the source
// has answered at all is the caller's readiness check (AdminOptions.Ready).
// With routes from the file alone, none at all stays a 503: that gateway can
// never route anything, and a failing probe is how the mistake shows.
func (g *Gateway) DiscoversRoutes(on bool) { g.discoversRoutes.Store(on) }

// Ready reports whether the gateway can take traffic, and why not.
func (g *Gateway) Ready() (bool, string) {
	st := g.state.Load()
	switch {
	case g.draining.Load():
		return false, "draining: shutting down"
	case st.snap == nil:
		return false, "waiting for the first discovery snapshot"
	case st.table.Len() == 0 && g.discoversRoutes.Load():
		return true, "ready: no routes yet (none of the discovered services has a route label)"
	case st.table.Len() == 0:
		return false, "no routes configured"
	}
	return true, "ready"
}

// ServeHTTP routes and proxies one client request: mounted handlers first,
// then the chain of stages (chain.go) on the state the request started with,
// and record at the end, whatever happened.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	closeHTTP10(w, r)
	st := g.state.Load()
	for _, m := range st.mounts {
		if routing.HasPathPrefix(r.URL.Path, m.prefix) {
			m.h.ServeHTTP(w, r)
			return
		}
	}
	ex := newExchange(r, st)
	rec := &ex.rec // one allocation for the request's record and its writer
	rec.ResponseWriter = w
	defer g.finish(ex, rec, r)
	g.chain.serve(rec, r, ex)
}

// refuse answers a request that never reaches an upstream, or, for a
// failure a stored response may stand in for, with that (cache_stale.go).
func refuse(w http.ResponseWriter, ex *exchange, err error) {
	ex.err = err
	if ex.cache.serveStale(w, ex, err) {
		return
	}
	service := ""
	if ex.route != nil {
		service = ex.route.Service
	}
	writeProblem(w, ErrorStatus(err), problemDetail(err), service, ex.requestID)
}

func problemDetail(err error) string {
	var bad *BadRequestError
	if errors.As(err, &bad) {
		return bad.Reason
	}
	var adm *AdmissionError
	if errors.As(err, &adm) {
		return adm.Detail
	}
	return err.Error()
}

// finish records metrics and the access log line for every request, including
// refused and panicking ones. A panic other than http.ErrAbortHandler (which
// ReverseProxy uses to abort a response whose body failed mid-way) becomes a 500
// for this request only; the process and other connections
// carry on.
func (g *Gateway) finish(ex *exchange, rec *recorder, r *http.Request) {
	p := recover()
	if p != nil && p != http.ErrAbortHandler { //nolint:errorlint // sentinel compared as stdlib does
		g.log.Error("panic serving request", "panic", p, "path", r.URL.Path, "request_id", ex.requestID)
		if !rec.wroteHeader {
			writeProblem(rec, http.StatusInternalServerError, "internal error", "", ex.requestID)
		}
		ex.err = errors.New("panic")
	}
	if p == http.ErrAbortHandler && ex.err == nil { //nolint:errorlint
		ex.err = abortCause(ex)
	}
	ex.cache.finish(nil) // a coalesced miss that ended some other way frees its followers
	g.record(ex, rec, r)
	if p == http.ErrAbortHandler { //nolint:errorlint
		panic(p)
	}
}

// errAborted marks a response cut off after its headers were sent.
var errAborted = errors.New("response aborted after headers were sent")

// abortCause says why a response was cut off: the client left (not an upstream
// failure), the whole-request timeout fired while the body streamed, or the
// upstream failed.
func abortCause(ex *exchange) error {
	switch {
	case ex.client.Err() != nil:
		return fmt.Errorf("%w: %w", errAborted, ErrClientGone)
	case ex.upstream != nil && context.Cause(ex.upstream) == ErrUpstreamTimeout: //nolint:errorlint // sentinel
		return fmt.Errorf("%w: %w", errAborted, ErrUpstreamTimeout)
	case ex.upstream != nil && context.Cause(ex.upstream) == ErrStreamIdle: //nolint:errorlint // sentinel
		return fmt.Errorf("%w: %w", errAborted, ErrStreamIdle)
	}
	return errAborted
}

// exchange is the per-request record shared by the handler, the proxy hooks and
// the accounting at the end.
type exchange struct {
	// state is the state the request started with: it is served and recorded
	// by that one, whatever a reload publishes meanwhile.
	state     *state
	start     time.Time
	requestID string
	trusted   bool // the peer is a trusted proxy
	route     *route
	svc       *service
	// policy is the policy the request runs under: its service's, with its
	// route's own keys over it (route_policy.go).
	policy *policies.Policy
	// cache is the request's business with its route's HTTP cache, when
	// the policy enables one (cache.go).
	cache *cacheTx
	// adm is what the request's policy asks of callers, once read
	// (admission.go); consumer is who authentication found ("" if none).
	adm      *admission
	consumer string
	// identity are the headers that tell the upstream who the caller is,
	// set on the outbound request by the proxy's rewrite.
	identity http.Header
	// contract is the service's document validator when a validate key is
	// on; contractOp the operation whose response is sampled ("" when it is
	// not). bodyRead is the body the validate stage read (bodyMore: more
	// of it is left in the client's body), which the proxy sends on.
	contract   Contract
	contractOp string
	bodyRead   []byte
	bodyMore   bool
	// authenticated: an auth stage admitted the request on a credential
	// (which it may have removed), so the cache treats it as RFC 9111
	// §3.5 treats a request with Authorization.
	authenticated bool
	up            *Upstream
	body          *requestBody // the client's body, when it has one
	rec           recorder     // wraps the client's ResponseWriter

	client context.Context // the client's context, to tell "client gone" from a timeout
	// upstream is the upstream request's context; its cause tells a timeout.
	upstream context.Context
	timer    *time.Timer
	cancel   context.CancelCauseFunc
	sentAt   time.Time // when the request went upstream
	// sent is the header of the request as it went upstream: the cache
	// stores a response only where the fields its Vary names are there as
	// the client's request has them (stage_cachestore.go).
	sent    http.Header
	headers time.Time // when the upstream's response headers arrived
	err     error
	// status is the upstream's final answer (0: none); retries counts the
	// attempts after the first; replay is the request body kept for them;
	// queued is the time spent waiting in the bulkhead.
	status  int
	retries int
	replay  []byte
	queued  time.Duration
}

type exchangeKey struct{}

func exchangeFrom(ctx context.Context) *exchange {
	ex, _ := ctx.Value(exchangeKey{}).(*exchange)
	return ex
}

func newExchange(r *http.Request, st *state) *exchange {
	ex := &exchange{state: st, start: time.Now(), client: r.Context()}
	ex.trusted = isTrusted(r.RemoteAddr, st.cfg.TrustedProxies)
	ex.requestID = requestID(r)
	return ex
}
