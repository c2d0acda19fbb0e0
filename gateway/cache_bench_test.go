package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// BenchmarkCacheHit is BenchmarkGatewayProxy's route with the cache on and
// the response stored: every request is a hit, served by the gateway alone.
// Compare its ns/op and allocs/op with BenchmarkGatewayProxy's, in the same
// run (bench/RESULTS.md has the ratio, and ratio.sh's bulwark-cached target
// the same comparison per proxy core over real sockets).
func BenchmarkCacheHit(b *testing.B) {
	up := benchUpstream(b)
	// The bench upstream says nothing of freshness: default_ttl gives it one.
	h := newHarness(b, Config{
		Routes:   []Route{{Name: "pets", Path: "/pets", Service: "pets"}},
		Policies: map[string]policies.Policy{"pets": cachePolicy(b, map[string]any{"cache.enabled": true, "cache.default_ttl": time.Minute})},
	}, snapshot(b, map[string][]string{"pets": {up.Addr()}}))
	res, _ := h.get(b, "/pets/1")
	if res.StatusCode != http.StatusOK {
		b.Fatal(res.Status)
	}
	if res, _ := h.get(b, "/pets/1"); res.Header.Get("Age") == "" {
		b.Fatalf("not a hit: Cache-Status %q", res.Header.Get("Cache-Status"))
	}
	runBench(b, benchClient(b), h.url("/pets/1"))
}

// BenchmarkCacheHitHandler is a hit without the sockets: the gateway's own
// cost of answering from its cache, with allocations per hit.
func BenchmarkCacheHitHandler(b *testing.B) {
	up := benchUpstream(b)
	g := New(Options{})
	b.Cleanup(g.Close)
	g.Configure(Config{
		Routes:   []Route{{Name: "pets", Path: "/pets", Service: "pets"}},
		Policies: map[string]policies.Policy{"pets": cachePolicy(b, map[string]any{"cache.enabled": true, "cache.default_ttl": time.Minute})},
	}, snapshot(b, map[string][]string{"pets": {up.Addr()}}))
	req := httptest.NewRequest(http.MethodGet, "http://bench/pets/1", nil)
	g.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
