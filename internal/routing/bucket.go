package routing

import (
	"slices"
	"strings"

	"github.com/gorilla/mux"
)

// Routes are kept in buckets by host and first path segment, each bucket a
// small gorilla/mux router whose routes are registered most specific first.
// A request looks in at most six buckets (match.go), and a change compiles
// only the buckets whose routes changed: with a thousand services a
// registration compiles one bucket, not a thousand routes. Two routes with
// one Identity share host and path, and so a bucket, which is what lets
// ownership be settled bucket by bucket (merge.go).

// Key places a route: its host (lower case, "" for any host; for a wildcard
// "*.example.com" the suffix ".example.com" with wild set) and the first
// segment of its path prefix ("" for a catch-all route).
type Key struct {
	host string
	wild bool
	seg  string
}

// KeyOf is the bucket a route falls in.
func KeyOf(r Route) Key { return keyOf(r.Host, PathPrefix(r.Path)) }

func keyOf(host, prefix string) Key {
	k := Key{host: strings.ToLower(host), seg: firstSegment(prefix)}
	if suffix, ok := strings.CutPrefix(k.host, "*"); ok {
		k.host, k.wild = suffix, true
	}
	return k
}

// exact says whether the key names an exact host.
func (k Key) exact() bool { return k.host != "" && !k.wild }

// firstSegment is "a" for "/a/b", "/a" and "a"; "" for "" and "/".
func firstSegment(path string) string {
	path = strings.TrimPrefix(path, "/")
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return path
}

// bucket is the routes that share a Key.
type bucket[M any] struct {
	router  *mux.Router
	entries []*Entry[M] // in match order
	src     []Route     // as merged, to tell an unchanged bucket
}

// newBucket compiles the routes of one key, in merge order, into their router.
func newBucket[M any](src []Route) *bucket[M] {
	b := &bucket[M]{src: src, entries: make([]*Entry[M], 0, len(src))}
	for _, r := range src {
		b.entries = append(b.entries, compile[M](r))
	}
	slices.SortStableFunc(b.entries, specificity)
	b.router = mux.NewRouter()
	b.router.SkipClean(true) // the gateway refuses unclean paths itself; mux must not redirect
	for i, e := range b.entries {
		e.ord = i
		mr := b.router.NewRoute()
		if e.Prefix != "" {
			mr.MatcherFunc(prefixMatcher(e.Prefix))
		}
		for name, value := range e.Headers {
			mr.Headers(name, value)
		}
		if len(e.Methods) > 0 {
			mr.Methods(slices.Clone(e.Methods)...) // mux upper-cases its argument in place; the slice is the caller's
		}
		mr.Handler(entryHandler[M]{e})
	}
	return b
}
