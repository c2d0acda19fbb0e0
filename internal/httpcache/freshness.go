package httpcache

import (
	"net/http"
	"time"
)

// heuristicStatus are the status codes RFC 9110 §15.1 defines as
// heuristically cacheable (RFC 9111 §4.2.2). 206 is listed there but this
// cache never stores partial content.
var heuristicStatus = map[int]bool{
	200: true, 203: true, 204: true, 206: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// hasExplicitFreshness reports whether a shared cache finds an expiration
// time in the response: s-maxage, max-age or Expires (RFC 9111 §4.2.1).
func hasExplicitFreshness(cc Directives, h http.Header) bool {
	return cc.SMaxAge.Set || cc.MaxAge.Set || hasExpires(cc, h)
}

// hasExpires reports whether the response's Expires counts: it does unless
// the directives came from a targeted field (RFC 9213 §2.1).
func hasExpires(cc Directives, h http.Header) bool {
	return !cc.Targeted && len(h.Values("Expires")) > 0
}

// FreshnessLifetime computes a shared cache's freshness lifetime of a
// response (RFC 9111 §4.2.1): s-maxage, else max-age, else Expires minus
// Date (Date missing: the response time), else a heuristic or the default
// TTL where opts allow them and §4.2.2 permits heuristics. Invalid values
// make the response stale (lifetime 0), as §4.2.1 encourages.
func FreshnessLifetime(status int, h http.Header, cc Directives, resTime time.Time, opts Options) time.Duration {
	switch {
	case cc.SMaxAge.Set:
		return validDelta(cc.SMaxAge)
	case cc.MaxAge.Set:
		return validDelta(cc.MaxAge)
	case hasExpires(cc, h):
		exp, ok := headerDate(h, "Expires")
		if !ok {
			return 0 // §5.3: an invalid Expires, e.g. "0", means already expired
		}
		return max(0, exp.Sub(dateOr(h, resTime)))
	}
	if !heuristicStatus[status] && !cc.Public {
		return 0
	}
	if opts.Heuristic {
		if lm, ok := headerDate(h, "Last-Modified"); ok {
			if since := dateOr(h, resTime).Sub(lm); since > 0 {
				return min(since/10, opts.heuristicMax())
			}
		}
	}
	if hasValidator(h) {
		// default_ttl is for responses nothing else covers; one with a
		// validator is stored to be revalidated, which is always right.
		return 0
	}
	return opts.DefaultTTL
}

func validDelta(d Delta) time.Duration {
	if !d.Valid {
		return 0
	}
	return d.Duration()
}

// dateOr returns the response's Date, or fallback if it has none or it does
// not parse (RFC 9110 §6.6.1: a recipient may assign the receipt time).
func dateOr(h http.Header, fallback time.Time) time.Time {
	if d, ok := headerDate(h, "Date"); ok {
		return d
	}
	return fallback
}

// ageValue parses the Age field (RFC 9111 §5.1): the first member of the
// first line; invalid values are ignored (0), overflow clamps to 2^31.
func ageValue(h http.Header) time.Duration {
	for m := range members(h.Values("Age")) {
		n, ok := parseDelta(m, true)
		if !ok {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	return 0
}

// initialAge is corrected_initial_age of RFC 9111 §4.2.3:
//
//	apparent_age = max(0, response_time - date_value)
//	corrected_age_value = age_value + (response_time - request_time)
//	corrected_initial_age = max(apparent_age, corrected_age_value)
func initialAge(h http.Header, reqTime, resTime time.Time) time.Duration {
	apparent := max(0, resTime.Sub(dateOr(h, resTime)))
	corrected := ageValue(h) + max(0, resTime.Sub(reqTime))
	return max(apparent, corrected)
}
