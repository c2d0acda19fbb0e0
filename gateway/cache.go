package gateway

import (
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
	"github.com/bulwark-gw/bulwark/policies"
)

// The HTTP cache (RFC 9111) is two stages and this file: cacheStage looks a
// request up and answers it when it may, cacheStoreStage keeps what the
// upstream answers, and the stale-on-error hooks (cache_stale.go) let a
// stored response stand in for a failure. The rules of HTTP caching live in
// internal/httpcache; here is only what the gateway adds: which cache a
// request uses, its policy keys, and where the stages hook into the guard
// and the proxy.

// The cache's policy keys, declared in package policies.
var (
	cacheEnabled      = policies.ValueOf[bool]("cache.enabled")
	cacheMaxBytes     = policies.ValueOf[int64]("cache.max_bytes")
	cacheMaxEntry     = policies.ValueOf[int64]("cache.max_entry_bytes")
	cacheStaleOnError = policies.ValueOf[time.Duration]("cache.serve_stale_on_error")
	cacheDefaultTTL   = policies.ValueOf[time.Duration]("cache.default_ttl")
	cacheHeuristic    = policies.ValueOf[bool]("cache.heuristic")
	cacheLockTimeout  = policies.ValueOf[time.Duration]("cache.lock_timeout")
	cacheCDNControl   = policies.ValueOf[bool]("cache.cdn_cache_control")
)

// cacheName is the name of every Cache-Status member bulwark writes.
const cacheName = "bulwark"

// httpCache is one named cache: a service's, or a route's that sets its own
// budget. Its store outlives states: a reload that changes nothing about
// the cache keeps what it holds.
type httpCache struct {
	name     string
	maxBytes int64
	store    *httpcache.Store
}

// caches are the gateway's caches by name, made on first use. Readers load
// the map without a lock; a new cache copies it.
type caches struct {
	m  atomic.Pointer[map[string]*httpCache]
	mu sync.Mutex // serialises writers
}

// get returns the cache called name with the budget the policy gives it,
// making it, or making it anew when the budget changed (a store cannot
// change its budget; what it held is dropped, as a restart would). The
// per-entry limit is not the store's: routes sharing a cache may set their
// own, and the store stage holds a body to it as it reads.
func (c *caches) get(name string, p *policies.Policy, m *cacheMetrics) *httpCache {
	maxBytes := cacheMaxBytes.Of(p)
	if m := c.m.Load(); m != nil {
		if hc := (*m)[name]; hc != nil && hc.maxBytes == maxBytes {
			return hc
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]*httpCache{}
	if m := c.m.Load(); m != nil {
		if hc := (*m)[name]; hc != nil && hc.maxBytes == maxBytes {
			return hc
		}
		next = maps.Clone(*m)
	}
	store, err := httpcache.NewStore(httpcache.StoreConfig{MaxBytes: maxBytes, MaxEntryBytes: maxBytes})
	if err != nil {
		return nil // the policy's ranges make this unreachable; no cache is no harm
	}
	hc := &httpCache{name: name, maxBytes: maxBytes, store: store}
	m.born(name)
	next[name] = hc
	c.m.Store(&next)
	return hc
}

// retain drops the caches that no service or route of st uses any more (a
// reload turned the cache off, or a route's own budget went away), so
// their memory goes with them rather than waiting for a restart. It runs
// after st is published; a request of the state before that still holds
// the cache it found and finishes with it.
func (c *caches) retain(st *state) {
	m := c.m.Load()
	if m == nil || len(*m) == 0 {
		return
	}
	used := map[string]bool{}
	for name, svc := range st.services.All() {
		if cacheEnabled.Of(&svc.policy) {
			used[name] = true
		}
	}
	for _, rt := range st.table.All() {
		if !rt.OwnPolicy {
			continue
		}
		if svc := st.service(rt.Service); svc != nil && cacheEnabled.Of(st.policyFor(rt, svc)) {
			if rt.Policy.Sets("cache.max_bytes") {
				used[rt.Name] = true
			} else {
				used[rt.Service] = true
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := *c.m.Load()
	next := map[string]*httpCache{}
	for name, hc := range cur {
		if used[name] {
			next[name] = hc
		}
	}
	if len(next) != len(cur) {
		c.m.Store(&next)
	}
}

// all lists the caches made so far.
func (c *caches) all() []*httpCache {
	m := c.m.Load()
	if m == nil {
		return nil
	}
	out := make([]*httpCache, 0, len(*m))
	for _, hc := range *m {
		out = append(out, hc)
	}
	return out
}

// cacheOptions are the policy's choices that RFC 9111 leaves to a cache.
func cacheOptions(p *policies.Policy) httpcache.Options {
	return httpcache.Options{
		Heuristic:    cacheHeuristic.Of(p),
		DefaultTTL:   cacheDefaultTTL.Of(p),
		StaleOnError: cacheStaleOnError.Of(p),

		NoCDNCacheControl: !cacheCDNControl.Of(p),
	}
}

// cacheTx is one request's business with its cache, from lookup to store.
type cacheTx struct {
	cache   *httpCache
	metrics *cacheMetrics
	opts    httpcache.Options
	req     *http.Request // the client's request, as the cache saw it
	key     string
	// entry is the stored response found (stale or to revalidate), if any.
	entry *httpcache.Entry
	// revalidating: the request went upstream with the entry's validators;
	// clientConditional keeps the client's own, to answer it after a 304.
	revalidating      bool
	clientConditional http.Header
	// flight is set when this request leads a coalesced miss; done says
	// its followers were told.
	flight *httpcache.Flight
	done   bool
	// refresh: a background stale-while-revalidate request, which stores
	// and answers nobody.
	refresh bool
	// unsafe: a method whose success invalidates the URI (RFC 9111 §4.4).
	unsafe bool
	// scheme, host and base are what the key is built with: the scheme,
	// host and base path the upstream is told (forwardedView).
	scheme, host, base string
	// bypass: a request the cache neither answers nor stores (a range).
	bypass bool
	// maxEntry bounds the body kept (cache.max_entry_bytes).
	maxEntry int64
	// sent is when the request went upstream, for the entry's age.
	sent time.Time
	// status is the Cache-Status member so far; fwd says why it went on.
	fwd string
}

// finish tells a coalesced miss's followers the outcome: the stored entry,
// or nil (they go upstream themselves). Every path that ends a leader's
// request calls it; record calls it last, for a request that ended some
// other way (a panic, a client gone mid-body).
func (tx *cacheTx) finish(e *httpcache.Entry) {
	if tx == nil || tx.done {
		return
	}
	tx.done = true
	if tx.flight != nil {
		tx.flight.Done(e)
	}
}

// cacheKey is the key of r: its URL as the upstream is told it is (a
// trusted proxy's scheme and host, else the gateway's own), with the base
// path it is told (a stripped route prefix, a trusted proxy's prefix).
// Two requests the upstream would take for different URLs never share a
// key: with an honest CDN in front, a redirect to https stored for a plain
// http request would otherwise loop for every https client.
func (tx *cacheTx) cacheKey(r *http.Request) string {
	return httpcache.Based(httpcache.Key(r.Method, tx.scheme, tx.host, r.URL.EscapedPath(), r.URL.RawQuery), tx.base)
}
