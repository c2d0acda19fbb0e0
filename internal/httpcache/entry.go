package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// Entry is one stored response. It is immutable once built: Freshen returns
// a new Entry, so readers hold entries without locks. Callers must not
// modify Header or Body.
type Entry struct {
	Key          string      // primary key, from Key
	Status       int         // final status code
	Header       http.Header // stored header: hop-by-hop, private and Set-Cookie fields removed
	Body         []byte      // the whole body
	RequestTime  time.Time   // when the request that produced it was sent
	ResponseTime time.Time   // when its response was received
	VaryNames    []string    // canonical selecting header names ("*" for Vary: *)
	VaryValues   []string    // the request's normalised values, parallel to VaryNames
	Tags         []string    // surrogate keys from Surrogate-Key and Cache-Tag

	cc         Directives
	initialAge time.Duration
	lifetime   time.Duration
	opts       Options
}

// NewEntry builds an entry from a response that Storable accepted. req is
// the request that was sent; body is the whole response body.
func NewEntry(key string, req *http.Request, res *http.Response, body []byte, reqTime, resTime time.Time, opts Options) *Entry {
	e := &Entry{
		Key:          key,
		Status:       res.StatusCode,
		Header:       storedHeader(res.Header),
		Body:         body,
		RequestTime:  reqTime,
		ResponseTime: resTime,
		opts:         opts,
	}
	if len(e.Header.Values("Date")) == 0 {
		// RFC 9110 §6.6.1: a recipient with a clock MUST add a missing
		// Date to a response it caches.
		e.Header.Set("Date", resTime.UTC().Format(http.TimeFormat))
	}
	e.VaryNames = varyNames(res.Header)
	for _, name := range e.VaryNames {
		e.VaryValues = append(e.VaryValues, varyValue(req.Header, name))
	}
	e.Tags = surrogateTags(res.Header)
	e.derive()
	return e
}

// derive computes the cached directive set, initial age and lifetime.
func (e *Entry) derive() {
	e.cc = ResponseDirectives(e.Header, e.opts)
	e.initialAge = initialAge(e.Header, e.RequestTime, e.ResponseTime)
	e.lifetime = FreshnessLifetime(e.Status, e.Header, e.cc, e.ResponseTime, e.opts)
}

// Directives returns the directives the entry follows: its targeted
// field's or its Cache-Control's (ResponseDirectives).
func (e *Entry) Directives() Directives { return e.cc }

// Lifetime is the entry's freshness lifetime (RFC 9111 §4.2.1).
func (e *Entry) Lifetime() time.Duration { return e.lifetime }

// Age is current_age of RFC 9111 §4.2.3: corrected_initial_age plus the
// time resident in this cache.
func (e *Entry) Age(now time.Time) time.Duration {
	return e.initialAge + max(0, now.Sub(e.ResponseTime))
}

// TTL is the remaining freshness: negative once the entry is stale.
func (e *Entry) TTL(now time.Time) time.Duration { return e.lifetime - e.Age(now) }

// Fresh reports whether the freshness lifetime exceeds the current age.
func (e *Entry) Fresh(now time.Time) bool { return e.TTL(now) > 0 }

// Weight is the entry's share of the byte budget: body, key, header
// names and values, and a fixed allowance for the structures around them.
func (e *Entry) Weight() int64 {
	const overhead = 256
	n := int64(len(e.Body) + len(e.Key) + overhead)
	for k, vs := range e.Header {
		for _, v := range vs {
			n += int64(len(k) + len(v) + 32)
		}
	}
	for i := range e.VaryValues {
		n += int64(len(e.VaryNames[i]) + len(e.VaryValues[i]))
	}
	return n
}

// validators returns the stored ETag and Last-Modified field values.
func (e *Entry) validators() (etag, lastModified string) {
	return e.Header.Get("Etag"), e.Header.Get("Last-Modified")
}

// surrogateTags collects purge tags: Surrogate-Key is space-separated,
// Cache-Tag comma-separated.
func surrogateTags(h http.Header) []string {
	var tags []string
	for _, v := range h.Values("Surrogate-Key") {
		tags = append(tags, strings.Fields(v)...)
	}
	for m := range members(h.Values("Cache-Tag")) {
		tags = append(tags, m)
	}
	return tags
}
