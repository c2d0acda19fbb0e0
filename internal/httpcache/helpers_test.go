package httpcache

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"time"
)

// t0 is the injected clock's origin; tests move time by adding to it.
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func at(secs int) time.Time { return t0.Add(time.Duration(secs) * time.Second) }

func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// hdr builds a header from "Name: value" lines; repeated names add lines.
func hdr(lines ...string) http.Header {
	h := http.Header{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ":")
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h
}

func newReq(method string, lines ...string) *http.Request {
	r := httptest.NewRequest(method, "http://example.com/a", nil)
	r.Header = hdr(lines...)
	return r
}

func newRes(status int, lines ...string) *http.Response {
	return &http.Response{StatusCode: status, Header: hdr(lines...)}
}

// stored builds an entry for a GET exchange sent at 0s and received at 0s,
// whose response carries Date: t0 unless the lines set one.
func stored(lines ...string) *Entry {
	return storedWith(Options{}, 200, lines...)
}

func storedWith(opts Options, status int, lines ...string) *Entry {
	res := newRes(status, lines...)
	if res.Header.Get("Date") == "" {
		res.Header.Set("Date", httpDate(t0))
	}
	return NewEntry(Key("GET", "http", "example.com", "/a", ""), newReq("GET"), res, []byte("body"), t0, t0, opts)
}
