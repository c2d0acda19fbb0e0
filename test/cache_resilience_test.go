package test

// The HTTP cache under concurrency and failure: concurrent misses coalesce into
// one origin request, stale-while-revalidate refreshes once, a stale response
// stands in for a failing origin (and says why in Cache-Status) but never for a
// real answer such as 404, never where must-revalidate forbids it, and the
// cache stays within its byte budget.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// gate holds origin handlers until it is opened (or the origin is cleaned up,
// or the request goes away).
type gate struct {
	ch   chan struct{}
	once sync.Once
}

func newGate(t *testing.T) *gate {
	g := &gate{ch: make(chan struct{})}
	t.Cleanup(g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// wait blocks the handler until the gate opens; false if the request ended first.
func (g *gate) wait(o *cacheOrigin, r *http.Request) bool {
	select {
	case <-g.ch:
		return true
	case <-o.release:
		return false
	case <-r.Context().Done():
		return false
	}
}

// longClient is a client whose requests may wait on a gate for a while.
func longClient(t *testing.T) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 128, DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// concurrently sends n GETs at once and returns their responses (a transport
// error is a response with Status 0 and the error as Body).
func concurrently(c *http.Client, n int, url string, header ...string) []response {
	out := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res, err := tryDo(c, "GET", url, nil, header...)
			if err != nil {
				res = response{Body: err.Error()}
			}
			out[i] = res
		})
	}
	wg.Wait()
	return out
}

func TestCacheCoalescesConcurrentMisses(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(),
		cacheService{Name: "co", Policy: cacheOn("lock_timeout: 30s"), Routes: []cacheRoute{{Path: "/co"}}},
		cacheService{Name: "lt", Policy: cacheOn("lock_timeout: 500ms"), Routes: []cacheRoute{{Path: "/lt"}}},
	))
	c := longClient(t)
	coalesced := func(t *testing.T) float64 {
		v, _ := labelledMetric(metrics(t, c, gw), "bulwark_cache_coalesced_total", "cache", "co")
		return v
	}

	t.Run("100 concurrent misses for one key make exactly one origin request and share its response", func(t *testing.T) {
		g := newGate(t)
		o.script("/co/1/", func(w http.ResponseWriter, r *http.Request, n int) {
			if g.wait(o, r) {
				reply(w, r, n, 200, "Cache-Control", "max-age=60")
			}
		})
		before := coalesced(t)
		var results []response
		done := make(chan struct{})
		go func() {
			defer close(done)
			results = concurrently(c, 100, gw.url("/co/1/r"))
		}()
		// Open the gate once the other 99 are waiting for the leader (or
		// have gone to the origin themselves, or after a bounded wait).
		eventually(10*time.Second, func() bool { return coalesced(t)-before >= 99 || o.count("/co/1/") > 1 })
		g.open()
		<-done
		if n := o.count("/co/1/"); n != 1 {
			t.Errorf("the origin received %d requests for one key, want 1", n)
		}
		bad := 0
		for _, res := range results {
			if res.Status != 200 || !strings.HasPrefix(res.Body, "n=1 ") {
				bad++
				if bad <= 3 {
					t.Errorf("a client got %d %q, want 200 and the origin's one answer", res.Status, res.Body)
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d of 100 clients did not get the shared answer", bad)
		}
		if got := coalesced(t) - before; got < 99 {
			t.Errorf("bulwark_cache_coalesced_total{cache=co} grew by %v, want at least 99", got)
		}
	})

	t.Run("when the leader's response is not storable the waiters go to the origin themselves", func(t *testing.T) {
		g := newGate(t)
		o.script("/co/2/", func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 && !g.wait(o, r) {
				return
			}
			reply(w, r, n, 200, "Cache-Control", "private, max-age=60")
		})
		before := coalesced(t)
		var results []response
		done := make(chan struct{})
		go func() {
			defer close(done)
			results = concurrently(c, 20, gw.url("/co/2/r"))
		}()
		eventually(10*time.Second, func() bool { return coalesced(t)-before >= 19 || o.count("/co/2/") >= 20 })
		g.open()
		<-done
		seen := map[string]int{}
		for _, res := range results {
			if res.Status != 200 {
				t.Errorf("a client got %d %q, want 200", res.Status, res.Body)
				continue
			}
			n, _, _ := strings.Cut(res.Body, " ")
			seen[n]++
		}
		for n, k := range seen {
			if k > 1 {
				t.Errorf("%d clients got the same private answer %s; a response that may not be stored must not be shared", k, n)
			}
		}
		if n := o.count("/co/2/"); n != 20 {
			t.Errorf("the origin received %d requests, want 20 (one per client)", n)
		}
	})

	t.Run("lock_timeout bounds the wait for a leader that hangs", func(t *testing.T) {
		g := newGate(t)
		o.script("/lt/1/", func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 && !g.wait(o, r) {
				return
			}
			reply(w, r, n, 200, "Cache-Control", "max-age=60")
		})
		leader := make(chan response, 1)
		go func() {
			res, err := tryDo(c, "GET", gw.url("/lt/1/r"), nil)
			if err != nil {
				res = response{Body: err.Error()}
			}
			leader <- res
		}()
		if !eventually(5*time.Second, func() bool { return o.count("/lt/1/") >= 1 }) {
			t.Fatal("the leader's request never reached the origin")
		}
		for i, res := range concurrently(c, 5, gw.url("/lt/1/r")) {
			if res.Status != 200 || strings.HasPrefix(res.Body, "n=1 ") {
				t.Errorf("waiter %d got %d %q while the leader hangs; want 200 from its own origin request", i, res.Status, res.Body)
			}
		}
		select {
		case res := <-leader:
			t.Errorf("the leader finished (%d %q) before its origin request was let go", res.Status, res.Body)
		default:
		}
		g.open()
		if res := <-leader; res.Status != 200 {
			t.Errorf("the leader got %d %q", res.Status, res.Body)
		}
	})
}

func TestCacheStaleWhileRevalidateRefreshesOncePerKey(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(), cacheService{Name: "c", Policy: cacheOn(), Routes: []cacheRoute{{Path: "/"}}}))
	c := longClient(t)
	g := newGate(t)
	o.script("/swr/1/", func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			reply(w, r, n, 200, "Cache-Control", "max-age=1, stale-while-revalidate=600", "Age", "2")
			return
		}
		if g.wait(o, r) {
			reply(w, r, n, 200, "Cache-Control", "max-age=600")
		}
	})
	url := gw.url("/swr/1/r")
	if res := do(t, c, "GET", url, nil); res.Status != 200 || o.count("/swr/1/") != 1 {
		t.Fatalf("first GET: %d %q, origin count %d", res.Status, res.Body, o.count("/swr/1/"))
	}
	// The stored response is stale on arrival but within its
	// stale-while-revalidate window: every request is answered with it at
	// once, while the single refresh hangs at the origin.
	quick := newClient(t) // a stale answer comes at once: no need to wait on the refresh
	for round := range 3 {
		for i, res := range concurrently(quick, 20, url) {
			if res.Status != 200 || !strings.HasPrefix(res.Body, "n=1 ") {
				t.Errorf("round %d, client %d: %d %q, want the stale n=1 at once", round, i, res.Status, res.Body)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		if round == 0 && !eventually(5*time.Second, func() bool { return o.count("/swr/1/") >= 2 }) {
			t.Error("no background refresh reached the origin")
		}
	}
	if n := o.count("/swr/1/"); n != 2 {
		t.Errorf("the origin received %d requests, want 2 (the first and ONE background refresh)", n)
	}
	g.open()
	if !eventually(5*time.Second, func() bool {
		res := do(t, c, "GET", url, nil)
		return strings.HasPrefix(res.Body, "n=2 ") && isHit(res.Header)
	}) {
		t.Error("the refreshed response never replaced the stale one")
	}
	if n := o.count("/swr/1/"); n != 2 {
		t.Errorf("after the refresh the origin has received %d requests, want 2", n)
	}
}

func TestCacheServesStaleInPlaceOfFailures(t *testing.T) {
	o := newCacheOrigin(t)
	downOrigin := newCacheOrigin(t)
	window := "serve_stale_on_error: 30s"
	gw := startServe(t, renderCacheConfig(o.Addr(),
		cacheService{Name: "win", Policy: cacheOn(window), Routes: []cacheRoute{{Path: "/win"}}},
		cacheService{Name: "down", Policy: cacheOn(window), Routes: []cacheRoute{{Path: "/down"}}, Addr: downOrigin.Addr()},
		cacheService{Name: "to", Policy: "timeout: 1s\n" + cacheOn(window), Routes: []cacheRoute{{Path: "/to"}}},
		cacheService{Name: "brk", Policy: "breaker: {failures: 1000}\n" + cacheOn(window), Routes: []cacheRoute{{Path: "/brk"}}},
		cacheService{Name: "bh", Policy: "bulkhead: {max_concurrent: 1, max_queue: 0}\n" + cacheOn(window), Routes: []cacheRoute{{Path: "/bh"}}},
	))
	c := longClient(t)
	// staleThen stores a response that is stale on arrival (Age 2, max-age=1:
	// within the 30s window), then answers every later request with later.
	staleThen := func(cc string, later originScript) originScript {
		return byNth(answer(200, "Cache-Control", cc, "Age", "2"), later)
	}
	store := func(t *testing.T, dir string) {
		t.Helper()
		if res := do(t, c, "GET", gw.url(dir+"r"), nil); res.Status != 200 || !strings.HasPrefix(res.Body, "n=1 ") {
			t.Fatalf("storing %s: %d %q", dir, res.Status, res.Body)
		}
	}
	servedStale := func(t *testing.T, dir, detail string, extra ...string) {
		t.Helper()
		res := do(t, c, "GET", gw.url(dir+"r"), nil)
		if res.Status != 200 || !strings.HasPrefix(res.Body, "n=1 ") {
			t.Errorf("GET %s: %d %q; want the stored n=1 in place of the failure", dir, res.Status, res.Body)
		}
		checkCS(t, res.Header, append([]string{"detail=" + detail}, extra...)...)
	}
	notStale := func(t *testing.T, dir string, want int) {
		t.Helper()
		res := do(t, c, "GET", gw.url(dir+"r"), nil)
		if res.Status != want || strings.HasPrefix(res.Body, "n=1 ") {
			t.Errorf("GET %s: %d %q; want the origin's %d, not the stored response", dir, res.Status, res.Body, want)
		}
	}

	for i, status := range []int{500, 502, 503, 504} {
		t.Run(fmt.Sprintf("a %d from the origin is replaced by the stale response within serve_stale_on_error", status), func(t *testing.T) {
			dir := fmt.Sprintf("/win/%d/", i+1)
			o.script(dir, staleThen("max-age=1", answer(status)))
			store(t, dir)
			servedStale(t, dir, "stale-if-error/status", "fwd=stale", fmt.Sprintf("fwd-status=%d", status))
			if n := o.count(dir); n != 2 {
				t.Errorf("the origin received %d requests, want 2", n)
			}
		})
	}
	for i, status := range []int{404, 401, 410, 400} {
		t.Run(fmt.Sprintf("a %d from the origin is an answer and is not replaced", status), func(t *testing.T) {
			dir := fmt.Sprintf("/win/%d/", 10+i)
			o.script(dir, staleThen("max-age=1", answer(status)))
			store(t, dir)
			notStale(t, dir, status)
		})
	}
	t.Run("must-revalidate prevents serving stale in place of a 500", func(t *testing.T) {
		o.script("/win/20/", staleThen("max-age=1, must-revalidate", answer(500)))
		store(t, "/win/20/")
		notStale(t, "/win/20/", 500)
	})
	t.Run("must-revalidate prevails over stale-if-error too", func(t *testing.T) {
		o.script("/win/21/", staleThen("max-age=1, must-revalidate, stale-if-error=600", answer(500)))
		store(t, "/win/21/")
		notStale(t, "/win/21/", 500)
	})
	t.Run("a response stale for longer than the window is not served in place of a 500", func(t *testing.T) {
		o.script("/win/22/", byNth(answer(200, "Cache-Control", "max-age=1", "Age", "100"), answer(500)))
		store(t, "/win/22/")
		notStale(t, "/win/22/", 500)
	})

	t.Run("an unreachable origin is replaced by the stale response", func(t *testing.T) {
		downOrigin.script("/down/1/", answer(200, "Cache-Control", "max-age=1", "Age", "2"))
		store(t, "/down/1/")
		downOrigin.in.stop(false)
		defer downOrigin.in.start()
		servedStale(t, "/down/1/", "stale-if-error/connect")
		res := do(t, c, "GET", gw.url("/down/2/r"), nil)
		if res.Status < 500 {
			t.Errorf("a key with nothing stored got %d from an unreachable origin, want a 5xx", res.Status)
		}
	})

	t.Run("an origin that times out is replaced by the stale response", func(t *testing.T) {
		g := newGate(t)
		o.script("/to/1/", staleThen("max-age=1", func(w http.ResponseWriter, r *http.Request, n int) {
			if g.wait(o, r) {
				reply(w, r, n, 200)
			}
		}))
		store(t, "/to/1/")
		servedStale(t, "/to/1/", "stale-if-error/timeout")
	})

	t.Run("an open breaker is replaced by the stale response without an origin request", func(t *testing.T) {
		o.script("/brk/1/", staleThen("max-age=1", answer(200)))
		store(t, "/brk/1/")
		force := func(state string) {
			res := do(t, c, "POST", gw.adminURL("/api/v1/breakers/brk?force="+state), strings.NewReader(`{"state":"`+state+`"}`),
				"Authorization", "Bearer "+cacheWriteToken, "Content-Type", "application/json")
			if res.Status != 200 {
				t.Fatalf("forcing the breaker %s: %d %s", state, res.Status, res.Body)
			}
		}
		force("open")
		defer force("auto")
		servedStale(t, "/brk/1/", "stale-if-error/breaker")
		if n := o.count("/brk/1/"); n != 1 {
			t.Errorf("the origin received %d requests, want 1: the breaker is open", n)
		}
	})

	t.Run("a full bulkhead is replaced by the stale response", func(t *testing.T) {
		g := newGate(t)
		o.script("/bh/1/", staleThen("max-age=1", answer(200)))
		o.script("/bh/hold/", func(w http.ResponseWriter, r *http.Request, n int) {
			if g.wait(o, r) {
				reply(w, r, n, 200, "Cache-Control", "no-store")
			}
		})
		store(t, "/bh/1/")
		held := make(chan struct{})
		go func() {
			defer close(held)
			_, _ = tryDo(c, "GET", gw.url("/bh/hold/r"), nil)
		}()
		if !eventually(5*time.Second, func() bool { return o.count("/bh/hold/") == 1 }) {
			t.Fatal("the request that fills the bulkhead never reached the origin")
		}
		servedStale(t, "/bh/1/", "stale-if-error/bulkhead")
		g.open()
		<-held
	})

	t.Run("the stale responses served are counted by reason", func(t *testing.T) {
		m := metrics(t, c, gw)
		for _, cr := range [][2]string{{"win", ""}, {"down", ""}, {"to", ""}, {"brk", ""}, {"bh", ""}} {
			if v, ok := labelledMetric(m, "bulwark_cache_stale_served_total", "cache", cr[0]); !ok || v < 1 {
				t.Errorf("bulwark_cache_stale_served_total{cache=%q} = %v (found %v), want ≥ 1", cr[0], v, ok)
			}
		}
		if v, ok := labelledMetric(m, "bulwark_cache_requests_total", "cache", "win", "result", "stale"); !ok || v < 4 {
			t.Errorf("bulwark_cache_requests_total{cache=win,result=stale} = %v (found %v), want ≥ 4", v, ok)
		}
	})
}

func TestCacheStaysWithinItsByteBudget(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(), cacheService{
		Name: "mem", Policy: cacheOn("max_bytes: 64KiB", "max_entry_bytes: 8KiB"),
		Routes: []cacheRoute{
			{Path: "/mem"},
			{Path: "/memr", Name: "memroute", Cache: "{enabled: true, max_bytes: 32KiB}"},
		},
	}))
	c := newClient(t)
	body := func(size int) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Cache-Control", "max-age=600")
			b := originBody(r, n) + " "
			_, _ = w.Write([]byte(b + strings.Repeat("x", size-len(b))))
		}
	}
	o.script("/mem/1/", body(4000))
	o.script("/memr/1/", body(4000))
	o.script("/mem/big/", body(16<<10))

	for _, tc := range []struct {
		prefix, cache string
		budget        float64
	}{
		{"/mem/1/", "mem", 64 << 10}, {"/memr/1/", "memroute", 32 << 10},
	} {
		t.Run("scanning 100 keys of 4000 bytes keeps "+tc.cache+" within its budget", func(t *testing.T) {
			last := ""
			for i := range 100 {
				last = gw.url(fmt.Sprintf("%sk%d", tc.prefix, i))
				if res := do(t, c, "GET", last, nil); res.Status != 200 || len(res.Body) != 4000 {
					t.Fatalf("GET k%d: %d, %d bytes", i, res.Status, len(res.Body))
				}
			}
			m := metrics(t, c, gw)
			if v, ok := labelledMetric(m, "bulwark_cache_bytes", "cache", tc.cache); !ok || v > tc.budget || v <= 0 {
				t.Errorf("bulwark_cache_bytes{cache=%q} = %v (found %v), want within (0, %v]", tc.cache, v, ok, tc.budget)
			}
			if v, ok := labelledMetric(m, "bulwark_cache_evictions_total", "cache", tc.cache); !ok || v < 1 {
				t.Errorf("bulwark_cache_evictions_total{cache=%q} = %v (found %v), want ≥ 1", tc.cache, v, ok)
			}
			// Which keys stay is the store's admission policy (W-TinyLFU
			// keeps keys asked for often over one scanned once), so the
			// last key scanned need not be among them; the budget is the
			// property.
		})
	}

	t.Run("a body larger than max_entry_bytes streams through whole and is not stored", func(t *testing.T) {
		for i := 1; i <= 2; i++ {
			res := do(t, c, "GET", gw.url("/mem/big/r"), nil)
			if res.Status != 200 || len(res.Body) != 16<<10 || !strings.HasPrefix(res.Body, fmt.Sprintf("n=%d ", i)) {
				t.Errorf("GET %d: %d, %d bytes, starting %.20q; want 200, 16384 bytes from the origin's answer %d", i, res.Status, len(res.Body), res.Body, i)
			}
		}
		if n := o.count("/mem/big/"); n != 2 {
			t.Errorf("the origin received %d requests, want 2", n)
		}
	})
}
