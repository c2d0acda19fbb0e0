package routing

import (
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

var (
	// ErrNoRoute: no route matches the request.
	ErrNoRoute = errors.New("no route matches the request")
	// ErrMethodNotAllowed: a route matches the path and host but not the method.
	ErrMethodNotAllowed = errors.New("method not allowed on this route")
)

// Match finds the route for a request, or ErrNoRoute / ErrMethodNotAllowed.
// The first full match in the candidate buckets is the best one; a route
// that matched all but the method gives 405 only when no route matched.
func (t *Table[M]) Match(r *http.Request) (*Entry[M], error) {
	mismatch := false
	cands, n := t.candidates(r)
	for _, b := range cands[:n] {
		var m mux.RouteMatch
		if b.router.Match(r, &m) {
			if h, ok := m.Handler.(entryHandler[M]); ok {
				return h.e, nil
			}
		}
		mismatch = mismatch || m.MatchErr == mux.ErrMethodMismatch
	}
	// mux forgets a route's method mismatch when a later route matches part of the
	// request (its path but not its headers), so ask the table as well.
	if mismatch || t.Allowed(r) != "" {
		return nil, ErrMethodNotAllowed
	}
	return nil, ErrNoRoute
}

// Allowed lists the methods of the routes that match the request but for its
// method, for the Allow header RFC 9110 requires on a 405.
func (t *Table[M]) Allowed(r *http.Request) string {
	var methods []string
	cands, n := t.candidates(r)
	for _, b := range cands[:n] {
		for _, e := range b.entries {
			if len(e.Methods) == 0 {
				continue // a route without methods would have matched
			}
			if !HasPathPrefix(r.URL.Path, e.Prefix) || !headersMatch(r, e.Headers) {
				continue
			}
			for _, m := range e.Methods {
				if !slices.Contains(methods, m) {
					methods = append(methods, m)
				}
			}
		}
	}
	slices.Sort(methods)
	return strings.Join(methods, ", ")
}

// candidates are the buckets a request may match, most specific first: its
// exact host, the wildcard of its host, then any host; each with the first
// segment of its path, then the catch-all. Every route of an earlier bucket
// is more specific than every route of a later one, so the first full match
// is the best one. An array, so that matching allocates nothing.
func (t *Table[M]) candidates(r *http.Request) (out [6]*bucket[M], n int) {
	var host string
	if t.exact > 0 || t.wild > 0 {
		if host = requestHost(r); hasUpper(host) {
			host = strings.ToLower(host)
		}
	}
	seg := firstSegment(r.URL.Path)
	add := func(k Key) {
		if b, _ := t.buckets.Get(k); b != nil {
			out[n] = b
			n++
		}
		if k.seg != "" {
			k.seg = ""
			if b, _ := t.buckets.Get(k); b != nil {
				out[n] = b
				n++
			}
		}
	}
	if host != "" && t.exact > 0 {
		add(Key{host: host, seg: seg})
	}
	if i := strings.IndexByte(host, '.'); i > 0 && t.wild > 0 {
		add(Key{host: host[i:], wild: true, seg: seg})
	}
	add(Key{seg: seg})
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

// entryHandler carries the matched entry out of mux.Router.Match; it is never served.
type entryHandler[M any] struct{ e *Entry[M] }

func (entryHandler[M]) ServeHTTP(http.ResponseWriter, *http.Request) {}

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
		return HasPathPrefix(r.URL.Path, prefix)
	}
}

// HasPathPrefix reports whether path is prefix or below it, on segment
// boundaries.
func HasPathPrefix(path, prefix string) bool {
	if !strings.HasPrefix(path, prefix) {
		return false
	}
	return len(path) == len(prefix) || path[len(prefix)] == '/'
}
