package gateway

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/policies"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminOptions configure the admin listener's handler.
type AdminOptions struct {
	// Token is required as "Authorization: Bearer TOKEN" on /api/ and /debug/.
	// It must not be empty: cmd generates one when the config sets none.
	Token string
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// Status, when set, is served at /api/v1/status (config file, last reload, version).
	Status func() any
	// Discovery, when set, is served at /api/v1/discovery (the sources' watches).
	Discovery func() any
	// Certificates, when set, is served at /api/v1/certificates.
	Certificates func() any
	// WriteToken guards the write actions (forcing a breaker); empty makes the
	// admin API read-only.
	WriteToken string
	// Ready, when set, is asked after the gateway's own readiness: false makes
	// /readyz 503; a non-empty message is shown either way.
	Ready func() (bool, string)
}

// AdminHandler serves the admin API. /healthz, /readyz and /metrics are open, as
// probes and scrapers expect on a loopback listener; everything that reveals
// topology (/api/...) or costs CPU (/debug/pprof/) needs the token. The API is
// read-only unless a write token is set: forcing a breaker needs that one.
func (g *Gateway) AdminHandler(opts AdminOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := g.Ready()
		if opts.Ready != nil && ok {
			if ok2, why2 := opts.Ready(); !ok2 {
				ok, why = false, why2
			} else if why2 != "" {
				why += "; " + why2
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(why + "\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))

	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/routes", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.routesView())
	})
	api.HandleFunc("GET /api/v1/services", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.servicesView())
	})
	api.HandleFunc("GET /api/v1/services/{name}", func(w http.ResponseWriter, r *http.Request) {
		st, name := g.state.Load(), r.PathValue("name")
		if st.service(name) == nil && st.label(name) == nil {
			writeProblem(w, http.StatusNotFound, "no service "+name, name, "")
			return
		}
		writeJSON(w, serviceView(st, name))
	})
	api.HandleFunc("GET /api/v1/snapshot", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.state.Load().snap)
	})
	api.HandleFunc("GET /api/v1/explain", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, g.explain(r.URL.Query().Get("method"), r.URL.Query().Get("host"), r.URL.Query().Get("path"), r.URL.Query()["header"]))
	})
	if opts.Status != nil {
		api.HandleFunc("GET /api/v1/status", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, opts.Status())
		})
	}
	if opts.Discovery != nil {
		api.HandleFunc("GET /api/v1/discovery", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, opts.Discovery())
		})
	}
	if opts.Certificates != nil {
		api.HandleFunc("GET /api/v1/certificates", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, opts.Certificates())
		})
	}
	api.HandleFunc("GET /api/v1/breakers", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.breakersView())
	})
	api.HandleFunc("GET /api/v1/caches", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.cachesView())
	})
	api.HandleFunc("GET /api/v1/consumers", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.consumersView())
	})
	api.HandleFunc("GET /api/v1/admission", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.admissionsView())
	})
	api.HandleFunc("GET /api/v1/contract", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, g.contractsView())
	})
	api.HandleFunc("GET /api/v1/caches/{name}/keys", g.cacheKeys)
	api.HandleFunc("GET /api/v1/caches/{name}/entry", g.cacheEntry)
	api.HandleFunc("/debug/pprof/", pprof.Index)
	api.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	api.HandleFunc("/debug/pprof/profile", pprof.Profile)
	api.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	api.HandleFunc("/debug/pprof/trace", pprof.Trace)
	guarded := requireToken(opts.Token, api)
	mux.Handle("/api/", guarded)
	mux.Handle("/debug/", guarded)
	// Writes need the write token; without one configured the API is read-only.
	mux.Handle("POST /api/v1/breakers/{service}", requireToken(opts.WriteToken, http.HandlerFunc(g.forceBreaker)))
	mux.Handle("POST /api/v1/caches/purge", requireToken(opts.WriteToken, http.HandlerFunc(g.purgeCache)))
	return mux
}

// requireToken checks a bearer token in constant time.
func requireToken(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="bulwark admin"`)
			writeProblem(w, http.StatusUnauthorized, "a valid admin token is required (Authorization: Bearer TOKEN)", "", "")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// RouteView is a route as the admin API shows it, in match order.
type RouteView struct {
	Name        string            `json:"name"`
	Host        string            `json:"host,omitempty"`
	Path        string            `json:"path,omitempty"`
	Methods     []string          `json:"methods,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	StripPrefix bool              `json:"strip_prefix,omitempty"`
	WebSocket   bool              `json:"websocket,omitempty"`
	Service     string            `json:"service"`
	Instances   int               `json:"instances"`
	// Policy is the keys the route sets for its own requests, over its
	// service's policy (a cache block), by name.
	Policy map[string]any `json:"policy,omitempty"`
}

func (g *Gateway) routesView() []RouteView {
	st := g.state.Load()
	out := make([]RouteView, 0, st.table.Len())
	for _, rt := range st.table.All() {
		n := 0
		if s := st.service(rt.Service); s != nil {
			n = len(s.pool.Upstreams)
		}
		out = append(out, RouteView{
			Name: rt.Name, Host: rt.Host, Path: rt.Path, Methods: rt.Methods, Headers: rt.Headers,
			StripPrefix: rt.StripPrefix, WebSocket: rt.WebSocket, Service: rt.Service, Instances: n,
			Policy: rt.Policy.Values(),
		})
	}
	return out
}

// ServiceView is a service's policy, where each value came from, and its live
// instances: the answer to "why is this timeout 2s, and where do requests go?".
type ServiceView struct {
	Name         string               `json:"name"`
	Policy       any                  `json:"policy"`
	PolicySource policies.Explanation `json:"policy_source,omitempty"`
	Instances    []InstanceView       `json:"instances"`
	// Problems are what is wrong with the service's labels (Consul tags and
	// meta): each bad value was skipped and the rest applies.
	Problems []string `json:"problems,omitempty"`
	// Breaker is the service's circuit breaker, when it has one.
	Breaker *BreakerView `json:"breaker,omitempty"`
}

// InstanceView is one routable instance.
type InstanceView struct {
	Addr     string `json:"addr"`
	Weight   int    `json:"weight"`
	InFlight int64  `json:"in_flight"`
	// Ejected is true while outlier detection keeps the instance out.
	Ejected bool `json:"ejected,omitempty"`
}

func (g *Gateway) servicesView() []ServiceView {
	st := g.state.Load()
	out := []ServiceView{}
	// A service whose every label route was refused has no service value, but
	// its problems must still be listed: that is where the metric sends people.
	names := serviceNames(st.services)
	for n := range st.labels.Keys() {
		if st.service(n) == nil && len(st.labelProblems(n)) > 0 {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		out = append(out, serviceView(st, name))
	}
	return out
}

// serviceView explains one service: its resolved policy and which layer set
// each value, its instances (in flight, ejected), its breaker and its label
// problems. GET /api/v1/services/NAME answers "explain service NAME".
func serviceView(st *state, name string) ServiceView {
	s := st.service(name)
	v := ServiceView{Name: name, Instances: []InstanceView{}, Problems: st.labelProblems(name)}
	if s == nil {
		return v
	}
	v.Policy, v.PolicySource = s.policy, s.why
	if b := s.guard.breaker; b != nil {
		bv := b.view()
		v.Breaker = &bv
	}
	for _, u := range s.pool.Upstreams {
		v.Instances = append(v.Instances, InstanceView{Addr: u.Addr, Weight: u.Weight, InFlight: u.InFlight(),
			Ejected: !u.Available()})
	}
	return v
}

// Explanation says which route a request would take and why.
type Explanation struct {
	Matched *RouteView `json:"matched,omitempty"`
	Status  int        `json:"status"`
	Reason  string     `json:"reason"`
}

// explain runs the real matcher on a synthetic request ("why does this go there?").
func (g *Gateway) explain(method, host, path string, headers []string) Explanation {
	if method == "" {
		method = http.MethodGet
	}
	if path == "" {
		path = "/"
	}
	r, err := http.NewRequest(method, "http://placeholder"+path, nil)
	if err != nil {
		return Explanation{Status: http.StatusBadRequest, Reason: err.Error()}
	}
	r.Host = host
	for _, h := range headers {
		if k, v, ok := strings.Cut(h, ":"); ok {
			r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
		}
	}
	if bad := checkRequest(r); bad != nil {
		return Explanation{Status: http.StatusBadRequest, Reason: bad.Reason}
	}
	st := g.state.Load()
	rt, err := st.table.Match(r)
	if err != nil {
		return Explanation{Status: ErrorStatus(err), Reason: err.Error()}
	}
	for _, v := range g.routesView() {
		if v.Name == rt.Name && v.Service == rt.Service {
			v := v
			reason := "matched; routes are tried most specific first (exact host, wildcard host, any host; then longer path prefix; then more headers; then methods)"
			if v.Instances == 0 {
				return Explanation{Matched: &v, Status: http.StatusServiceUnavailable, Reason: "matched, but the service has no healthy instance"}
			}
			return Explanation{Matched: &v, Status: http.StatusOK, Reason: reason}
		}
	}
	return Explanation{Status: http.StatusOK, Reason: "matched route " + rt.Name}
}

// ServiceRoute is how clients reach a service: the path prefix of its first
// route in match order and whether the gateway strips it. The documentation
// catalog uses it to point a service's servers at the gateway.
func (g *Gateway) ServiceRoute(service string) (prefix string, strip bool, ok bool) {
	if routes := g.state.Load().table.Routes(service); len(routes) > 0 {
		return routes[0].Prefix, routes[0].StripPrefix, true
	}
	return "", false, false
}

// ServiceHealth is a service's live state for the portal: its routable
// instances, how many of them outlier detection has not ejected, and its
// breaker's state ("" without a breaker).
func (g *Gateway) ServiceHealth(service string) (healthy, total int, breaker string, ok bool) {
	s := g.state.Load().service(service)
	if s == nil {
		return 0, 0, "", false
	}
	total = len(s.pool.Upstreams)
	healthy = total - s.ejectedCount()
	if b := s.guard.breaker; b != nil {
		breaker = b.view().State
		if f := b.view().Forced; f != "" {
			breaker = f
		}
	}
	return healthy, total, breaker, true
}

// Services is every service's view, as GET /api/v1/services shows it, for
// other read-only consumers (the portal's system map).
func (g *Gateway) Services() []ServiceView { return g.servicesView() }

// Consumers lists the configured consumers, by name, as GET
// /api/v1/consumers shows them (never a key or a hash), for read-only
// readers outside the admin API (the portal's consumers page).
func (g *Gateway) Consumers() []ConsumerView { return g.consumersView() }

// Service is one routed service's view, as GET /api/v1/services/NAME shows
// it; false when no route sends traffic to it.
func (g *Gateway) Service(name string) (ServiceView, bool) {
	st := g.state.Load()
	if st.service(name) == nil {
		return ServiceView{}, false
	}
	return serviceView(st, name), true
}
