package httpcache

import (
	"net/http"
	"time"
)

// Action is what the gateway does with a lookup.
type Action int

const (
	// Miss: nothing usable is stored; forward the request.
	Miss Action = iota
	// ServeFresh: answer from the entry.
	ServeFresh
	// ServeStale: answer from the stale entry; the client allowed it (max-stale).
	ServeStale
	// StaleWhileRevalidate: answer from the stale entry now and refresh it
	// in the background, once per key (Flights.TryBackground).
	StaleWhileRevalidate
	// Revalidate: forward with ConditionalHeaders(e); a 304 freshens the entry.
	Revalidate
	// OnlyIfCachedMiss: the client sent only-if-cached and nothing may be
	// served; answer 504 (RFC 9111 §5.2.1.7).
	OnlyIfCachedMiss
)

var actionNames = [...]string{"miss", "fresh", "stale", "stale-while-revalidate", "revalidate", "only-if-cached"}

func (a Action) String() string { return actionNames[a] }

// Decision is the verdict of Decide.
type Decision struct {
	Action Action
	Age    time.Duration // current age of the entry (zero without one)
	TTL    time.Duration // remaining freshness; negative when stale
	Reason string        // why the entry could not be served, for Cache-Status detail
}

// RequestDirectives parses a request's Cache-Control, honouring
// "Pragma: no-cache" when the request has no Cache-Control (RFC 9111 §5.4).
func RequestDirectives(req *http.Request) Directives {
	lines := req.Header.Values("Cache-Control")
	d := ParseCacheControl(lines)
	if len(lines) == 0 {
		for m := range members(req.Header.Values("Pragma")) {
			if m == "no-cache" {
				d.NoCache = true
			}
		}
	}
	return d
}

// Decide combines request and stored-response directives into what the
// gateway should do (RFC 9111 §4, §5.2; RFC 5861 §3). e may be nil.
func Decide(req *http.Request, e *Entry, now time.Time) Decision {
	rc := RequestDirectives(req)
	if e == nil {
		return missOr(rc, Decision{Action: Miss})
	}
	d := Decision{Age: e.Age(now), TTL: e.TTL(now)}
	cc := e.cc
	switch {
	case rc.NoCache:
		return revalidate(rc, d, "request no-cache") // §5.2.1.4
	case cc.NoCache:
		// §5.2.2.4. The qualified form does not revalidate: the fields
		// it lists were never stored (dropListed).
		return revalidate(rc, d, "no-cache")
	case rc.MaxAge.Set && rc.MaxAge.Valid && (rc.MaxAge.Secs == 0 || d.Age > rc.MaxAge.Duration()):
		// §5.2.1.1. max-age=0 always revalidates, as every browser's
		// reload means it, even when the age rounds to zero.
		if d.TTL <= 0 && staleAllowedByRequest(rc, cc, -d.TTL) {
			return served(d, ServeStale)
		}
		return revalidate(rc, d, "request max-age")
	case rc.MinFresh.Set && rc.MinFresh.Valid && d.TTL < rc.MinFresh.Duration():
		return revalidate(rc, d, "request min-fresh") // §5.2.1.3
	case d.TTL > 0:
		return served(d, ServeFresh)
	}
	staleness := -d.TTL
	if forbidsStale(cc) {
		return revalidate(rc, d, "must revalidate") // §4.2.4, §5.2.2.2, §5.2.2.8, §5.2.2.10
	}
	if staleAllowedByRequest(rc, cc, staleness) {
		return served(d, ServeStale) // §5.2.1.2
	}
	if cc.StaleWhileRevalidate.Valid && staleness <= cc.StaleWhileRevalidate.Duration() {
		return served(d, StaleWhileRevalidate) // RFC 5861 §3
	}
	return revalidate(rc, d, "stale")
}

// forbidsStale reports the response directives under which a cache MUST
// NOT serve the entry stale (RFC 9111 §4.2.4): must-revalidate,
// proxy-revalidate and s-maxage (which implies proxy-revalidate for a
// shared cache, §5.2.2.10), and no-cache.
func forbidsStale(cc Directives) bool {
	return cc.MustRevalidate || cc.ProxyRevalidate || cc.SMaxAge.Set || cc.NoCache
}

func staleAllowedByRequest(rc, cc Directives, staleness time.Duration) bool {
	if forbidsStale(cc) {
		return false
	}
	return rc.MaxStaleAny || rc.MaxStale.Valid && staleness <= rc.MaxStale.Duration()
}

func served(d Decision, a Action) Decision {
	d.Action = a
	return d
}

func revalidate(rc Directives, d Decision, reason string) Decision {
	d.Action, d.Reason = Revalidate, reason
	return missOr(rc, d)
}

// missOr turns a forward into OnlyIfCachedMiss when the client forbade
// contacting the origin (§5.2.1.7).
func missOr(rc Directives, d Decision) Decision {
	if rc.OnlyIfCached {
		d.Action = OnlyIfCachedMiss
	}
	return d
}

// StaleIfError reports whether e may answer req in place of an origin
// error at now, and how much longer it may (RFC 5861 §4). The window is the
// largest of the response's stale-if-error, the request's stale-if-error
// and opts.StaleOnError, counted from expiry. Never when the response
// forbids stale service (RFC 9111 §4.2.4), nor when the client sent
// no-cache without stale-if-error of its own.
func (e *Entry) StaleIfError(req *http.Request, now time.Time, opts Options) (ok bool, remaining time.Duration) {
	if forbidsStale(e.cc) {
		return false, 0
	}
	rc := RequestDirectives(req)
	if rc.NoCache && !rc.StaleIfError.Valid {
		return false, 0
	}
	window := opts.StaleOnError
	if e.cc.StaleIfError.Valid {
		window = max(window, e.cc.StaleIfError.Duration())
	}
	if rc.StaleIfError.Valid {
		window = max(window, rc.StaleIfError.Duration())
	}
	staleness := max(0, -e.TTL(now))
	if window == 0 || staleness > window {
		return false, 0
	}
	return true, window - staleness
}
