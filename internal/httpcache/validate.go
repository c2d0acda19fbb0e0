package httpcache

import (
	"net/http"
	"strings"
	"time"
)

// ConditionalHeaders returns the validators to add to a request that
// revalidates e (RFC 9111 §4.3.1): If-None-Match with the stored entity
// tag, and If-Modified-Since with Last-Modified. Both are sent when both
// exist, so an origin that ignores one still answers the other. An entry
// without validators yields an empty header: the request is unconditional.
func ConditionalHeaders(e *Entry) http.Header {
	h := http.Header{}
	etag, lm := e.validators()
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	if lm != "" {
		h.Set("If-Modified-Since", lm)
	}
	return h
}

// Selects304 reports whether a 304 (or HEAD) response applies to stored
// entry e (RFC 9111 §4.3.4): by strong entity tag if the response has one,
// else by weak tag or Last-Modified, else only if neither has a validator.
// With several variants, each is asked; sole says e is the only one.
func Selects304(e *Entry, res *http.Response, sole bool) bool {
	newTag := res.Header.Get("Etag")
	oldTag, oldLM := e.validators()
	switch {
	case newTag != "" && !strings.HasPrefix(newTag, "W/"):
		return newTag == oldTag // strong comparison (RFC 9110 §8.8.3.2)
	case newTag != "":
		return oldTag != "" && weakMatch(newTag, oldTag)
	case res.Header.Get("Last-Modified") != "":
		return res.Header.Get("Last-Modified") == oldLM
	}
	return sole && oldTag == "" && oldLM == ""
}

// weakMatch compares entity tags ignoring the weak prefix (RFC 9110 §8.8.3.2).
func weakMatch(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// updateExcluded are fields a freshening response never replaces (RFC 9111
// §3.2): Content-Length, since the stored body is the one kept, and the
// fields that describe the stored bytes (Content-Encoding, Content-Range),
// which a 304 for the same representation cannot change.
var updateExcluded = map[string]bool{
	"Content-Length": true, "Content-Encoding": true, "Content-Range": true,
}

// Freshen returns a new entry: e with its header fields replaced by those
// of the 304 (or 200 HEAD) response res, as RFC 9111 §3.2 and §4.3.4
// require, and its request and response times moved to this exchange, so
// age and lifetime restart from the validation. e is left untouched.
func Freshen(e *Entry, res *http.Response, reqTime, resTime time.Time) *Entry {
	n := *e
	n.Header = e.Header.Clone()
	n.Header.Del("Age") // the old Age describes the old exchange; a new one comes from res
	for f, vs := range storedHeader(res.Header) {
		if !updateExcluded[f] {
			n.Header[f] = vs
		}
	}
	// The fields the merged Cache-Control lists stay out, whichever
	// response carried them.
	dropListed(n.Header)
	if res.Header.Get("Date") == "" {
		// RFC 9110 §6.6.1: a missing Date may be replaced by the receipt
		// time; keeping the old one would age the entry by its whole past.
		n.Header.Set("Date", resTime.UTC().Format(http.TimeFormat))
	}
	n.RequestTime, n.ResponseTime = reqTime, resTime
	n.Tags = surrogateTags(n.Header)
	n.derive()
	return &n
}

// FreshenHead applies a HEAD response to a stored GET entry (RFC 9111
// §4.3.5). If Content-Length, ETag or Last-Modified disagree with the
// stored values, the stored response is outdated: ok is false and the
// caller should delete it. Otherwise the entry is freshened like a 304.
func FreshenHead(e *Entry, res *http.Response, reqTime, resTime time.Time) (n *Entry, ok bool) {
	for _, f := range []string{"Content-Length", "Etag", "Last-Modified"} {
		got, want := res.Header.Get(f), e.Header.Get(f)
		if f == "Content-Length" && want == "" && got != "" {
			want = itoa(len(e.Body))
		}
		if got != "" && got != want {
			return nil, false
		}
	}
	return Freshen(e, res, reqTime, resTime), true
}
