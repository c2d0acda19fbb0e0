package gateway

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/httpcache"
)

// FuzzRangeAnswer sends hostile Range, If-Range and precondition fields to
// the answer a stored response gives (writeEntry), and checks what must hold
// whatever they are:
//   - the answer is 200, 206, 304 or 416: a cache evaluates no precondition
//     meant for the origin, so never 412 (RFC 9111 §4.3.2);
//   - a 416 carries none of the stored response's freshness or validators,
//     which a cache in front would take for the URL's (the range is in no key);
//   - a 200 is the stored body whole; a 206 has as many bytes as it says;
//   - the case of the unit "bytes" changes nothing (RFC 9110 §14.1).
//
// It would have found each of the three faults a review found in the first
// version of the range answers.
func FuzzRangeAnswer(f *testing.F) {
	for _, seed := range [][4]string{
		{"bytes=0-3", "", "", ""},
		{"BYTES=0-3", "", "", ""},
		{"bytes=999999-", "", "", ""},
		{"bytes=0-1,4-5", `"e1"`, "", ""},
		{"bytes=-5", "", `"other"`, ""},
		{"bytes=2-", "", "", "Mon, 02 Jan 2006 15:04:05 GMT"},
		{"items=0-3", "", "", ""},
		{"bytes=0-0,0-0,0-0", `W/"e1"`, "*", ""},
		{"bytes=5-2", "Mon, 02 Jan 2006 15:04:05 GMT", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	body := []byte(strings.Repeat("0123456789", 10))
	res := &http.Response{StatusCode: 200, Header: http.Header{
		"Cache-Control":     {"max-age=600"},
		"Cdn-Cache-Control": {"max-age=600"},
		"Expires":           {time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)},
		"Etag":              {`"e1"`},
		"Last-Modified":     {"Mon, 02 Jan 2006 15:04:05 GMT"},
		"Content-Type":      {"text/plain"},
	}}
	now := time.Now()
	e := httpcache.NewEntry("k", httptest.NewRequest("GET", "/r", nil), res, body, now, now, httpcache.Options{})
	answer := func(rng, ifRange, ifMatch, ifUnmodified string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/r", nil)
		for k, v := range map[string]string{"Range": rng, "If-Range": ifRange, "If-Match": ifMatch, "If-Unmodified-Since": ifUnmodified} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		writeEntry(w, r, r.Header, &exchange{requestID: "id"}, e, httpcache.CacheStatus{Hit: true})
		return w
	}
	f.Fuzz(func(t *testing.T, rng, ifRange, ifMatch, ifUnmodified string) {
		w := answer(rng, ifRange, ifMatch, ifUnmodified)
		switch w.Code {
		case 200:
			if w.Body.String() != string(body) {
				t.Fatalf("Range %q: a 200 with body %q, not the stored one", rng, w.Body)
			}
		case 206:
			if n, err := strconv.Atoi(w.Header().Get("Content-Length")); err != nil || n != w.Body.Len() {
				t.Fatalf("Range %q: a 206 of %d bytes says Content-Length %q", rng, w.Body.Len(), w.Header().Get("Content-Length"))
			}
		case 416:
			for _, k := range []string{"Cache-Control", "Cdn-Cache-Control", "Expires", "Etag", "Last-Modified"} {
				if v, ok := w.Header()[k]; ok {
					t.Fatalf("Range %q: the 416 carries the stored %s %q", rng, k, v)
				}
			}
		default:
			t.Fatalf("Range %q, If-Range %q, If-Match %q, If-Unmodified-Since %q: status %d", rng, ifRange, ifMatch, ifUnmodified, w.Code)
		}
		if len(rng) >= 6 && strings.EqualFold(rng[:6], "bytes=") {
			for _, unit := range []string{"bytes=", "BYTES=", "Bytes="} {
				if o := answer(unit+rng[6:], ifRange, ifMatch, ifUnmodified); o.Code != w.Code || o.Body.String() != w.Body.String() && o.Code != 206 {
					t.Fatalf("Range %q gives %d, %q gives %d", rng, w.Code, unit+rng[6:], o.Code)
				}
			}
		}
	})
}
