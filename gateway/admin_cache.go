package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
)

// The admin API's view of the HTTP caches: what each holds and how it does,
// one key's stored variants, and purges by URL, by path prefix and by
// surrogate key (the Surrogate-Key and Cache-Tag response headers). Reads
// need the admin token, purges the write token.

// CacheView is one cache in the admin API.
type CacheView struct {
	Name      string `json:"name"`
	MaxBytes  int64  `json:"max_bytes"`
	Bytes     uint64 `json:"bytes"`
	Entries   int    `json:"entries"` // URLs held, each with one or more variants
	Hits      uint64 `json:"hits"`
	Stale     uint64 `json:"stale"` // max-stale, stale-while-revalidate and stale-if-error
	Misses    uint64 `json:"misses"`
	Revalid   uint64 `json:"revalidations"`
	Coalesced uint64 `json:"coalesced"`
	Stores    uint64 `json:"stores"`
	Evictions uint64 `json:"evictions"`
}

func (g *Gateway) cachesView() []CacheView {
	out := []CacheView{}
	for _, hc := range g.caches.all() {
		s := hc.store.Stats()
		out = append(out, CacheView{
			Name: hc.name, MaxBytes: hc.maxBytes, Bytes: s.Bytes, Entries: s.Keys, Hits: s.Hits,
			Stale: s.StaleMaxStale + s.StaleWhileRevalidate + s.StaleIfError, Misses: s.URIMisses + s.VaryMisses,
			Revalid: s.Revalidations, Coalesced: s.Coalesced, Stores: s.Stores, Evictions: s.Evictions,
		})
	}
	slices.SortFunc(out, func(a, b CacheView) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// cacheNamed finds a cache, or answers 404.
func (g *Gateway) cacheNamed(w http.ResponseWriter, name string) *httpCache {
	for _, hc := range g.caches.all() {
		if hc.name == name {
			return hc
		}
	}
	writeProblem(w, http.StatusNotFound, "no cache "+name+" (a cache is made by its first request)", "", "")
	return nil
}

// cacheKeys lists a cache's keys, those starting with ?prefix= only.
func (g *Gateway) cacheKeys(w http.ResponseWriter, r *http.Request) {
	if hc := g.cacheNamed(w, r.PathValue("name")); hc != nil {
		writeJSON(w, hc.store.Keys(r.URL.Query().Get("prefix")))
	}
}

// cacheEntry shows the variants stored under ?key= (as cacheKeys lists it).
func (g *Gateway) cacheEntry(w http.ResponseWriter, r *http.Request) {
	if hc := g.cacheNamed(w, r.PathValue("name")); hc != nil {
		writeJSON(w, hc.store.Inspect(r.URL.Query().Get("key"), time.Now()))
	}
}

// PurgeRequest says what to remove: exactly one of URL (every variant of
// one URL; without scheme and host, of that path and query on every host),
// Prefix (every URL whose path starts with it, or, given as a URL, every
// URL starting with it) and Tag (every response that carried the surrogate
// key). Cache limits it to one cache; empty means all.
type PurgeRequest struct {
	Cache  string `json:"cache,omitempty"`
	URL    string `json:"url,omitempty"`
	Prefix string `json:"prefix,omitempty"`
	Tag    string `json:"tag,omitempty"`
}

func (g *Gateway) purgeCache(w http.ResponseWriter, r *http.Request) {
	var req PurgeRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, "the body must be JSON: {\"url\"|\"prefix\"|\"tag\": \"...\", \"cache\": \"optional name\"}: "+err.Error(), "", "")
		return
	}
	set := 0
	for _, s := range []string{req.URL, req.Prefix, req.Tag} {
		if s != "" {
			set++
		}
	}
	if set != 1 {
		writeProblem(w, http.StatusBadRequest, "give exactly one of url, prefix and tag", "", "")
		return
	}
	var match func(string) bool
	if req.Tag == "" {
		var err error
		if match, err = purgeMatcher(req); err != nil {
			writeProblem(w, http.StatusBadRequest, err.Error(), "", "")
			return
		}
	}
	n := 0
	for _, hc := range g.caches.all() {
		if req.Cache != "" && hc.name != req.Cache {
			continue
		}
		if req.Tag != "" {
			n += hc.store.PurgeTag(req.Tag)
			continue
		}
		for _, k := range hc.store.Keys("") {
			if match(k) {
				n += hc.store.Delete(k)
			}
		}
	}
	g.log.Warn("cache purged through the admin API", "cache", req.Cache, "url", req.URL, "prefix", req.Prefix,
		"tag", req.Tag, "purged", n, "remote", r.RemoteAddr)
	writeJSON(w, map[string]int{"purged": n})
}

// purgeMatcher turns a URL or prefix purge into a test of a cache key
// ("GET http://host/path?query", as httpcache.Key writes it).
func purgeMatcher(req PurgeRequest) (func(key string) bool, error) {
	s := req.URL + req.Prefix
	u, err := url.Parse(s)
	if err != nil || (u.Host == "" && !strings.HasPrefix(s, "/")) {
		return nil, errBadPurge(s)
	}
	if u.Host != "" {
		if u.Scheme == "" {
			u.Scheme = "http"
		}
		key := httpcache.Key(http.MethodGet, u.Scheme, u.Host, u.EscapedPath(), u.RawQuery)
		if req.URL != "" {
			return func(k string) bool { return httpcache.KeyURL(k) == key }, nil // every base the URL was stored with
		}
		return func(k string) bool { return strings.HasPrefix(k, key) }, nil
	}
	// A path on every host: compare the part of the key after its host.
	probe := httpcache.Key(http.MethodGet, "http", "h", u.EscapedPath(), u.RawQuery)
	want := strings.TrimPrefix(probe, "GET http://h")
	return func(k string) bool {
		k = httpcache.KeyURL(k)
		rest := k[strings.Index(k, "://")+3:]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[i:]
		}
		if req.URL != "" {
			return rest == want
		}
		return strings.HasPrefix(rest, want)
	}, nil
}

type errBadPurge string

func (e errBadPurge) Error() string {
	return "not a URL or absolute path: " + string(e)
}
