package httpcache

import "time"

// Options are the per-service caching choices that RFC 9111 leaves to the
// cache. The zero value is the strict reading: no heuristic freshness, no
// default lifetime, stale responses only where a directive allows them.
type Options struct {
	// Heuristic enables heuristic freshness (RFC 9111 §4.2.2) for responses
	// without explicit expiration: 10% of the time since Last-Modified.
	// Zero: off, such responses are stored only to be revalidated.
	Heuristic bool
	// HeuristicMax caps a heuristic lifetime. Zero means 24 hours.
	HeuristicMax time.Duration
	// DefaultTTL is the freshness lifetime given to a response that has no
	// explicit freshness and gets no heuristic one, where heuristics are
	// allowed (a heuristically cacheable status or "public"). Zero: none.
	DefaultTTL time.Duration
	// StaleOnError is how long past its expiry a stored response may replace
	// an origin error (the service's serve_stale_on_error), on top of any
	// stale-if-error directive. Zero: only the directives count.
	StaleOnError time.Duration
	// Authenticated says the request carried a credential that a gateway
	// checked and took off before the request reached the cache: a
	// response to it is stored only where one to a request with
	// Authorization would be (RFC 9111 §3.5), so one caller's answer is
	// never served to another unless the origin said it may be.
	Authenticated bool
	// NoCDNCacheControl leaves CDN-Cache-Control to the CDNs it targets:
	// the cache then follows Bulwark-Cache-Control, else Cache-Control
	// (RFC 9213). False: CDN-Cache-Control counts too.
	NoCDNCacheControl bool
}

const defaultHeuristicMax = 24 * time.Hour

func (o Options) heuristicMax() time.Duration {
	if o.HeuristicMax > 0 {
		return o.HeuristicMax
	}
	return defaultHeuristicMax
}
