package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// A fresh stored response answers without the upstream, with Age and a
// Cache-Status hit; the first request says it went forward and was stored.
func TestCacheAnswersAFreshResponseWithoutTheUpstream(t *testing.T) {
	var n atomic.Int64
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprintf(w, "answer %d", n.Add(1))
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))

	res, body := h.get(t, "/pets/1")
	mustCacheStatus(t, res, map[string]string{"fwd": "uri-miss", "stored": "", "fwd-status": "200"})
	for range 3 {
		again, againBody := h.get(t, "/pets/1")
		if string(againBody) != string(body) || again.Header.Get("Age") == "" {
			t.Errorf("hit: body %q (want %q), Age %q", againBody, body, again.Header.Get("Age"))
		}
		mustCacheStatus(t, again, map[string]string{"hit": ""})
		if again.Header.Get("X-Request-Id") == res.Header.Get("X-Request-Id") {
			t.Error("a hit replayed the stored request's id")
		}
	}
	if up.Count() != 1 {
		t.Errorf("the upstream saw %d requests, want 1", up.Count())
	}
	h.get(t, "/pets/2")
	if up.Count() != 2 {
		t.Errorf("another URL did not go upstream: %d requests", up.Count())
	}
	if v, _ := metricValue(t, h.reg, "bulwark_cache_requests_total", map[string]string{"cache": "svc", "result": "hit"}); v != 3 {
		t.Errorf("bulwark_cache_requests_total{result=hit} = %v, want 3", v)
	}
	eventually(t, "the portal's stats to count the requests", func() bool {
		st, _ := h.g.Stats("svc")
		return st.Requests == 5
	})
	if st, _ := h.g.Stats("svc"); st.CacheHits != 3 || st.CacheLookups != 5 {
		t.Errorf("Stats: %d hits of %d lookups, want 3 of 5", st.CacheHits, st.CacheLookups)
	}
}

// A cache off (the default) keeps nothing and says nothing.
func TestCacheIsOffByDefault(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
	})
	h := cachedHarness(t, up, policies.Defaults())
	for range 2 {
		if res, _ := h.get(t, "/"); res.Header.Get("Cache-Status") != "" {
			t.Errorf("Cache-Status %q from a route without a cache", res.Header.Get("Cache-Status"))
		}
	}
	if up.Count() != 2 {
		t.Errorf("upstream saw %d requests, want 2", up.Count())
	}
}

// 100 concurrent misses for one key make exactly one upstream request; the
// others wait for it and share its response.
func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		<-release
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = io.WriteString(w, "the one answer")
	})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	t.Cleanup(free) // before the upstream's own Close, which waits for its handlers
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	h.client.Transport.(*http.Transport).MaxConnsPerHost = 0
	h.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 100

	const clients = 100
	var wg sync.WaitGroup
	bodies := make([]string, clients)
	for i := range clients {
		wg.Go(func() {
			res, err := h.client.Get(h.url("/hot"))
			if err != nil {
				t.Error(err)
				return
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			bodies[i] = strconv.Itoa(res.StatusCode) + " " + string(b)
		})
	}
	eventually(t, "99 requests waiting on the first", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_cache_coalesced_total", map[string]string{"cache": "svc"})
		return v == clients-1
	})
	free()
	wg.Wait()
	for i, b := range bodies {
		if b != "200 the one answer" {
			t.Errorf("client %d got %q", i, b)
		}
	}
	if up.Count() != 1 {
		t.Errorf("the upstream saw %d requests, want 1", up.Count())
	}
}

// A miss whose response may not be stored lets its waiters go upstream on
// their own rather than share a private answer.
func TestCacheCoalescedWaitersGoAloneAfterAnUnstorableResponse(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(release) }) }
	var n atomic.Int64
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 1 {
			<-release
		}
		w.Header().Set("Cache-Control", "private, max-age=60")
		fmt.Fprintf(w, "for one client only")
	})
	t.Cleanup(free)
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if res, err := h.client.Get(h.url("/me")); err == nil {
				res.Body.Close()
			}
		})
	}
	eventually(t, "4 requests waiting", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_cache_coalesced_total", map[string]string{"cache": "svc"})
		return v == 4
	})
	free()
	wg.Wait()
	if up.Count() != 5 {
		t.Errorf("the upstream saw %d requests, want 5: a private response is not shared", up.Count())
	}
}

// An unsafe method's success removes the stored response of its URI (RFC
// 9111 §4.4); the next GET goes upstream.
func TestCacheUnsafeMethodInvalidates(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	h.get(t, "/pets/1")
	h.get(t, "/pets/1")
	if up.Count() != 1 {
		t.Fatalf("not stored: %d upstream requests", up.Count())
	}
	res, _ := h.do(t, newRequest(t, http.MethodPost, h.url("/pets/1"), strings.NewReader("{}")))
	mustCacheStatus(t, res, map[string]string{"fwd": "method"})
	res, _ = h.get(t, "/pets/1")
	mustCacheStatus(t, res, map[string]string{"fwd": "uri-miss"})
	if up.Count() != 3 {
		t.Errorf("upstream saw %d requests, want 3 (GET, POST, GET after the invalidation)", up.Count())
	}
}

// A Set-Cookie is never replayed, and a response to a request with
// Authorization is not shared without public.
func TestCacheNeverSharesCredentials(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cookie":
			w.Header().Set("Cache-Control", "public, max-age=60")
			w.Header().Set("Set-Cookie", "session=for-the-first-client")
		default:
			w.Header().Set("Cache-Control", "max-age=60")
		}
		_, _ = io.WriteString(w, r.Header.Get("Authorization"))
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	h.get(t, "/cookie")
	res, _ := h.get(t, "/cookie")
	mustCacheStatus(t, res, map[string]string{"hit": ""})
	if c := res.Header.Get("Set-Cookie"); c != "" {
		t.Errorf("a hit replayed Set-Cookie %q", c)
	}
	h.get(t, "/private", "Authorization: Bearer alice")
	_, body := h.get(t, "/private", "Authorization: Bearer bob")
	if string(body) != "Bearer bob" {
		t.Errorf("bob got %q: a response to alice's credentials was shared", body)
	}
}

// A route may switch the cache on for its own requests; its service's other
// routes keep none.
func TestCacheOnOneRoute(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
	})
	var on policies.Overrides
	for _, k := range policies.Keys() {
		if k.Name == "cache.enabled" {
			k.Set(&on, true)
		}
	}
	h := newHarness(t, Config{
		Routes: []Route{{Path: "/cached", Service: "svc", Policy: on}, {Path: "/", Service: "svc"}},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	for range 2 {
		h.get(t, "/cached/x")
		h.get(t, "/other")
	}
	if got := up.ByPath(t, "/cached/x"); got.Path == "" {
		t.Fatal("never reached")
	}
	n := 0
	for _, r := range up.Requests() {
		if r.Path == "/other" {
			n++
		}
	}
	if n != 2 || up.Count() != 3 {
		t.Errorf("upstream saw %d requests (%d for /other); want 3: /cached/x once, /other twice", up.Count(), n)
	}
}

// A key-space scan never holds more than the budget.
func TestCacheStaysWithinItsBudget(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write(make([]byte, 1024))
	})
	const budget = 64 << 10
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true, "cache.max_bytes": int64(budget)}))
	for i := range 400 {
		h.get(t, fmt.Sprintf("/scan/%d", i))
		if i%50 == 49 {
			if v, _ := metricValue(t, h.reg, "bulwark_cache_bytes", map[string]string{"cache": "svc"}); v > budget {
				t.Fatalf("after %d keys the cache holds %v bytes, over its %d budget", i+1, v, budget)
			}
		}
	}
	if v, _ := metricValue(t, h.reg, "bulwark_cache_evictions_total", map[string]string{"cache": "svc"}); v == 0 {
		t.Error("400 KiB of responses in a 64 KiB cache evicted nothing")
	}
}

// A body over cache.max_entry_bytes streams through whole and is not kept.
func TestCacheDoesNotKeepAnOversizedBody(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = w.Write([]byte(strings.Repeat("x", 8<<10)))
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true, "cache.max_entry_bytes": int64(4 << 10)}))
	for range 2 {
		if _, body := h.get(t, "/big"); len(body) != 8<<10 {
			t.Fatalf("got %d bytes, want the whole 8 KiB", len(body))
		}
	}
	if up.Count() != 2 {
		t.Errorf("upstream saw %d requests, want 2: the body is over the entry limit", up.Count())
	}
}

// A reload that turns a cache off drops what it held, rather than keep it
// until a restart; one that leaves it on keeps it.
func TestCacheGoesWhenAReloadTurnsItOff(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
	})
	snap := snapshot(t, map[string][]string{"svc": {up.Addr()}})
	on := Config{Routes: []Route{{Path: "/", Service: "svc"}},
		Policies: map[string]policies.Policy{"svc": cachePolicy(t, map[string]any{"cache.enabled": true})}}
	h := newHarness(t, on, snap)
	h.get(t, "/x")
	h.g.Configure(on, snap)
	if len(h.g.caches.all()) != 1 {
		t.Fatalf("a reload that keeps the cache dropped it: %d caches", len(h.g.caches.all()))
	}
	if res, _ := h.get(t, "/x"); res.Header.Get("Age") == "" {
		t.Error("the stored response did not survive a reload that kept the cache")
	}
	h.g.Configure(Config{Routes: on.Routes, Policies: map[string]policies.Policy{"svc": cachePolicy(t, nil)}}, snap)
	if n := len(h.g.caches.all()); n != 0 {
		t.Errorf("%d caches after the reload that turned the cache off, want 0", n)
	}
	if _, ok := metricValue(t, h.reg, "bulwark_cache_bytes", map[string]string{"cache": "svc"}); ok {
		t.Error("bulwark_cache_bytes still reports the dropped cache")
	}
}

// A cache a service's Consul meta turned on goes when its meta turns it off,
// and stays through a change of its instances' health (which no longer walks
// every service and route to decide, build.go).
func TestCacheGoesWhenTheServiceLabelsTurnItOff(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
	})
	meta := func(on string) discovery.Labels {
		return discovery.Labels{Tags: []string{"bulwark.route=/"}, Meta: map[string]string{"bulwark-cache-enabled": on}}
	}
	on := labelled(t, map[string][]string{"svc": {up.Addr()}}, map[string]discovery.Labels{"svc": meta("true")})
	h := newHarness(t, Config{}, on)
	h.get(t, "/x")
	if n := len(h.g.caches.all()); n != 1 {
		t.Fatalf("%d caches with the cache on by label, want 1", n)
	}
	flapped := *on
	flapped.Services = on.Services.Set("svc", []discovery.Instance{{ID: up.Addr(), Addr: up.Addr(), Health: discovery.Warning}})
	flapped.Changed = []string{"svc"}
	h.g.Update(&flapped)
	if res, _ := h.get(t, "/x"); res.Header.Get("Age") == "" || len(h.g.caches.all()) != 1 {
		t.Fatal("a change of health alone dropped the cache")
	}
	off := flapped
	off.Labels = on.Labels.Set("svc", meta("false"))
	h.g.Update(&off)
	if n := len(h.g.caches.all()); n != 0 {
		t.Errorf("%d caches after the service's meta turned the cache off, want 0", n)
	}
}
