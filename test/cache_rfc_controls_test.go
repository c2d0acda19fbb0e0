package test

// The cache against RFC 9111 §5.2 (request and response directives), the
// opt-in freshness keys, RFC 5861 and RFC 9211, and its admin API and
// metrics: the second half of cache_rfc_test.go's tables.

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCacheRFC9111Section5_2Directives(t *testing.T) {
	gw, o := rfcGateway(t)
	cc := func(v string) []string { return []string{"Cache-Control", v} }
	runCacheCases(t, gw, o, "dir", []cacheCase{
		{"request max-age=0 goes to the origin",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-age=0"), Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"request max-age below the stored age goes to the origin; above it is a hit",
			answer(200, "Cache-Control", "max-age=600", "Age", "30"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-age=10"), Origin: 2, From: 2, CS: []string{"!hit"}},
				{Header: cc("max-age=100"), Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"request no-cache goes to the origin and says fwd=request",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1},
				{Header: cc("no-cache"), Origin: 2, From: 2, CS: []string{"fwd=request"}},
			}},
		{"only-if-cached with nothing stored is 504 without an origin request",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Header: cc("only-if-cached"), Status: 504, Origin: 0},
				{Origin: 1, From: 1},
				{Header: cc("only-if-cached"), Origin: 1, From: 1, CS: []string{"hit"}},
			}},
		{"max-stale accepts a stale entry within its bound, and not beyond it",
			validating(`"s"`, "", "Cache-Control", "max-age=60", "Age", "70"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-stale=60"), Origin: 1, From: 1},
				{Header: cc("max-stale"), Origin: 1, From: 1},
				{Header: cc("max-stale=5"), Origin: 2, From: 1},
			}},
		{"must-revalidate forbids serving stale even to max-stale",
			validating(`"s"`, "", "Cache-Control", "max-age=60, must-revalidate", "Age", "70"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-stale=600"), Origin: 2, From: 1},
			}},
		{"proxy-revalidate forbids a shared cache to serve stale to max-stale",
			validating(`"s"`, "", "Cache-Control", "max-age=60, proxy-revalidate", "Age", "70"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-stale=600"), Origin: 2, From: 1},
			}},
		{"s-maxage forbids a shared cache to serve stale to max-stale",
			validating(`"s"`, "", "Cache-Control", "s-maxage=60", "Age", "70"), []step{
				{Origin: 1, From: 1},
				{Header: cc("max-stale=600"), Origin: 2, From: 1},
			}},
		{"min-fresh within the remaining freshness is a hit; beyond it goes to the origin",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, From: 1},
				{Header: cc("min-fresh=30"), Origin: 1, From: 1, CS: []string{"hit"}},
				{Header: cc("min-fresh=120"), Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"response no-cache is stored but revalidated on every request",
			validating(`"nc"`, "", "Cache-Control", "no-cache, max-age=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 1, CS: []string{"!hit"}, Check: originSaw("If-None-Match", `"nc"`)},
				{Origin: 3, From: 1, CS: []string{"!hit"}},
			}},
		{"response no-cache without a validator is fetched again every time",
			answer(200, "Cache-Control", "no-cache, max-age=60"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
	})
}

func TestCacheOptInFreshness(t *testing.T) {
	gw, o := rfcGateway(t)
	old := httpDate(-10 * 24 * time.Hour)
	runCacheCases(t, gw, o, "ttl", []cacheCase{
		{"default_ttl makes a response with no freshness and no validators fresh",
			answer(200), []step{
				{Origin: 1, From: 1, CS: []string{"stored"}},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=60"}},
			}},
		{"default_ttl does not apply to a response with a validator",
			validating(`"t"`, ""), []step{
				{Origin: 1, From: 1},
				{Origin: 2, CS: []string{"!hit"}},
			}},
		{"default_ttl does not apply where Cache-Control gives a lifetime",
			answer(200, "Cache-Control", "max-age=0"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2, CS: []string{"!hit"}},
			}},
		{"default_ttl does not override no-store",
			answer(200, "Cache-Control", "no-store"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2},
			}},
	})
	runCacheCases(t, gw, o, "heur", []cacheCase{
		{"the heuristic gives a tenth of Last-Modified's age as freshness",
			answer(200, "Last-Modified", old), []step{
				{Origin: 1, From: 1},
				{Origin: 1, From: 1, CS: []string{"hit", "ttl<=86401", "ttl>=80000"}},
			}},
		{"the heuristic does not apply to a status that is not heuristically cacheable",
			answer(201, "Last-Modified", old), []step{
				{Status: 201, Origin: 1, From: 1},
				{Status: 201, Origin: 2, From: 2},
			}},
	})
	runCacheCases(t, gw, o, "noheur", []cacheCase{
		{"without the heuristic a response with only Last-Modified is revalidated",
			validating("", old), []step{
				{Origin: 1, From: 1},
				{Origin: 2, CS: []string{"!hit"}},
			}},
	})
}

func TestCacheRFC5861StaleControls(t *testing.T) {
	gw, o := rfcGateway(t)
	runCacheCases(t, gw, o, "5861", []cacheCase{
		{"stale-while-revalidate serves the stale response and refreshes in the background",
			byNth(answer(200, "Cache-Control", "max-age=1, stale-while-revalidate=600", "Age", "2"),
				answer(200, "Cache-Control", "max-age=600")), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 1, Eventually: true},
				{Until: true, Origin: 2, From: 2, CS: []string{"hit"}},
			}},
		{"past the stale-while-revalidate window the request waits for the origin",
			answer(200, "Cache-Control", "max-age=1, stale-while-revalidate=5", "Age", "100"), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 2},
			}},
		{"stale-if-error serves the stale response in place of a 500",
			byNth(answer(200, "Cache-Control", "max-age=1, stale-if-error=600", "Age", "2"), answer(500)), []step{
				{Origin: 1, From: 1},
				{Origin: 2, From: 1, CS: []string{"fwd=stale", "fwd-status=500", "detail=stale-if-error/status"}},
			}},
		{"past the stale-if-error window the 500 goes to the client",
			byNth(answer(200, "Cache-Control", "max-age=1, stale-if-error=5", "Age", "100"), answer(500)), []step{
				{Origin: 1, From: 1},
				{Status: 500, Origin: 2, From: 2},
			}},
		{"stale-if-error does not replace a 404",
			byNth(answer(200, "Cache-Control", "max-age=1, stale-if-error=600", "Age", "2"), answer(404)), []step{
				{Origin: 1, From: 1},
				{Status: 404, Origin: 2, From: 2},
			}},
	})
}

func TestCacheRFC9211CacheStatus(t *testing.T) {
	gw, o := rfcGateway(t)
	runCacheCases(t, gw, o, "status", []cacheCase{
		{"a miss that is stored, then a hit with a ttl",
			answer(200, "Cache-Control", "max-age=60"), []step{
				{Origin: 1, CS: []string{"fwd=uri-miss", "stored", "!hit"}},
				{Origin: 1, CS: []string{"hit", "ttl>=1", "ttl<=60", "!fwd"}},
			}},
		{"a miss that is not stored says so",
			answer(200, "Cache-Control", "no-store"), []step{
				{Origin: 1, CS: []string{"fwd=uri-miss", "!stored"}},
			}},
		{"an upstream's Cache-Status is kept, with bulwark's member after it",
			answer(200, "Cache-Control", "max-age=60", "Cache-Status", `OriginCache; hit; ttl=30`), []step{
				{Origin: 1, CS: []string{"fwd"}, Check: func(t *testing.T, res response, _ *cacheOrigin, _ string) {
					ms := parseCacheStatus(res.Header)
					if len(ms) != 2 || ms[0].Name != "OriginCache" || !ms[0].has("hit") {
						t.Errorf("Cache-Status %q: want the origin's member first, then bulwark's", res.Header.Values("Cache-Status"))
					}
				}},
			}},
		{"a POST through a cached route carries Cache-Status",
			answer(200), []step{
				{Method: "POST", Origin: 1, CS: []string{"fwd"}},
			}},
		{"a 304 answered from the cache carries Cache-Status hit",
			validating(`"a"`, "", "Cache-Control", "max-age=60"), []step{
				{Origin: 1},
				{Header: []string{"If-None-Match", `"a"`}, Status: 304, Origin: 1, CS: []string{"hit"}},
			}},
		{"a revalidation says fwd=stale and the origin's 304",
			validating(`"a"`, "", "Cache-Control", "max-age=0"), []step{
				{Origin: 1},
				{Origin: 2, CS: []string{"fwd=stale", "fwd-status=304"}},
			}},
	})
}

func TestCacheAdminAPIAndMetrics(t *testing.T) {
	gw, o := rfcGateway(t)
	c := newClient(t)
	get := func(path string, header ...string) response {
		t.Helper()
		return do(t, c, "GET", gw.url(path), nil, header...)
	}
	// Store: /admin/1/a, /admin/1/b, /admin/2/a, /admin/2/b; tagged ones in /admin/3/.
	o.script("/admin/3/", func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/sk"):
			reply(w, r, n, 200, "Cache-Control", "max-age=60", "Surrogate-Key", "dogs pets")
		case strings.HasSuffix(r.URL.Path, "/ct"):
			reply(w, r, n, 200, "Cache-Control", "max-age=60", "Cache-Tag", "cats,pets")
		default:
			reply(w, r, n, 200, "Cache-Control", "max-age=60", "Surrogate-Key", "birds")
		}
	})
	paths := []string{"/admin/1/a", "/admin/1/b", "/admin/2/a", "/admin/2/b", "/admin/3/sk", "/admin/3/ct", "/admin/3/other"}
	for _, p := range paths {
		get(p)
		if res := get(p); !isHit(res.Header) {
			t.Fatalf("%s was not stored: Cache-Status %q", p, res.Header.Values("Cache-Status"))
		}
	}
	hitNow := func(p string) bool { return isHit(get(p).Header) }

	t.Run("the metrics count hits and misses and the cache's bytes, by the service's name", func(t *testing.T) {
		m := metrics(t, c, gw)
		if v, ok := labelledMetric(m, "bulwark_cache_requests_total", "cache", "c", "result", "hit"); !ok || v < float64(len(paths)) {
			t.Errorf("bulwark_cache_requests_total{cache=c,result=hit} = %v (found %v), want ≥ %d", v, ok, len(paths))
		}
		if v, ok := labelledMetric(m, "bulwark_cache_requests_total", "cache", "c", "result", "miss"); !ok || v < float64(len(paths)) {
			t.Errorf("bulwark_cache_requests_total{cache=c,result=miss} = %v (found %v), want ≥ %d", v, ok, len(paths))
		}
		if v, ok := labelledMetric(m, "bulwark_cache_bytes", "cache", "c"); !ok || v <= 0 || v > 64<<20 {
			t.Errorf("bulwark_cache_bytes{cache=c} = %v (found %v), want within (0, 64MiB]", v, ok)
		}
		for _, name := range []string{"bulwark_cache_evictions_total", "bulwark_cache_coalesced_total"} {
			if _, ok := labelledMetric(m, name, "cache", "c"); !ok {
				t.Errorf("no %s{cache=\"c\"} series", name)
			}
		}
	})

	t.Run("GET /api/v1/caches needs the token and lists the cache's entries", func(t *testing.T) {
		if res := do(t, c, "GET", gw.adminURL("/api/v1/caches"), nil); res.Status != 401 {
			t.Errorf("without a token: %d, want 401", res.Status)
		}
		res := do(t, c, "GET", gw.adminURL("/api/v1/caches"), nil, "Authorization", "Bearer "+adminToken)
		if res.Status != 200 {
			t.Fatalf("GET /api/v1/caches: %d %s", res.Status, res.Body)
		}
		var v any
		if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, res.Body)
		}
		for _, want := range []string{`"c"`, "entries", "bytes", "hits", "misses"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("the caches view does not mention %s:\n%s", want, res.Body)
			}
		}
	})

	t.Run("a purge without the token is refused and purges nothing", func(t *testing.T) {
		if st, _ := purge(t, c, gw, `{"prefix":"/admin/"}`, ""); st != 401 {
			t.Errorf("purge without a token: %d, want 401", st)
		}
		if st, _ := purge(t, c, gw, `{"prefix":"/admin/"}`, "wrong"); st != 401 && st != 403 {
			t.Errorf("purge with a wrong token: %d, want 401 or 403", st)
		}
		if !hitNow("/admin/1/a") {
			t.Error("/admin/1/a is gone after refused purges")
		}
	})

	// The contract says writes need "the token"; the admin API's other
	// writes (breakers) take the write token. Use whichever the gateway takes.
	token := adminToken
	if st, _ := purge(t, c, gw, `{"url":"http://`+gw.ports.HTTP+`/admin/none"}`, adminToken); st == 401 || st == 403 {
		t.Logf("purge refuses the admin token (%d); using the write token", st)
		token = cacheWriteToken
	}

	t.Run("a purge by URL removes that URL only", func(t *testing.T) {
		st, n := purge(t, c, gw, `{"url":"http://`+gw.ports.HTTP+`/admin/1/a"}`, token)
		if st != 200 || n != 1 {
			t.Errorf("purge url: status %d purged %d, want 200 and 1", st, n)
		}
		if hitNow("/admin/1/a") {
			t.Error("/admin/1/a is still a hit after its purge")
		}
		if !hitNow("/admin/1/b") {
			t.Error("/admin/1/b was purged with /admin/1/a")
		}
	})

	t.Run("a purge by prefix removes everything under it", func(t *testing.T) {
		st, n := purge(t, c, gw, `{"prefix":"/admin/2/"}`, token)
		if st != 200 || n != 2 {
			t.Errorf("purge prefix: status %d purged %d, want 200 and 2", st, n)
		}
		if hitNow("/admin/2/a") || hitNow("/admin/2/b") {
			t.Error("an entry under /admin/2/ is still a hit after the purge")
		}
		if !hitNow("/admin/1/b") {
			t.Error("/admin/1/b was purged by the /admin/2/ prefix")
		}
	})

	t.Run("a purge by tag removes Surrogate-Key and Cache-Tag entries with that tag", func(t *testing.T) {
		st, n := purge(t, c, gw, `{"tag":"pets"}`, token)
		if st != 200 || n != 2 {
			t.Errorf("purge tag: status %d purged %d, want 200 and 2", st, n)
		}
		if hitNow("/admin/3/sk") || hitNow("/admin/3/ct") {
			t.Error("an entry tagged pets is still a hit after the purge")
		}
		if !hitNow("/admin/3/other") {
			t.Error("an entry tagged birds was purged by tag pets")
		}
	})
}
