package httpcache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// unstored are the fields RFC 9111 §3.1 forbids a cache to store: the
// hop-by-hop ones and the proxy-specific ones. Set-Cookie is added: a
// shared cache must never hand one client's cookie to another, so it is
// dropped even from responses that may be stored.
var unstored = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Te", "Transfer-Encoding", "Upgrade",
	"Proxy-Authenticate", "Proxy-Authentication-Info", "Proxy-Authorization",
	"Trailer", "Set-Cookie",
}

// storedHeader copies h without the fields a shared cache must not store:
// those above, those named by Connection, and those listed by a qualified
// private or no-cache directive (dropListed).
func storedHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, line := range h.Values("Connection") {
		for f := range strings.SplitSeq(line, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out.Del(f)
			}
		}
	}
	for _, f := range unstored {
		out.Del(f)
	}
	dropListed(out)
	return out
}

// dropListed deletes from h the fields that h's own Cache-Control lists
// in a qualified private (RFC 9111 §5.2.2.7: a shared cache MUST NOT store
// them) or no-cache (§5.2.2.4: they MUST NOT be reused without
// revalidation). A cache that never stores them meets both, and may then
// reuse the rest of the response as its other directives allow, as the
// qualified forms intend.
//
// A list naming a field the cache itself reads makes the directive
// unqualified (cacheFields), and such a field is never dropped: an
// unqualified private is not stored at all, and an unqualified no-cache is
// revalidated before every reuse.
func dropListed(h http.Header) {
	cc := ParseCacheControl(h.Values("Cache-Control"))
	for _, f := range cc.PrivateFields {
		if !cacheFields[f] {
			h.Del(f)
		}
	}
	for _, f := range cc.NoCacheFields {
		if !cacheFields[f] {
			h.Del(f)
		}
	}
}

// ResponseHeader returns the header to send with a stored entry: a copy of
// the stored header with Age set to the current age in whole seconds,
// clamped to 2^31 (RFC 9111 §5.1: a cache MUST send Age on a stored
// response). No Warning is generated: RFC 9111 obsoletes it.
func ResponseHeader(e *Entry, now time.Time) http.Header {
	h := e.Header.Clone()
	h.Set("Age", AgeValue(e, now))
	return h
}

// AgeValue is the Age field value of e at now, for a caller that writes the
// stored header itself.
func AgeValue(e *Entry, now time.Time) string { return formatAge(e.Age(now)) }

func formatAge(d time.Duration) string {
	return strconv.FormatInt(min(int64(d/time.Second), maxDelta), 10)
}

// notModifiedFields are those RFC 9110 §15.4.5 says a 304 MUST carry when a
// 200 would have, plus Last-Modified to help the client's own cache.
var notModifiedFields = []string{
	"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Vary", "Last-Modified",
}

// NotModifiedHeader is the header of a 304 generated from a stored entry
// for a client's matching conditional request.
func NotModifiedHeader(e *Entry, now time.Time) http.Header {
	h := make(http.Header, len(notModifiedFields)+1)
	for _, f := range notModifiedFields {
		if v, ok := e.Header[f]; ok {
			h[f] = append([]string(nil), v...)
		}
	}
	h.Set("Age", formatAge(e.Age(now)))
	return h
}
