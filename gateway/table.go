package gateway

import (
	"cmp"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/gorilla/mux"
)

// route is a compiled Route: the config value plus what the request path needs.
type route struct {
	Route
	// prefix is Path without a trailing slash ("" for the catch-all).
	prefix string
	// metrics are the route's series, bound when the table is installed.
	metrics *routeMetrics
	// ord is the route's place in its bucket's match order.
	ord int
}

// table is the immutable route table, built once per change of the routes
// and swapped atomically; readers never lock.
//
// Routes are kept in buckets by host and first path segment, each bucket a
// small gorilla/mux router whose routes are registered most specific first.
// A request looks in at most six buckets (its exact host, the wildcard of its
// host, any host; each with its first segment, then the catch-all), in an
// order where every route of an earlier bucket is more specific than every
// route of a later one, so the first full match is the best one. A change
// rebuilds only the buckets whose routes changed: with a thousand services a
// registration compiles one bucket, not a thousand routes, and a request is
// matched against its bucket, not against every route.
type table struct {
	buckets map[bucketKey]*bucket
	count   int
	// exact and wild say whether any route names (or, after incremental
	// changes, once named) an exact or a wildcard host: without, a request
	// skips those lookups; a stale true costs one lookup.
	exact, wild bool
	// services are each routed service's routes in match order.
	services map[string][]*route
	// base is the table this one was rebuilt from, and changed the services
	// whose routes differ from base's: all a change has to look at.
	base    *table
	changed []string
	// index lets the next change merge only the buckets it touches
	// (routechanges.go); nil for a table built from routes alone.
	index *mergeIndex

	once   sync.Once
	sorted []*route // every route in match order, for the admin API; see all
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

// bucketKey places a route: its host (lower case, "" for any host; for a
// wildcard "*.example.com" the suffix ".example.com" with wild set) and the
// first segment of its path prefix ("" for a catch-all route).
type bucketKey struct {
	host string
	wild bool
	seg  string
}

// bucket is the routes that share a bucketKey.
type bucket struct {
	router *mux.Router
	routes []*route // in match order
	src    []Route  // as given, to tell an unchanged bucket
}

func bucketOf(host, prefix string) bucketKey {
	k := bucketKey{host: strings.ToLower(host), seg: firstSegment(prefix)}
	if suffix, ok := strings.CutPrefix(k.host, "*"); ok {
		k.host, k.wild = suffix, true
	}
	return k
}

// firstSegment is "a" for "/a/b", "/a" and "a"; "" for "" and "/".
func firstSegment(path string) string {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return path
}

// PathPrefix is a route path as the table matches it: without its trailing
// slash, so "/pets/" and "/pets" are one prefix (matching "/pets" and
// "/pets/1") and "/" is the catch-all "". Package config finds duplicate
// routes with it, so two paths the table cannot tell apart are refused.
func PathPrefix(path string) string { return strings.TrimSuffix(path, "/") }

// compile makes a route from its config value; names are filled in when
// empty. Routes are assumed valid (package config validates them).
func compile(r Route) *route {
	rt := &route{Route: r, prefix: PathPrefix(r.Path)}
	rt.Host = strings.ToLower(rt.Host)
	if rt.Name == "" {
		rt.Name = defaultRouteName(r)
	}
	return rt
}

// newTable compiles routes into a table.
func newTable(routes []Route) *table {
	t, _, _ := rebuild(nil, routes)
	return t
}

// rebuild makes the table for routes (in the order the config file and the
// merge of label routes give), reusing old's buckets whose routes are the
// same. It returns the routes it compiled and those of old it dropped, so
// metrics are bound and released for those alone.
//
// One pass walks the routes and checks each against the next source route of
// its old bucket; no per-bucket list is built unless the bucket changed, so
// a change at a thousand services costs a walk and a map clone, not a
// thousand allocations.
func rebuild(old *table, routes []Route) (t *table, added, removed []*route) {
	t = &table{count: len(routes)}
	keys := make([]bucketKey, len(routes))
	dirty := map[bucketKey]bool{}
	seen := make(map[*bucket]int) // old bucket → source routes matched so far
	for i, r := range routes {
		k := bucketOf(r.Host, PathPrefix(r.Path))
		keys[i] = k
		t.exact = t.exact || (k.host != "" && !k.wild)
		t.wild = t.wild || k.wild
		ob := old.bucket(k)
		if ob == nil || dirty[k] {
			dirty[k] = true
			continue
		}
		if n := seen[ob]; n < len(ob.src) && identical(ob.src[n], r) {
			seen[ob] = n + 1
		} else {
			dirty[k] = true
		}
	}
	if old == nil {
		t.buckets = make(map[bucketKey]*bucket, len(dirty))
	} else {
		t.buckets = maps.Clone(old.buckets)
		for k, ob := range old.buckets {
			switch n, ok := seen[ob]; {
			case !ok && !dirty[k]: // no route has this key any more
				delete(t.buckets, k)
				removed = append(removed, ob.routes...)
			case n != len(ob.src):
				dirty[k] = true // it lost routes at its end
			}
		}
	}
	groups := make(map[bucketKey][]Route, len(dirty))
	for i, r := range routes {
		if dirty[keys[i]] {
			groups[keys[i]] = append(groups[keys[i]], r)
		}
	}
	for k := range dirty {
		rs := groups[k]
		if len(rs) == 0 { // the bucket's last routes left
			delete(t.buckets, k)
			if ob := old.bucket(k); ob != nil {
				removed = append(removed, ob.routes...)
			}
			continue
		}
		if ob := old.bucket(k); ob != nil {
			removed = append(removed, ob.routes...)
		}
		b := newBucket(rs)
		t.buckets[k] = b
		added = append(added, b.routes...)
	}
	t.services, t.changed = indexServices(old, added, removed)
	if old != nil {
		t.base = old
		old.base = nil // one step of history: an older table may be collected
	}
	return t, added, removed
}

// indexServices brings old's per-service route lists up to date with the
// routes added and removed: only the services those name are looked at, and
// they are returned as changed.
func indexServices(old *table, added, removed []*route) (out map[string][]*route, changed []string) {
	fresh := make(map[string][]*route)
	for _, rt := range added {
		fresh[rt.Service] = append(fresh[rt.Service], rt)
	}
	gone := make(map[*route]bool, len(removed))
	for _, rt := range removed {
		gone[rt] = true
		if _, ok := fresh[rt.Service]; !ok {
			fresh[rt.Service] = nil
		}
	}
	if old == nil {
		out = make(map[string][]*route, len(fresh))
	} else {
		out = maps.Clone(old.services)
	}
	for svc, list := range fresh {
		changed = append(changed, svc)
		if old != nil {
			for _, rt := range old.services[svc] {
				if !gone[rt] {
					list = append(list, rt)
				}
			}
		}
		if len(list) == 0 {
			delete(out, svc)
			continue
		}
		slices.SortFunc(list, matchOrder)
		out[svc] = list
	}
	return out, changed
}

// newBucket compiles routes that share a bucketKey into their router.
func newBucket(rs []Route) *bucket {
	b := &bucket{src: rs, routes: make([]*route, 0, len(rs))}
	for _, r := range rs {
		b.routes = append(b.routes, compile(r))
	}
	slices.SortStableFunc(b.routes, specificity)
	b.router = mux.NewRouter()
	b.router.SkipClean(true) // the gateway refuses unclean paths itself; mux must not redirect
	for i, rt := range b.routes {
		rt.ord = i
		mr := b.router.NewRoute()
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
	return b
}

func (t *table) bucket(k bucketKey) *bucket {
	if t == nil {
		return nil
	}
	return t.buckets[k]
}

// identical is true when two config values make the same route.
func identical(a, b Route) bool {
	return a.Name == b.Name && a.Host == b.Host && a.Path == b.Path && a.Service == b.Service &&
		a.StripPrefix == b.StripPrefix && a.WebSocket == b.WebSocket &&
		slices.Equal(a.Methods, b.Methods) && maps.Equal(a.Headers, b.Headers)
}

// matchOrder orders any two routes as a request would try them: by
// specificity, then within a bucket by its order. Routes of different
// buckets that tie never match the same request; they are ordered by path
// and name so listings are stable.
func matchOrder(a, b *route) int {
	if c := specificity(a, b); c != 0 {
		return c
	}
	if bucketOf(a.Host, a.prefix) == bucketOf(b.Host, b.prefix) {
		return cmp.Compare(a.ord, b.ord)
	}
	return cmp.Or(cmp.Compare(a.prefix, b.prefix), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Name, b.Name))
}

// all is every route in match order; it sorts once per table, for the admin
// API, off the request path.
func (t *table) all() []*route {
	t.once.Do(func() {
		t.sorted = make([]*route, 0, t.count)
		for _, b := range t.buckets {
			t.sorted = append(t.sorted, b.routes...)
		}
		slices.SortFunc(t.sorted, matchOrder)
	})
	return t.sorted
}

// candidates are the buckets a request may match, most specific first: its
// exact host, the wildcard of its host, then any host; each with the first
// segment of its path, then the catch-all. An array, so that matching
// allocates nothing.
func (t *table) candidates(r *http.Request) (out [6]*bucket, n int) {
	var host string
	if t.exact || t.wild {
		if host = requestHost(r); hasUpper(host) {
			host = strings.ToLower(host)
		}
	}
	seg := firstSegment(r.URL.Path)
	add := func(k bucketKey) {
		if b := t.buckets[k]; b != nil {
			out[n] = b
			n++
		}
		if k.seg != "" {
			k.seg = ""
			if b := t.buckets[k]; b != nil {
				out[n] = b
				n++
			}
		}
	}
	if host != "" && t.exact {
		add(bucketKey{host: host, seg: seg})
	}
	if i := strings.IndexByte(host, '.'); i > 0 && t.wild {
		add(bucketKey{host: host[i:], wild: true, seg: seg})
	}
	add(bucketKey{seg: seg})
	return out, n
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// routeHandler carries the matched route out of mux.Router.Match; it is never served.
type routeHandler struct{ rt *route }

func (routeHandler) ServeHTTP(http.ResponseWriter, *http.Request) {}

// match finds the route for a request, or ErrNoRoute / ErrMethodNotAllowed.
// The first full match in the candidate buckets is the best one; a route
// that matched all but the method gives 405 only when no route matched.
func (t *table) match(r *http.Request) (*route, error) {
	mismatch := false
	cands, n := t.candidates(r)
	for _, b := range cands[:n] {
		var m mux.RouteMatch
		if b.router.Match(r, &m) {
			if h, ok := m.Handler.(routeHandler); ok {
				return h.rt, nil
			}
		}
		mismatch = mismatch || m.MatchErr == mux.ErrMethodMismatch
	}
	// mux forgets a route's method mismatch when a later route matches part of the
	// request (its path but not its headers), so ask the table as well.
	if mismatch || t.allowed(r) != "" {
		return nil, ErrMethodNotAllowed
	}
	return nil, ErrNoRoute
}

// allowed lists the methods of the routes that match the request but for its
// method, for the Allow header RFC 9110 requires on a 405.
func (t *table) allowed(r *http.Request) string {
	var methods []string
	cands, n := t.candidates(r)
	for _, b := range cands[:n] {
		for _, rt := range b.routes {
			if len(rt.Methods) == 0 {
				continue // a route without methods would have matched
			}
			if !hasPathPrefix(r.URL.Path, rt.prefix) || !headersMatch(r, rt.Headers) {
				continue
			}
			for _, m := range rt.Methods {
				if !slices.Contains(methods, m) {
					methods = append(methods, m)
				}
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
