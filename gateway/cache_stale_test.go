package gateway

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// scripted is an upstream whose answer the test changes between requests.
type scripted struct {
	mu      sync.Mutex
	status  int
	headers map[string]string
	body    string
}

func (s *scripted) set(status int, body string, headers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body, s.headers = status, body, map[string]string{}
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ":")
		s.headers[k] = strings.TrimSpace(v)
	}
}

func (s *scripted) serve(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.headers {
		w.Header().Set(k, v)
	}
	w.WriteHeader(s.status)
	_, _ = io.WriteString(w, s.body)
}

// A stale stored response stands in for each failure of the upstream, with
// Cache-Status saying which, and never for an answer such as a 404, nor
// where the response said must-revalidate.
func TestCacheServesStaleInPlaceOfFailures(t *testing.T) {
	for name, tt := range map[string]struct {
		fail   func(t *testing.T, s *scripted, up *upstream, h *harness)
		cc     string
		status int    // what the client gets
		detail string // Cache-Status detail, "" for none
	}{
		"500":                             {fail: answer(500), cc: "max-age=1, stale-if-error=600", status: 200, detail: "stale-if-error/status"},
		"503":                             {fail: answer(503), cc: "max-age=1, stale-if-error=600", status: 200, detail: "stale-if-error/status"},
		"404 is an answer":                {fail: answer(404), cc: "max-age=1, stale-if-error=600", status: 404},
		"must-revalidate":                 {fail: answer(500), cc: "max-age=1, stale-if-error=600, must-revalidate", status: 500},
		"no stale-if-error and no window": {fail: answer(500), cc: "max-age=1", status: 500},
		"upstream stopped": {fail: func(_ *testing.T, _ *scripted, up *upstream, _ *harness) { up.Close() },
			cc: "max-age=1, stale-if-error=600", status: 200, detail: "stale-if-error/connect"},
		"breaker open": {fail: func(_ *testing.T, _ *scripted, _ *upstream, h *harness) {
			h.g.state.Load().service("svc").guard.breaker.forced.Store(forceOpen)
		}, cc: "max-age=1, stale-if-error=600", status: 200, detail: "stale-if-error/breaker"},
	} {
		t.Run(name, func(t *testing.T) {
			s := &scripted{}
			up := newUpstream(t, "svc", s.serve)
			h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
			// Stale on arrival: the response is 10 s old with a 1 s lifetime.
			s.set(200, "stored", "Cache-Control: "+tt.cc, "Date: "+pastDate(10*time.Second), "ETag: \"v1\"")
			if res, _ := h.get(t, "/x"); res.StatusCode != 200 {
				t.Fatalf("priming: %d", res.StatusCode)
			}
			tt.fail(t, s, up, h)
			res, body := h.get(t, "/x")
			if res.StatusCode != tt.status {
				t.Fatalf("status %d (%q), want %d; Cache-Status %q", res.StatusCode, body, tt.status, res.Header.Get("Cache-Status"))
			}
			got, _ := cacheStatus(res.Header)
			if got["detail"] != tt.detail {
				t.Errorf("Cache-Status %q: detail %q, want %q", res.Header.Get("Cache-Status"), got["detail"], tt.detail)
			}
			if tt.detail != "" && (string(body) != "stored" || res.Header.Get("Age") == "") {
				t.Errorf("stale answer: body %q, Age %q", body, res.Header.Get("Age"))
			}
		})
	}
}

func answer(status int) func(*testing.T, *scripted, *upstream, *harness) {
	return func(_ *testing.T, s *scripted, _ *upstream, _ *harness) {
		s.set(status, fmt.Sprintf("failure %d", status))
	}
}

// cache.serve_stale_on_error stands in for failures without the response
// asking for it.
func TestCacheServeStaleOnErrorWindow(t *testing.T) {
	s := &scripted{}
	up := newUpstream(t, "svc", s.serve)
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true, "cache.serve_stale_on_error": time.Hour}))
	s.set(200, "stored", "Cache-Control: max-age=1", "Date: "+pastDate(10*time.Second))
	h.get(t, "/x")
	s.set(502, "down")
	res, body := h.get(t, "/x")
	if res.StatusCode != 200 || string(body) != "stored" {
		t.Fatalf("got %d %q, want the stored response", res.StatusCode, body)
	}
	mustCacheStatus(t, res, map[string]string{"fwd": "stale", "fwd-status": "502", "detail": "stale-if-error/status"})
	if v, _ := metricValue(t, h.reg, "bulwark_cache_stale_served_total", map[string]string{"cache": "svc", "reason": "status"}); v != 1 {
		t.Errorf("bulwark_cache_stale_served_total{reason=status} = %v, want 1", v)
	}
}

// A stale entry with a validator is revalidated: the upstream's 304
// freshens it, and the client gets the stored body (or its own 304).
func TestCacheRevalidatesWithTheStoredValidator(t *testing.T) {
	var n atomic.Int64
	up := newUpstream(t, "svc", func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Cache-Control", "max-age=1")
		w.Header().Set("Date", pastDate(10*time.Second))
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, "the body")
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	h.get(t, "/x")
	res, body := h.get(t, "/x")
	if res.StatusCode != 200 || string(body) != "the body" {
		t.Fatalf("after revalidation: %d %q", res.StatusCode, body)
	}
	mustCacheStatus(t, res, map[string]string{"fwd": "stale", "fwd-status": "304"})
	if r := up.Last(t); r.Header.Get("If-None-Match") != `"v1"` {
		t.Errorf("revalidation sent If-None-Match %q", r.Header.Get("If-None-Match"))
	}
	res, _ = h.get(t, "/x")
	mustCacheStatus(t, res, map[string]string{"hit": ""})
	res, _ = h.get(t, "/x", `If-None-Match: "v1"`)
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("the client's own matching conditional got %d, want 304", res.StatusCode)
	}
	if n.Load() != 2 {
		t.Errorf("upstream saw %d requests, want 2 (the miss, the revalidation)", n.Load())
	}
}

// stale-while-revalidate answers at once, and however many requests come
// while the refresh is on its way, it is one.
func TestCacheStaleWhileRevalidateRefreshesOnce(t *testing.T) {
	var n atomic.Int64
	refresh := make(chan struct{})
	var once sync.Once
	free := func() { once.Do(func() { close(refresh) }) }
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) > 1 {
			<-refresh
		}
		w.Header().Set("Cache-Control", "max-age=1, stale-while-revalidate=600")
		w.Header().Set("Date", pastDate(10*time.Second))
		fmt.Fprintf(w, "version %d", n.Load())
	})
	t.Cleanup(free)
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	h.get(t, "/x")
	for range 20 {
		res, body := h.get(t, "/x")
		if string(body) != "version 1" {
			t.Fatalf("got %q while refreshing, want the stale version 1", body)
		}
		mustCacheStatus(t, res, map[string]string{"hit": "", "detail": "stale-while-revalidate"})
	}
	eventually(t, "the background refresh to reach the upstream", func() bool { return n.Load() == 2 })
	free()
	eventually(t, "the refreshed response to be stored", func() bool {
		_, body := h.get(t, "/x")
		return strings.HasPrefix(string(body), "version 2")
	})
}

// The admin API lists the caches and purges by URL, path prefix and tag.
func TestCacheAdminPurges(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if strings.HasPrefix(r.URL.Path, "/tagged") {
			w.Header().Set("Surrogate-Key", "pets owners")
		}
	})
	h := cachedHarness(t, up, cachePolicy(t, map[string]any{"cache.enabled": true}))
	admin := httptest.NewServer(h.g.AdminHandler(AdminOptions{Token: "T", WriteToken: "W", Gatherer: h.reg}))
	t.Cleanup(admin.Close)
	for _, p := range []string{"/a/1", "/a/2", "/b/1", "/tagged/1", "/tagged/2"} {
		h.get(t, p)
	}
	purge := func(body string, auth string) (int, int) {
		req, _ := http.NewRequest(http.MethodPost, admin.URL+"/api/v1/caches/purge", strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		res, err := admin.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ Purged int }
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out.Purged
	}
	if code, _ := purge(`{"prefix":"/a/"}`, "Bearer T"); code != http.StatusUnauthorized {
		t.Errorf("a purge with the read token got %d, want 401", code)
	}
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"url":"` + h.url("/a/1") + `"}`, 1},
		{`{"prefix":"/a/"}`, 1},
		{`{"tag":"owners"}`, 2},
		{`{"url":"/b/1"}`, 1},
	} {
		if code, n := purge(tt.body, "Bearer W"); code != 200 || n != tt.want {
			t.Errorf("purge %s: %d, purged %d; want 200, %d", tt.body, code, n, tt.want)
		}
	}
	if code, _ := purge(`{"url":"/a","tag":"x"}`, "Bearer W"); code != http.StatusBadRequest {
		t.Errorf("a purge with two selectors got %d, want 400", code)
	}
	before := up.Count()
	h.get(t, "/a/1")
	if up.Count() != before+1 {
		t.Error("a purged URL was still answered from the cache")
	}
	res, body := adminGet(t, admin, "/api/v1/caches", "Bearer T")
	var caches []CacheView
	if err := json.Unmarshal(body, &caches); err != nil || res.StatusCode != 200 || len(caches) != 1 || caches[0].Name != "svc" || caches[0].Entries != 1 {
		t.Errorf("/api/v1/caches = %d %s", res.StatusCode, body)
	}
}
