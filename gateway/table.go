package gateway

import (
	"cmp"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// route is a compiled Route: the config value plus what the request path needs.
type route struct {
	Route
	// prefix is Path without a trailing slash ("" for the catch-all).
	prefix string
	// metrics are the route's series, bound when the table is installed.
	metrics *routeMetrics
}

// table is the immutable route table: a gorilla/mux router whose routes are
// registered most specific first, so the first full match is the best one.
// It is built once per configuration and swapped atomically; readers never lock.
type table struct {
	router *mux.Router
	routes []*route // in match order
	// services are the services some route names.
	services map[string]bool
}

// specificity orders routes: an exact host beats a wildcard host beats any host;
// then a longer path prefix; then more header conditions; then a method
// restriction; then the order of the config file (the sort is stable).
func specificity(a, b *route) int {
	return cmp.Or(
		-cmp.Compare(hostRank(a.Host), hostRank(b.Host)),
		-cmp.Compare(len(a.prefix), len(b.prefix)),
		-cmp.Compare(len(a.Headers), len(b.Headers)),
		-cmp.Compare(min(len(a.Methods), 1), min(len(b.Methods), 1)),
	)
}

func hostRank(h string) int {
	switch {
	case h == "":
		return 0
	case strings.HasPrefix(h, "*."):
		return 1
	default:
		return 2
	}
}

// newTable compiles routes into a table. Routes are assumed valid (package config
// validates them); names are filled in when empty.
func newTable(routes []Route) *table {
	compiled := make([]*route, 0, len(routes))
	for _, r := range routes {
		rt := &route{Route: r, prefix: strings.TrimSuffix(r.Path, "/")}
		rt.Host = strings.ToLower(rt.Host)
		if rt.Name == "" {
			rt.Name = defaultRouteName(r)
		}
		compiled = append(compiled, rt)
	}
	slices.SortStableFunc(compiled, specificity)

	router := mux.NewRouter()
	router.SkipClean(true) // the gateway refuses unclean paths itself; mux must not redirect
	for _, rt := range compiled {
		mr := router.NewRoute()
		if rt.Host != "" {
			mr.MatcherFunc(hostMatcher(rt.Host))
		}
		if rt.prefix != "" {
			mr.MatcherFunc(prefixMatcher(rt.prefix))
		}
		for name, value := range rt.Headers {
			mr.Headers(name, value)
		}
		if len(rt.Methods) > 0 {
			mr.Methods(slices.Clone(rt.Methods)...) // mux upper-cases its argument in place; the slice is the caller's
		}
		mr.Handler(routeHandler{rt})
	}
	services := make(map[string]bool, len(compiled))
	for _, rt := range compiled {
		services[rt.Service] = true
	}
	return &table{router: router, routes: compiled, services: services}
}

// routeHandler carries the matched route out of mux.Router.Match; it is never served.
type routeHandler struct{ rt *route }

func (routeHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// match finds the route for a request, or ErrNoRoute / ErrMethodNotAllowed.
func (t *table) match(r *http.Request) (*route, error) {
	var m mux.RouteMatch
	if t.router.Match(r, &m) {
		if h, ok := m.Handler.(routeHandler); ok {
			return h.rt, nil
		}
	}
	// mux forgets a route's method mismatch when a later route matches part of the
	// request (its path but not its headers), so ask the table as well.
	if m.MatchErr == mux.ErrMethodMismatch || t.allowed(r) != "" {
		return nil, ErrMethodNotAllowed
	}
	return nil, ErrNoRoute
}

// allowed lists the methods of the routes that match the request but for its
// method, for the Allow header RFC 9110 requires on a 405.
func (t *table) allowed(r *http.Request) string {
	var methods []string
	for _, rt := range t.routes {
		if len(rt.Methods) == 0 {
			continue // a route without methods would have matched
		}
		if rt.Host != "" && !hostMatcher(rt.Host)(r, nil) || !hasPathPrefix(r.URL.Path, rt.prefix) {
			continue
		}
		if !headersMatch(r, rt.Headers) {
			continue
		}
		for _, m := range rt.Methods {
			if !slices.Contains(methods, m) {
				methods = append(methods, m)
			}
		}
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

func headersMatch(r *http.Request, want map[string]string) bool {
	for k, v := range want {
		if r.Header.Get(k) != v {
			return false
		}
	}
	return true
}

// hostMatcher matches an exact host or a one-label wildcard ("*.example.com"),
// case-insensitively and ignoring the port.
func hostMatcher(pattern string) mux.MatcherFunc {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok { // suffix is ".example.com"
		return func(r *http.Request, _ *mux.RouteMatch) bool {
			h := requestHost(r)
			if len(h) <= len(suffix) || !strings.EqualFold(h[len(h)-len(suffix):], suffix) {
				return false
			}
			return !strings.Contains(h[:len(h)-len(suffix)], ".")
		}
	}
	return func(r *http.Request, _ *mux.RouteMatch) bool {
		return strings.EqualFold(requestHost(r), pattern)
	}
}

// requestHost is the Host header without its port or a trailing dot.
func requestHost(r *http.Request) string {
	h := r.Host
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
	}
	return strings.TrimSuffix(h, ".")
}

// prefixMatcher matches a path prefix on segment boundaries: "/pets" matches
// "/pets" and "/pets/1" but not "/petshop".
func prefixMatcher(prefix string) mux.MatcherFunc {
	return func(r *http.Request, _ *mux.RouteMatch) bool {
		return hasPathPrefix(r.URL.Path, prefix)
	}
}

func hasPathPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}

func defaultRouteName(r Route) string {
	name := r.Host + r.Path
	if name == "" {
		name = "/"
	}
	if len(r.Methods) > 0 {
		name += " " + strings.Join(r.Methods, ",")
	}
	return name
}
