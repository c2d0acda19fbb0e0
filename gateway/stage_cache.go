package gateway

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
)

// cacheStage looks a request up in its route's cache (when the request's
// policy enables one) and answers it there when RFC 9111 allows: a fresh
// response, a stale one the client accepts or stale-while-revalidate
// covers, a 304 for the client's own matching conditional. Otherwise it
// prepares the trip upstream: the stored entry's validators for a
// revalidation, and the coalescing of concurrent misses for one key into
// one upstream request (the others wait here, bounded by
// cache.lock_timeout, then share its response or go on alone).
//
// It comes after serviceStage, whose policy it reads, and before the guard:
// a hit costs no bulkhead slot, is not counted by the breaker and is
// answered even when no instance is up. Admission stages (authentication,
// rate limits), when they come, go before it, so a hit is never served to
// a caller they refuse.
type cacheStage struct{ g *Gateway }

func (s cacheStage) request(w http.ResponseWriter, r *http.Request, ex *exchange) error {
	p := ex.policy
	if !cacheEnabled.Of(p) {
		return nil
	}
	name := ex.svc.name
	if ex.route.OwnPolicy && ex.route.Policy.Sets("cache.max_bytes") {
		name = ex.route.Name
	}
	hc := s.g.caches.get(name, p, s.g.cacheMetrics)
	if hc == nil {
		return nil
	}
	tx := &cacheTx{cache: hc, metrics: s.g.cacheMetrics, opts: cacheOptions(p), req: r, maxEntry: cacheMaxEntry.Of(p)}
	tx.opts.Authenticated = ex.authenticated
	tx.scheme, tx.host, tx.base = forwardedView(r, ex)
	ex.cache = tx
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Not stored; an unsafe method's success invalidates (store stage).
		tx.unsafe, tx.fwd = true, "method"
		s.g.cacheMetrics.result(hc.name, "bypass")
		return nil
	}
	if r.URL.ForceQuery || r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		// Neither answered nor stored: a GET with a body, which the key does
		// not hold, so its answer must not be given to a GET without it; and
		// "/x?", which the upstream sees apart from "/x" while the key would
		// not.
		return s.bypass(w, r, ex, tx)
	}
	tx.key = tx.cacheKey(r)
	e, fwd := hc.store.Lookup(tx.key, r)
	if isRefresh(r) {
		// A background refresh goes upstream whatever is stored, with the
		// entry's validators, and answers nobody.
		tx.refresh, tx.fwd = true, "stale"
		if e != nil {
			tx.entry = e
			revalidate(r, tx)
		}
		return nil
	}
	now := time.Now()
	d := httpcache.Decide(r, e, now)
	if r.Header.Get("Range") != "" && !answersRange(r, e, d) {
		// A range the stored response cannot answer goes upstream and its
		// answer is not kept: RFC 9111 §3.3 lets a cache keep partial
		// content, this one does not. So does a range in a unit other than
		// bytes, which the origin may know (RFC 9110 §14.2).
		return s.bypass(w, r, ex, tx)
	}
	switch d.Action {
	case httpcache.ServeFresh:
		hc.store.Record(d)
		return s.answer(w, r, ex, e, httpcache.CacheStatus{Hit: true, TTL: d.TTL, HasTTL: true}, "hit")
	case httpcache.ServeStale:
		hc.store.Record(d)
		s.g.cacheMetrics.stale(hc.name, "max-stale")
		return s.answer(w, r, ex, e, httpcache.CacheStatus{Hit: true, TTL: d.TTL, HasTTL: true, Detail: "max-stale"}, "stale")
	case httpcache.StaleWhileRevalidate:
		hc.store.Record(d)
		if release, ok := hc.store.Flights().TryBackground(tx.key); ok {
			s.g.refreshInBackground(r, ex, release)
		}
		s.g.cacheMetrics.stale(hc.name, "stale-while-revalidate")
		return s.answer(w, r, ex, e, httpcache.CacheStatus{Hit: true, TTL: d.TTL, HasTTL: true, Detail: "stale-while-revalidate"}, "stale")
	case httpcache.OnlyIfCachedMiss:
		return s.onlyIfCachedMiss(w, ex, tx)
	case httpcache.Revalidate:
		tx.entry, tx.fwd = e, "stale"
		if d.Reason == "request no-cache" || d.Reason == "request max-age" || d.Reason == "request min-fresh" {
			tx.fwd = "request"
		}
		hc.store.Record(d)
	default: // Miss
		tx.fwd = string(fwd)
		if tx.fwd == "" {
			tx.fwd = "miss"
		}
	}
	if r.Method == http.MethodGet {
		if answered := s.coalesce(w, r, ex, tx); answered {
			return errAnswered
		}
	}
	if tx.entry != nil && r.Method == http.MethodGet {
		revalidate(r, tx)
	}
	return nil
}

// bypass sends the request upstream past the cache: not answered from it,
// and its answer not kept. Unless the client said only-if-cached: then it
// is a miss like any other.
func (s cacheStage) bypass(w http.ResponseWriter, r *http.Request, ex *exchange, tx *cacheTx) error {
	if httpcache.RequestDirectives(r).OnlyIfCached {
		return s.onlyIfCachedMiss(w, ex, tx)
	}
	tx.bypass, tx.fwd = true, "bypass"
	s.g.cacheMetrics.result(tx.cache.name, "bypass")
	return nil
}

// onlyIfCachedMiss answers 504: the client forbade going upstream (RFC 9111
// §5.2.1.7) and nothing stored may answer.
func (s cacheStage) onlyIfCachedMiss(w http.ResponseWriter, ex *exchange, tx *cacheTx) error {
	ex.cache = nil
	w.Header().Add("Cache-Status", httpcache.CacheStatus{Name: cacheName, Fwd: "miss", Detail: "only-if-cached"}.String())
	writeProblem(w, http.StatusGatewayTimeout, "only-if-cached, and no stored response may answer", ex.svc.name, ex.requestID)
	s.g.cacheMetrics.result(tx.cache.name, "miss")
	return errAnswered
}

// answersRange reports whether the stored entry e may answer the range
// request r itself: a whole 200 (RFC 9110 §14.2: Range applies to GET, and
// to 200 responses) that d, Decide's verdict, serves without going
// upstream. Any other range request goes upstream as it came.
func answersRange(r *http.Request, e *httpcache.Entry, d httpcache.Decision) bool {
	if _, ok := byteRanges(r); !ok || e == nil || e.Status != http.StatusOK || r.Method != http.MethodGet {
		return false
	}
	switch d.Action {
	case httpcache.ServeFresh, httpcache.ServeStale, httpcache.StaleWhileRevalidate:
		return true
	}
	return false
}

// byteRanges returns r's Range field with its unit written "bytes", as
// net/http's range parser expects it, when the unit is bytes in any case
// (RFC 9110 §14.1: unit names are case-insensitive).
func byteRanges(r *http.Request) (string, bool) {
	v := r.Header.Get("Range")
	const unit = "bytes="
	if len(v) < len(unit) || !strings.EqualFold(v[:len(unit)], unit) {
		return "", false
	}
	return unit + v[len(unit):], true
}

// coalesce joins the key's flight: the first request leads it upstream;
// the others wait for its result and answer from the cache when it stored
// a response this request may use, or go on alone.
func (s cacheStage) coalesce(w http.ResponseWriter, r *http.Request, ex *exchange, tx *cacheTx) bool {
	hc := tx.cache
	f, leader := hc.store.Flights().Join(tx.key)
	if leader {
		tx.flight = f
		return false
	}
	s.g.cacheMetrics.coalesced(hc.name)
	if _, ok := f.Wait(r.Context(), cacheLockTimeout.Of(ex.policy)); !ok {
		return false
	}
	// Look again rather than take the leader's entry: this request may
	// select another variant, or want a fresher response.
	e, _ := hc.store.Lookup(tx.key, r)
	now := time.Now()
	if d := httpcache.Decide(r, e, now); d.Action == httpcache.ServeFresh {
		hc.store.Record(d)
		s.answer(w, r, ex, e, httpcache.CacheStatus{Hit: true, TTL: d.TTL, HasTTL: true, Collapsed: true}, "hit") //nolint:errcheck // always errAnswered
		return true
	}
	return false
}

// revalidate turns the request into a conditional one with the stored
// entry's validators (RFC 9111 §4.3.1), keeping the client's own
// conditionals to answer it once the upstream has.
func revalidate(r *http.Request, tx *cacheTx) {
	cond := httpcache.ConditionalHeaders(tx.entry)
	if len(cond) == 0 {
		return // no validator: the request goes upstream unconditional
	}
	tx.clientConditional = http.Header{}
	for _, f := range []string{"If-None-Match", "If-Modified-Since"} {
		if v, ok := r.Header[f]; ok {
			tx.clientConditional[f] = v
			delete(r.Header, f)
		}
	}
	for f, v := range cond {
		r.Header[f] = v
	}
	tx.revalidating = true
}

// answer writes a stored entry as the response: a 304 when the client's
// own conditional matches it, else the stored status, header and body,
// with Age, Cache-Status and the request's id.
func (s cacheStage) answer(w http.ResponseWriter, r *http.Request, ex *exchange, e *httpcache.Entry, st httpcache.CacheStatus, result string) error {
	writeEntry(w, r, r.Header, ex, e, st)
	s.g.cacheMetrics.result(ex.cache.cache.name, result)
	ex.cache = nil // answered: nothing for the store stage or record to do
	return errAnswered
}

// writeEntry writes e to w; cond holds the client's conditional fields.
func writeEntry(w http.ResponseWriter, r *http.Request, cond http.Header, ex *exchange, e *httpcache.Entry, st httpcache.CacheStatus) {
	now := time.Now()
	status, dst := e.Status, w.Header()
	spec, ranged := byteRanges(r)
	ranged = ranged && e.Status == http.StatusOK && r.Method == http.MethodGet
	if httpcache.NotModified(&http.Request{Method: r.Method, Header: cond}, e) {
		status, ranged = http.StatusNotModified, false
		mergeStored(dst, httpcache.NotModifiedHeader(e, now))
	} else {
		mergeStored(dst, e.Header)
		dst["Age"] = []string{httpcache.AgeValue(e, now)}
		dst["Content-Length"] = []string{strconv.Itoa(len(e.Body))}
	}
	st.Name = cacheName
	// Canonical keys written directly: Add and Set would canonicalise them
	// on every hit.
	dst["Cache-Status"] = append(dst["Cache-Status"], st.String()) // after the members of the caches before this one (RFC 9211 §2)
	dst["X-Request-Id"] = []string{ex.requestID}
	if ranged {
		writeRanges(w, r, spec, e)
		return
	}
	w.WriteHeader(status)
	if status != http.StatusNotModified && r.Method != http.MethodHead {
		_, _ = w.Write(e.Body)
	}
}

// mergeStored adds a stored response's fields to the header the gateway's
// own stages have begun for this request (CORS, rate limits). A field they
// set is theirs and stays, but Vary, which gets the stored members too: a
// hit that dropped CORS's "Vary: Origin" for the stored "Vary:
// Accept-Encoding" could be kept by a cache in front and given to another
// origin's page.
//
// The stored values are shared, not copied (a hit's largest cost was
// cloning them): capped at their length, so an Add to dst makes a new array
// rather than write into the entry's, and Set replaces the slice. Nothing
// after this changes a value in place.
func mergeStored(dst, stored http.Header) {
	for k, v := range stored {
		if have, ok := dst[k]; ok {
			if k == "Vary" {
				dst[k] = append(have[:len(have):len(have)], v...)
			}
			continue
		}
		dst[k] = v[:len(v):len(v)]
	}
}

// writeRanges answers the byte ranges spec of the stored body of e, its
// header already written to w. net/http's ServeContent does it as RFC 9110
// §14 says: 206 with Content-Range, multipart/byteranges for several
// ranges, 416 for none satisfiable, and the whole 200 when If-Range does not
// match the stored ETag (strong comparison); it sets Content-Length itself.
// It sees the Range and If-Range fields alone: the client's If-None-Match
// and If-Modified-Since were answered before, and If-Match and
// If-Unmodified-Since are for the origin, not a cache (RFC 9111 §4.3.2).
func writeRanges(w http.ResponseWriter, r *http.Request, spec string, e *httpcache.Entry) {
	dst := w.Header()
	if _, ok := dst["Content-Type"]; !ok {
		dst["Content-Type"] = nil // stored without one: ServeContent must not guess one
	}
	delete(dst, "Content-Length")
	ranged := &http.Request{Method: r.Method, Header: http.Header{"Range": {spec}}}
	if ir, ok := r.Header["If-Range"]; ok {
		ranged.Header["If-Range"] = ir
	}
	http.ServeContent(rangeWriter{w, e.Header}, ranged.WithContext(r.Context()), "", time.Time{}, bytes.NewReader(e.Body))
}

// rangeWriter passes ServeContent's answer on, but a 416 keeps none of the
// stored response's fields. They describe the whole 200, and the range is
// not part of any cache's key: a downstream cache that found the 200's
// Expires or CDN-Cache-Control on the 416 could keep it, and answer every
// plain GET of the URL with it. ServeContent itself drops only
// Cache-Control, Content-Encoding, ETag and Last-Modified from its errors.
type rangeWriter struct {
	http.ResponseWriter
	stored http.Header
}

func (rw rangeWriter) WriteHeader(code int) {
	if code == http.StatusRequestedRangeNotSatisfiable {
		h := rw.Header()
		for k := range rw.stored {
			switch k {
			case "Content-Type", "Content-Range", "X-Content-Type-Options": // the 416's own, set by ServeContent
			case "Age", "Cache-Status", "X-Request-Id": // the cache's own, as on every answer from it
			default:
				delete(h, k)
			}
		}
	}
	rw.ResponseWriter.WriteHeader(code)
}
