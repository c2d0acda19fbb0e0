package test

// The HTTP cache against the RFCs it implements, one test per section: RFC 9111
// (storing §3, Authorization §3.5, Vary §4.1, freshness §4.2, validation §4.3,
// invalidation §4.4, directives §5.2), RFC 9110 §13 (conditional requests),
// RFC 5861 (stale-while-revalidate, stale-if-error) and RFC 9211 (Cache-Status).
// Every case checks both sides: what the client got (which of the origin's
// answers, which status, which Cache-Status) and how many requests reached the
// origin. Staleness comes from the origin's Age and Date headers rather than
// from waiting, except in the one case about a response going stale by itself.

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// rfcGateway starts an origin and a gateway whose service c caches with the
// built-in settings; /ttl has default_ttl 60s and /heur the heuristic on.
func rfcGateway(t *testing.T) (*proc, *cacheOrigin) {
	t.Helper()
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(), cacheService{
		Name: "c", Policy: cacheOn(),
		Routes: []cacheRoute{
			{Path: "/"},
			{Path: "/ttl", Cache: "{enabled: true, default_ttl: 60s}"},
			{Path: "/heur", Cache: "{enabled: true, heuristic: true}"},
		},
	}))
	return gw, o
}

func TestCacheRFC9111Section3Storing(t *testing.T) {
	gw, o := rfcGateway(t)
	ranged := func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Range") != "" {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Range", "bytes 0-3/100")
			w.WriteHeader(http.StatusPartialContent)
			_, _ = w.Write([]byte(originBody(r, n)[:4]))
			return
		}
		reply(w, r, n, 200, "Cache-Control", "max-age=60")
	}
	runCacheCases(t, gw, o, "storing", []cacheCase{
		{"a response with max-age is stored and the next request is a hit with Age",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"fwd=uri-miss", "stored", "!hit"}},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=60", "ttl>=1"}},
			}},
		{"a response with no-store is never stored",
			answer(200, "Cache-Control", "no-store, max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored", "!hit"}},
				{Origin: 2, From: 2, CS: []string{"!stored", "!hit"}},
			}},
		{"a private response is never stored by a shared cache",
			answer(200, "Cache-Control", "private, max-age=60"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a request with no-store keeps its response out of the cache",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Header: []string{"Cache-Control", "no-store"}, Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit", "stored"}},
				{Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"a response with neither freshness nor validators is not reused",
			answer(200), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a POST's response is not reused for another POST",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Method: "POST", Origin: 1, From: 1},
				{Method: "POST", Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a 206 answer to a Range request is not stored, so a full GET goes to the origin",
			ranged, []step{
				{Header: []string{"Range", "bytes=0-3"}, Status: 206, Origin: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
				{Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"a response with Set-Cookie is not stored unless it is public",
			answer(200, "Cache-Control", "max-age=60", "Set-Cookie", "session=s1"), []step{
				{Origin: 1, From: 1, CS: []string{"!stored"}},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a public response with Set-Cookie is stored, but the cookie is not replayed from the cache",
			answer(200, "Cache-Control", "public, max-age=60", "Set-Cookie", "session=s1"), []step{
				{Origin: 1, From: 1, Check: headerIs("Set-Cookie", "session=s1")},
				{Origin: 1, From: 1, CS: []string{"hit"}, Check: headerIs("Set-Cookie", "")},
			}},
		{"an s-maxage response with Set-Cookie is stored, but the cookie is not replayed from the cache",
			answer(200, "Cache-Control", "s-maxage=60", "Set-Cookie", "session=s1"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit"}, Check: headerIs("Set-Cookie", "")},
			}},
		{"the query string is part of the key",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Path: "?a=1", Origin: 1, From: 1},
				{Path: "?a=2", Origin: 2, From: 2, CS: []string{"!hit"}},
				{Path: "?a=1", Origin: 2, From: 1, CS: []string{"hit"}},
				{Path: "?a=2", Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"a 304 from the origin to an unconditional request is not stored as the resource",
			byNth(answer(304, "Cache-Control", "max-age=60", "ETag", `"x"`), answer(200, "Cache-Control", "max-age=60")), []step{
				{Status: 304, Origin: 1},
				{Origin: 2, From: 2},
			}},
	})
}

func TestCacheRFC9111Section3_5Authorization(t *testing.T) {
	gw, o := rfcGateway(t)
	alice, bob := []string{"Authorization", "Bearer alice"}, []string{"Authorization", "Bearer bob"}
	stored := func() []step {
		return []step{
			{Header: alice, Origin: 1, From: 1, CS: []string{"stored"}},
			{Header: alice, Origin: 1, From: 1, CS: []string{"hit"}},
		}
	}
	runCacheCases(t, gw, o, "auth", []cacheCase{
		{"a response to a request with Authorization is not stored on max-age alone",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Header: alice, Origin: 1, From: 1, CS: []string{"!stored"}},
				{Header: bob, Origin: 2, From: 2, CS: []string{"!hit"}},
				{Origin: 3, From: 3, CS: []string{"!hit"}},
			}},
		{"public lets a response to an authorized request be stored",
			answer(200, "Cache-Control", "public, max-age=60"), stored()},
		{"s-maxage lets a response to an authorized request be stored",
			answer(200, "Cache-Control", "s-maxage=60"), stored()},
		{"must-revalidate lets a response to an authorized request be stored",
			answer(200, "Cache-Control", "must-revalidate, max-age=60"), stored()},
		{"private with Authorization is not stored even with s-maxage",
			answer(200, "Cache-Control", "private, s-maxage=60"), []step{
				{Header: alice, Origin: 1, From: 1},
				{Header: alice, Origin: 2, From: 2},
			}},
	})
}

func TestCacheRFC9111Section4_1Vary(t *testing.T) {
	gw, o := rfcGateway(t)
	en, fr := []string{"Accept-Language", "en"}, []string{"Accept-Language", "fr"}
	runCacheCases(t, gw, o, "vary", []cacheCase{
		{"Vary keeps one variant per value of the named header",
			answer(200, "Cache-Control", "max-age=60", "Vary", "Accept-Language"), []step{
				{Header: en, Origin: 1, From: 1, CS: []string{"stored"}},
				{Header: en, Origin: 1, From: 1, CS: []string{"hit"}},
				{Header: fr, Origin: 2, From: 2, CS: []string{"fwd=vary-miss"}},
				{Header: fr, Origin: 2, From: 2, CS: []string{"hit"}},
				{Header: en, Origin: 2, From: 1, CS: []string{"hit"}},
				{Origin: 3, From: 3, CS: []string{"!hit"}},
			}},
		{"Vary: * is never served from the cache",
			answer(200, "Cache-Control", "max-age=60", "Vary", "*"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"every header Vary names must match",
			answer(200, "Cache-Control", "max-age=60", "Vary", "Accept-Language, Accept"), []step{
				{Header: []string{"Accept-Language", "en", "Accept", "application/json"}, Origin: 1, From: 1},
				{Header: []string{"Accept-Language", "en", "Accept", "text/xml"}, Origin: 2, From: 2, CS: []string{"!hit"}},
				{Header: []string{"Accept-Language", "en", "Accept", "application/json"}, Origin: 2, From: 1, CS: []string{"hit"}},
			}},
		{"Vary split over two field lines counts both",
			answer(200, "Cache-Control", "max-age=60", "Vary", "Accept-Language", "Vary", "X-Mode"), []step{
				{Header: []string{"Accept-Language", "en", "X-Mode", "a"}, Origin: 1, From: 1},
				{Header: []string{"Accept-Language", "en", "X-Mode", "b"}, Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a header Vary names that the first request lacked matches only requests that lack it",
			answer(200, "Cache-Control", "max-age=60", "Vary", "X-Mode"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit"}},
				{Header: []string{"X-Mode", "a"}, Origin: 2, From: 2, CS: []string{"!hit"}},
				{Header: []string{"X-Mode", ""}, Origin: 3, From: 3, CS: []string{"!hit"}},
			}},
	})
}

func TestCacheRFC9111Section4_2Freshness(t *testing.T) {
	gw, o := rfcGateway(t)
	ageAtLeast := func(min int) func(*testing.T, response, *cacheOrigin, string) {
		return func(t *testing.T, res response, _ *cacheOrigin, _ string) {
			t.Helper()
			if age, err := strconv.Atoi(res.Header.Get("Age")); err != nil || age < min {
				t.Errorf("Age %q, want at least %d", res.Header.Get("Age"), min)
			}
		}
	}
	// Dates are computed when a request arrives, relative to real time.
	dated := func(dateOff, expiresOff time.Duration, header ...string) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			h := append([]string{"Date", httpDate(dateOff)}, header...)
			if expiresOff != 0 {
				h = append(h, "Expires", httpDate(expiresOff))
			}
			reply(w, r, n, 200, h...)
		}
	}
	runCacheCases(t, gw, o, "fresh", []cacheCase{
		{"s-maxage wins over max-age",
			answer(200, "Cache-Control", "max-age=0, s-maxage=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=60"}},
			}},
		{"s-maxage=0 makes a response with max-age stale",
			answer(200, "Cache-Control", "max-age=60, s-maxage=0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"max-age wins over Expires",
			dated(0, time.Hour, "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"Expires minus Date is the freshness lifetime",
			dated(0, 120*time.Second), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=120", "ttl>=1"}},
			}},
		{"an Expires in the past is stale",
			dated(0, -time.Hour), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"an invalid Expires (0) is in the past",
			answer(200, "Expires", "0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a Date an hour old counts against an Expires two minutes after it",
			dated(-time.Hour, -time.Hour+120*time.Second), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a Date 40s old makes the stored response 40s old",
			dated(-40*time.Second, 0, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=21"}, Check: ageAtLeast(38)},
			}},
		{"a Date 90s old makes max-age=60 stale on arrival",
			dated(-90*time.Second, 0, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"the origin's Age counts against max-age",
			answer(200, "Cache-Control", "max-age=60", "Age", "50"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=10"}, Check: ageAtLeast(50)},
			}},
		{"an Age beyond max-age is stale on arrival",
			answer(200, "Cache-Control", "max-age=60", "Age", "100"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"directive names are case-insensitive",
			answer(200, "Cache-Control", "MAX-AGE=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit"}},
			}},
		{"an invalid max-age is stale",
			answer(200, "Cache-Control", "max-age=abc"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"a fresh response goes stale after max-age and is then revalidated",
			validating(`"f1"`, "", "Cache-Control", "max-age=1"), []step{
				{Origin: 1, From: 1},
				{Until: true, Origin: 2, From: 1, CS: []string{"fwd=stale", "fwd-status=304"},
					Check: originSaw("If-None-Match", `"f1"`)},
			}},
	})
}

func TestCacheRFC9111Section4_3Validation(t *testing.T) {
	gw, o := rfcGateway(t)
	lm := httpDate(-time.Hour)
	runCacheCases(t, gw, o, "valid", []cacheCase{
		{"a stale entry with an ETag is revalidated with If-None-Match and a 304 gives the client the stored 200",
			validating(`"v1"`, "", "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 2, From: 1, CS: []string{"fwd=stale", "fwd-status=304"}, Check: originSaw("If-None-Match", `"v1"`)},
			}},
		{"a stale entry with Last-Modified is revalidated with If-Modified-Since",
			validating("", lm, "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 1, CS: []string{"fwd-status=304"}, Check: originSaw("If-Modified-Since", lm)},
			}},
		{"a weak ETag is sent back as it was received",
			validating(`W/"w1"`, "", "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 1, Check: originSaw("If-None-Match", `W/"w1"`)},
			}},
		{"a 304 freshens the stored headers",
			byNth(answer(200, "Cache-Control", "max-age=0", "ETag", `"v1"`, "X-Version", "1"),
				answer(304, "Cache-Control", "max-age=60", "ETag", `"v1"`, "X-Version", "2")), []step{
				{Origin: 1, From: 1, Check: headerIs("X-Version", "1")},
				{Origin: 2, From: 1, Check: headerIs("X-Version", "2")},
				{Origin: 2, From: 1, CS: []string{"hit"}, Check: headerIs("X-Version", "2")},
			}},
		{"a 200 on revalidation replaces the stored response",
			byNth(answer(200, "Cache-Control", "max-age=0", "ETag", `"v1"`),
				answer(200, "Cache-Control", "max-age=60", "ETag", `"v2"`)), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2},
				{Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"a client's own matching conditional on a stale entry gets the origin's 304",
			validating(`"v1"`, "", "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"v1"`}, Status: 304, Origin: 2},
			}},
		{"a client's conditional that does not match the stored entry gets the full stored 200 after a 304",
			validating(`"v1"`, "", "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"other"`}, Origin: 2, From: 1},
			}},
	})
}

func TestCacheRFC9110Section13Conditionals(t *testing.T) {
	gw, o := rfcGateway(t)
	lm := httpDate(-time.Hour)
	fresh := validating(`"a"`, lm, "Cache-Control", "max-age=60")
	runCacheCases(t, gw, o, "cond", []cacheCase{
		{"If-None-Match naming the stored ETag gets 304 from the cache",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"a"`}, Status: 304, Origin: 1, CS: []string{"hit"},
					Check: checks(headerIs("ETag", `"a"`), func(t *testing.T, res response, _ *cacheOrigin, _ string) {
						if res.Body != "" {
							t.Errorf("a 304 with a body: %q", res.Body)
						}
					})},
			}},
		{"If-None-Match compares weakly (W/\"a\" matches \"a\")",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `W/"a"`}, Status: 304, Origin: 1},
			}},
		{"If-None-Match with a list matches any member",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"x", "a"`}, Status: 304, Origin: 1},
			}},
		{"If-None-Match: * matches a stored representation",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `*`}, Status: 304, Origin: 1},
			}},
		{"If-None-Match naming another ETag gets the stored 200",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"b"`}, Origin: 1, From: 1, CS: []string{"hit"}},
			}},
		{"If-Modified-Since at Last-Modified gets 304 from the cache",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-Modified-Since", lm}, Status: 304, Origin: 1},
			}},
		{"If-Modified-Since before Last-Modified gets the stored 200",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-Modified-Since", httpDate(-48 * time.Hour)}, Origin: 1, From: 1},
			}},
		{"If-None-Match takes precedence over If-Modified-Since",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-None-Match", `"b"`, "If-Modified-Since", httpDate(0)}, Origin: 1, From: 1},
			}},
		{"an invalid If-Modified-Since is ignored",
			fresh, []step{
				{Origin: 1, From: 1},
				{Header: []string{"If-Modified-Since", "yesterday"}, Origin: 1, From: 1},
			}},
		{"a HEAD is answered from the GET's entry, without a body",
			fresh, []step{
				{Origin: 1, From: 1},
				{Method: "HEAD", Origin: 1, CS: []string{"hit"}, Check: func(t *testing.T, res response, _ *cacheOrigin, _ string) {
					if res.Body != "" {
						t.Errorf("HEAD answered with a body %q", res.Body)
					}
					if res.Header.Get("ETag") != `"a"` {
						t.Errorf("HEAD's ETag %q, want the GET's", res.Header.Get("ETag"))
					}
				}},
			}},
	})
}

func TestCacheRFC9111Section4_4Invalidation(t *testing.T) {
	gw, o := rfcGateway(t)
	// GET answers are fresh for a minute; an unsafe method's answer is 200,
	// with Location or Content-Location pointing at the folder's "item".
	unsafe := func(field, where string) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Method == "GET" || r.Method == "HEAD" {
				reply(w, r, n, 200, "Cache-Control", "max-age=60", "Vary", "Accept-Language")
				return
			}
			dir := folder(r.URL.Path)
			var h []string
			switch where {
			case "relative":
				h = []string{field, dir + "item"}
			case "same host":
				h = []string{field, "http://" + r.Header.Get("X-Forwarded-Host") + dir + "item"}
			case "other host":
				h = []string{field, "http://other.example" + dir + "item"}
			}
			reply(w, r, n, 200, h...)
		}
	}
	invalidates := func(method string) cacheCase {
		return cacheCase{"a " + method + " answered 200 invalidates the stored GET of its URI",
			unsafe("", ""), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit"}},
				{Method: method, Origin: 2},
				{Origin: 3, From: 3, CS: []string{"!hit"}},
			}}
	}
	item := func(invalidated bool) []step {
		after := step{Path: "item", Origin: 3, From: 3, CS: []string{"!hit"}}
		if !invalidated {
			after = step{Path: "item", Origin: 2, From: 1, CS: []string{"hit"}}
		}
		return []step{
			{Path: "item", Origin: 1, From: 1},
			{Method: "POST", Path: "coll", Origin: 2},
			after,
		}
	}
	runCacheCases(t, gw, o, "inval", []cacheCase{
		invalidates("POST"), invalidates("PUT"), invalidates("DELETE"), invalidates("PATCH"),
		{"a relative Location on the same host is invalidated", unsafe("Location", "relative"), item(true)},
		{"an absolute Content-Location on the same host is invalidated", unsafe("Content-Location", "same host"), item(true)},
		{"a Location on another host is not invalidated", unsafe("Location", "other host"), item(false)},
		{"every Vary variant of the URI is invalidated",
			unsafe("", ""), []step{
				{Header: []string{"Accept-Language", "en"}, Origin: 1, From: 1},
				{Header: []string{"Accept-Language", "fr"}, Origin: 2, From: 2},
				{Method: "DELETE", Origin: 3},
				{Header: []string{"Accept-Language", "en"}, Origin: 4, From: 4, CS: []string{"!hit"}},
				{Header: []string{"Accept-Language", "fr"}, Origin: 5, From: 5, CS: []string{"!hit"}},
			}},
		{"an unsafe method on a URI with a query invalidates that URI",
			unsafe("", ""), []step{
				{Path: "?q=1", Origin: 1, From: 1},
				{Method: "PUT", Path: "?q=1", Origin: 2},
				{Path: "?q=1", Origin: 3, From: 3},
			}},
	})
}
