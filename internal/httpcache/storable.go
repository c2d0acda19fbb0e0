package httpcache

import (
	"net/http"
)

// understoodStatus are the final status codes whose caching rules this
// cache implements (RFC 9110 §15). must-understand responses with any
// other code are not stored (RFC 9111 §5.2.2.3); without must-understand,
// §3 lets any final code with explicit freshness be stored. 206 and 304
// are deliberately absent: partial content is not stored, and a 304 only
// freshens (Freshen).
var understoodStatus = map[int]bool{
	200: true, 201: true, 202: true, 203: true, 204: true, 205: true,
	300: true, 301: true, 302: true, 303: true, 307: true, 308: true,
	400: true, 401: true, 402: true, 403: true, 404: true, 405: true, 406: true,
	407: true, 408: true, 409: true, 410: true, 411: true, 412: true, 413: true,
	414: true, 415: true, 416: true, 417: true, 421: true, 422: true, 426: true,
	500: true, 501: true, 502: true, 503: true, 504: true, 505: true,
}

// Storable decides whether a shared cache may store res, the response to
// req (RFC 9111 §3). reason names the rule that refused it, for logs and
// the admin API; it is empty when ok.
//
// Beyond the RFC, for a gateway's safety: a response with Set-Cookie is
// stored only when "public" or s-maxage say the origin meant it for
// everyone (and the cookie itself is never stored); "Vary: *" is not
// stored, since no request can ever select it (§4.1).
func Storable(req *http.Request, res *http.Response, opts Options) (ok bool, reason string) {
	if req.Method != http.MethodGet {
		return false, "method" // HEAD only freshens (FreshenHead); unsafe methods invalidate
	}
	if res.StatusCode < 200 || res.StatusCode > 999 || res.StatusCode == 206 || res.StatusCode == 304 {
		return false, "status" // not final, partial, or not a response to store
	}
	reqCC := ParseCacheControl(req.Header.Values("Cache-Control"))
	if reqCC.NoStore {
		return false, "request no-store" // §5.2.1.5
	}
	cc := ResponseDirectives(res.Header, opts)
	// §5.2.2.3: with must-understand, only a cache that implements the
	// status code's caching rules may store, and it ignores no-store.
	if cc.MustUnderstand && !understoodStatus[res.StatusCode] {
		return false, "must-understand"
	}
	if cc.NoStore && !cc.MustUnderstand {
		return false, "no-store" // §5.2.2.5
	}
	if cc.Private {
		return false, "private" // §5.2.2.7: a shared cache MUST NOT store
	}
	shared := cc.Public || cc.SMaxAge.Set
	if (req.Header.Get("Authorization") != "" || opts.Authenticated) && !shared && !cc.MustRevalidate {
		return false, "authorization" // §3.5
	}
	if len(res.Header.Values("Set-Cookie")) > 0 && !shared {
		return false, "set-cookie"
	}
	if names := varyNames(res.Header); len(names) == 1 && names[0] == varyAll {
		return false, "vary *"
	}
	if !hasExplicitFreshness(cc, res.Header) && !cc.Public && !heuristicStatus[res.StatusCode] {
		return false, "no freshness" // §3: none of the listed permissions
	}
	if !hasExplicitFreshness(cc, res.Header) && !hasValidator(res.Header) &&
		!opts.Heuristic && opts.DefaultTTL <= 0 {
		// Allowed, but useless: born stale with nothing to revalidate.
		return false, "no freshness or validator"
	}
	return true, ""
}

func hasValidator(h http.Header) bool {
	return h.Get("Etag") != "" || h.Get("Last-Modified") != ""
}
