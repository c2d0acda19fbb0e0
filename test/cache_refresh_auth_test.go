package test

// stale-while-revalidate on a route with authentication: the background
// refresh is a copy of a client's request made after authentication took
// its credential off, and it must still reach the origin, as the caller it
// was made for.

import (
	"fmt"
	"net/http"
	"testing"
)

func TestCacheRefreshOnAnAuthenticatedRoute(t *testing.T) {
	o := newCacheOrigin(t)
	const key = "key-A-0123456789abcdef"
	gw := startServe(t, func(p ports) string {
		return renderCacheConfig(o.Addr(),
			cacheService{Name: "a", Policy: cacheOn() + "auth:\n  api_keys: {enabled: true}\n", Routes: []cacheRoute{{Path: "/swr"}}},
		)(p) + fmt.Sprintf("consumers:\n  alice:\n    api_keys: [%q]\n", apiKeyHash(key))
	})
	script := byNth(
		answer(200, "Cache-Control", "public, max-age=1, stale-while-revalidate=600", "Age", "2"),
		func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Header.Get("X-Consumer") != "alice" {
				reply(w, r, n, http.StatusForbidden) // the refresh must go as the caller it was made for
				return
			}
			reply(w, r, n, 200, "Cache-Control", "public, max-age=600")
		})
	alice := []string{"X-Api-Key", key}
	runCacheCases(t, gw, o, "swr", []cacheCase{
		{"the refresh reaches the origin as Alice, and its answer is stored",
			script, []step{
				{Header: alice, Origin: 1, From: 1},
				{Header: alice, Origin: 2, From: 1, Eventually: true, CS: []string{"detail=stale-while-revalidate"}},
				{Header: alice, Until: true, Origin: 2, From: 2, CS: []string{"hit"}},
			}},
	})
	// Without a key, the route still refuses: the refresh admitted nobody.
	if res := do(t, newClient(t), "GET", gw.url("/swr/1/r"), nil); res.Status != http.StatusUnauthorized {
		t.Errorf("a request without a key got %d, want 401", res.Status)
	}
}
