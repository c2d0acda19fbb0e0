package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// cachePolicy is a resolved policy with a short timeout and the cache's keys
// set as given ("cache.enabled": true, ...); other keys are built-in.
func cachePolicy(t testing.TB, set map[string]any) policies.Policy {
	t.Helper()
	var o policies.Overrides
	o.Timeout = new(2 * time.Second)
	byName := map[string]policies.Key{}
	for _, k := range policies.Keys() {
		byName[k.Name] = k
	}
	for name, v := range set {
		k, ok := byName[name]
		if !ok {
			t.Fatalf("no policy key %q", name)
		}
		k.Set(&o, v)
	}
	p, _, err := policies.Resolve(policies.Layer{Name: "test", Set: o})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// cachedHarness serves one route / to service "svc" at up with the policy.
func cachedHarness(t testing.TB, up *upstream, p policies.Policy) *harness {
	t.Helper()
	return newHarness(t, Config{
		Routes:   []Route{{Path: "/", Service: "svc"}},
		Policies: map[string]policies.Policy{"svc": p},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
}

// cacheStatus parses the gateway's Cache-Status member into its parameters
// ("hit" → "", "fwd" → "miss", ...); ok is false without one.
func cacheStatus(h http.Header) (params map[string]string, ok bool) {
	v := h.Get("Cache-Status")
	name, rest, _ := strings.Cut(v, ";")
	if strings.TrimSpace(name) != cacheName {
		return nil, false
	}
	params = map[string]string{}
	for p := range strings.SplitSeq(rest, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if k != "" {
			params[k] = strings.Trim(val, `"`)
		}
	}
	return params, true
}

// mustCacheStatus fails unless the response's Cache-Status has each of
// want's parameters with its value ("" for a bare one such as hit).
func mustCacheStatus(t testing.TB, res *http.Response, want map[string]string) {
	t.Helper()
	got, ok := cacheStatus(res.Header)
	if !ok {
		t.Fatalf("no Cache-Status from %s (status %d)", cacheName, res.StatusCode)
	}
	for k, v := range want {
		if g, has := got[k]; !has || g != v {
			t.Errorf("Cache-Status %q: %s = %q, want %q", res.Header.Get("Cache-Status"), k, g, v)
		}
	}
}

// pastDate is a Date header value d before now: a response that is already
// d old when it arrives, so a max-age shorter than d makes it stale at once
// (RFC 9111 §4.2.3's apparent_age) without a test waiting for it.
func pastDate(d time.Duration) string { return time.Now().Add(-d).UTC().Format(http.TimeFormat) }
