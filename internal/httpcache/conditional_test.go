package httpcache

import (
	"net/http"
	"testing"
)

func TestRFC9110_13_2_2_Precedence(t *testing.T) {
	lm := "Last-Modified: " + httpDate(at(-100))
	tests := []struct {
		name     string
		method   string
		status   int
		stored   []string
		reqLines []string
		want     bool
	}{
		// §13.1.2: If-None-Match uses weak comparison; "*" matches any current representation.
		{"matching strong tag", "GET", 200, []string{`Etag: "a"`}, []string{`If-None-Match: "a"`}, true},
		{"weak against strong", "GET", 200, []string{`Etag: "a"`}, []string{`If-None-Match: W/"a"`}, true},
		{"strong against weak", "GET", 200, []string{`Etag: W/"a"`}, []string{`If-None-Match: "a"`}, true},
		{"one of a list", "GET", 200, []string{`Etag: "b"`}, []string{`If-None-Match: "a", "b"`}, true},
		{"a list across lines", "GET", 200, []string{`Etag: "b"`}, []string{`If-None-Match: "a"`, `If-None-Match: "b"`}, true},
		{"star", "GET", 200, []string{`Etag: "a"`}, []string{"If-None-Match: *"}, true},
		{"no match", "GET", 200, []string{`Etag: "a"`}, []string{`If-None-Match: "z"`}, false},
		{"no stored tag", "GET", 200, []string{lm}, []string{`If-None-Match: "a"`}, false},
		// §13.2.2 step 3/4: If-Modified-Since is evaluated only without If-None-Match.
		{"If-None-Match failing overrides a passing IMS", "GET", 200, []string{`Etag: "a"`, lm},
			[]string{`If-None-Match: "z"`, "If-Modified-Since: " + httpDate(at(0))}, false},
		{"IMS not modified", "GET", 200, []string{lm}, []string{"If-Modified-Since: " + httpDate(at(-100))}, true},
		{"IMS modified", "GET", 200, []string{lm}, []string{"If-Modified-Since: " + httpDate(at(-200))}, false},
		{"IMS unparseable is ignored", "GET", 200, []string{lm}, []string{"If-Modified-Since: yesterday"}, false},
		// RFC 9111 §4.3.2: without Last-Modified, the cache uses Date.
		{"IMS against Date", "GET", 200, nil, []string{"If-Modified-Since: " + httpDate(at(10))}, true},
		{"IMS before Date", "GET", 200, nil, []string{"If-Modified-Since: " + httpDate(at(-10))}, false},
		// §13.1.3: If-Modified-Since applies to GET and HEAD only.
		{"HEAD", "HEAD", 200, []string{`Etag: "a"`}, []string{`If-None-Match: "a"`}, true},
		{"POST", "POST", 200, []string{`Etag: "a"`}, []string{`If-None-Match: "a"`}, false},
		// A 304 stands for a 200; other stored statuses are sent whole.
		{"a stored 404", "GET", 404, []string{`Etag: "a"`}, []string{`If-None-Match: "a"`}, false},
		{"no conditional", "GET", 200, []string{`Etag: "a"`}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := storedWith(Options{}, tt.status, append(tt.stored, "Cache-Control: max-age=60")...)
			if got := NotModified(newReq(tt.method, tt.reqLines...), e); got != tt.want {
				t.Errorf("NotModified = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRFC9110_15_4_5_NotModifiedHeader(t *testing.T) {
	e := stored("Cache-Control: max-age=60", `Etag: "a"`, "Vary: Accept", "Content-Type: text/plain", "X-Other: 1")
	h := NotModifiedHeader(e, at(3))
	// §15.4.5 MUST send the fields a 200 would have carried among these.
	for _, f := range []string{"Cache-Control", "Etag", "Vary", "Date", "Age"} {
		if h.Get(f) == "" {
			t.Errorf("%s missing from the 304", f)
		}
	}
	// SHOULD NOT send other representation metadata.
	for _, f := range []string{"Content-Type", "X-Other"} {
		if _, ok := h[http.CanonicalHeaderKey(f)]; ok {
			t.Errorf("%s sent with the 304", f)
		}
	}
}
