package httpcache

import (
	"net/http"
	"strconv"
	"time"
)

// NotModified reports whether the client's own conditional request is
// answered by a 304 from the stored entry (RFC 9111 §4.3.2, RFC 9110
// §13.1.2, §13.1.3, §13.2.2):
//   - only for GET and HEAD, and only when the stored status is 200;
//   - If-None-Match, when present, decides alone: "*" or any listed tag
//     matching the stored ETag by weak comparison means 304;
//   - otherwise If-Modified-Since is compared with Last-Modified, or, if the
//     entry has none, its Date, or else the time it was received; an
//     unparseable date is ignored.
func NotModified(req *http.Request, e *Entry) bool {
	if req.Method != http.MethodGet && req.Method != http.MethodHead || e.Status != http.StatusOK {
		return false
	}
	if inm := req.Header.Values("If-None-Match"); len(inm) > 0 {
		etag := e.Header.Get("Etag")
		for m := range members(inm) {
			if m == "*" || etag != "" && weakMatch(m, etag) {
				return true
			}
		}
		return false
	}
	ims, ok := headerDate(req.Header, "If-Modified-Since")
	if !ok {
		return false
	}
	var lm time.Time
	if t, ok := headerDate(e.Header, "Last-Modified"); ok {
		lm = t
	} else {
		lm = dateOr(e.Header, e.ResponseTime)
	}
	return !lm.After(ims)
}

func itoa(n int) string { return strconv.Itoa(n) }
