// Package httpcache is the gateway's shared HTTP cache engine: the pure
// rules of RFC 9111 (HTTP Caching), RFC 9110 §13 (conditional requests),
// RFC 5861 (stale-while-revalidate, stale-if-error) and RFC 9211
// (Cache-Status), plus a bounded in-memory store. It imports nothing from
// the gateway; the gateway's pipeline stages call it, and the gateway
// decides what counts as an origin failure.
//
// A request flows through it like this:
//
//	key := Key(req.Method, scheme, req.Host, req.URL.EscapedPath(), req.URL.RawQuery)
//	e, fwd := store.Lookup(key, req)         // variant selection, §4.1
//	d := Decide(req, e, now)                 // fresh, stale, revalidate, miss, §4 and §5.2
//	switch d.Action {
//	case ServeFresh, ServeStale:             // ResponseHeader(e, now) sets Age
//	                                         // NotModified(req, e) → 304 with NotModifiedHeader
//	case StaleWhileRevalidate:               // serve, then Flights().TryBackground(key)
//	case Revalidate:                         // forward with ConditionalHeaders(e);
//	                                         // 304 → Store.FreshenStored (every selected variant)
//	case Miss:                               // Flights().Join(key): leader fetches,
//	                                         // Storable → NewEntry → Put → Done(entry)
//	case OnlyIfCachedMiss:                   // answer 504
//	}
//
// After an origin error, e.StaleIfError(req, now, opts) says whether the
// stale entry may answer instead. After an unsafe request,
// Store.InvalidateAfter removes the affected URIs (§4.4). CacheStatus formats
// the Cache-Status member for each outcome.
//
// Entries are immutable once built; Freshen returns a new one, so a reader
// holding an *Entry never races a writer. The Store keeps variant sets in
// an otter cache weighted by Entry.Weight, refusing entries above a
// per-entry limit. otter was chosen over ristretto by a Zipf benchmark: hit
// ratios within 2 points of each other, but otter's writes are visible to
// the next read (ristretto buffers them), it can list keys for prefix
// purges, and a hit costs half the time with no allocation.
//
// Decide takes no Options: the per-service choices that shape freshness
// (heuristics, default TTL) are fixed into an Entry by NewEntry and kept by
// Freshen, so a hit does no parsing.
//
// What the engine cannot do and the gateway must:
//   - send ResponseHeader as is: never overwrite the stored Date (RFC 9110
//     §6.6.1; the conformance suite checks it) nor drop Age;
//   - revalidate with the client's own request headers plus
//     ConditionalHeaders, so the fields named by Vary reach the origin
//     (RFC 9111 §4.3.1);
//   - answer a Range request from a stored whole 200 by RFC 9110 §14 (the
//     gateway uses net/http's ServeContent), or forward it and its answer
//     without the cache (206 is never stored);
//   - drop 1xx responses and never call Storable for them.
//
// Deliberate choices where RFC 9111 leaves room, each documented where it
// is made: duplicate directives take the first value; invalid freshness
// makes a response stale; the fields a qualified no-cache lists are not
// stored, like those a qualified private lists;
// "Vary: *", 206 responses and responses with Set-Cookie (unless public or
// s-maxage) are not stored, and Set-Cookie is never stored; request
// max-age=0 always revalidates.
package httpcache
