package gateway

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bulwark-gw/bulwark/internal/authn"
	"github.com/bulwark-gw/bulwark/policies"
)

func TestIPRulesRefuseByTheRealClientAddress(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	cases := []struct {
		name    string
		allow   []string
		deny    []string
		trusted bool
		xff     string
		want    int
	}{
		{"an allowed peer passes", []string{"127.0.0.0/8"}, nil, false, "", 200},
		{"a peer outside the allow list is refused", []string{"10.0.0.0/8"}, nil, false, "", 403},
		{"deny wins over allow", []string{"127.0.0.0/8"}, []string{"127.0.0.1"}, false, "", 403},
		{"an untrusted peer cannot claim an allowed address", []string{"10.0.0.0/8"}, nil, false, "10.1.2.3", 403},
		{"behind a trusted proxy the appended address counts", []string{"10.0.0.0/8"}, nil, true, "10.1.2.3", 200},
		{"behind a trusted proxy a denied client is refused", nil, []string{"10.0.0.0/8"}, true, "10.1.2.3", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := admitHarness(t, up, map[string]any{"ip.allow": policies.ListOf(c.allow...), "ip.deny": policies.ListOf(c.deny...)}, nil,
				func(cfg *Config) {
					if c.trusted {
						cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
					}
				})
			before := up.Count()
			var hdr []string
			if c.xff != "" {
				hdr = append(hdr, "X-Forwarded-For: "+c.xff)
			}
			res, body := h.get(t, "/x", hdr...)
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.want, body)
			}
			if c.want == 403 && up.Count() != before {
				t.Errorf("a refused request reached the upstream")
			}
		})
	}
}

func TestCORSPreflightsAreAnsweredWithoutTheUpstream(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*") // the upstream's own, which must give way
	})
	h := admitHarness(t, up, map[string]any{
		"cors.origins": policies.ListOf("https://app.example.com", "https://*.example.org"), "cors.credentials": true,
	}, nil)
	res, _ := h.do(t, newRequest(t, http.MethodOptions, h.url("/pets"), nil,
		"Origin: https://app.example.com", "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: content-type"))
	if res.StatusCode != http.StatusNoContent || up.Count() != 0 {
		t.Fatalf("preflight: status %d, upstream saw %d requests; want 204 and none", res.StatusCode, up.Count())
	}
	mustHeader(t, res.Header, "Access-Control-Allow-Origin", "https://app.example.com")
	mustHeader(t, res.Header, "Access-Control-Allow-Credentials", "true")
	mustHeader(t, res.Header, "Access-Control-Max-Age", "600")

	res, _ = h.get(t, "/pets", "Origin: https://a.example.org")
	mustHeader(t, res.Header, "Access-Control-Allow-Origin", "https://a.example.org")
	res, _ = h.get(t, "/pets", "Origin: https://evil.example.net")
	if v := res.Header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
		t.Errorf("a foreign origin got Access-Control-Allow-Origin %q (the upstream's * must not leak)", v)
	}
}

func TestAPIKeysAdmitConsumersAndTellTheUpstreamWho(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := admitHarness(t, up, map[string]any{"auth.api_keys.enabled": true, "auth.api_keys.query": "api_key"},
		map[string]Consumer{"alice": keyOf("alice-secret"), "bob": keyOf("bob-secret")})

	res, body := h.get(t, "/pets")
	if res.StatusCode != 401 || !strings.Contains(res.Header.Get("WWW-Authenticate"), `ApiKey header="X-Api-Key"`) {
		t.Fatalf("no key: status %d, WWW-Authenticate %q: %s", res.StatusCode, res.Header.Get("WWW-Authenticate"), body)
	}
	if p := problemOf(t, res, body); p.Status != 401 {
		t.Errorf("problem %+v", p)
	}
	if res, _ := h.get(t, "/pets", "X-Api-Key: wrong"); res.StatusCode != 401 {
		t.Errorf("wrong key: status %d, want 401", res.StatusCode)
	}
	if up.Count() != 0 {
		t.Fatalf("unauthenticated requests reached the upstream: %d", up.Count())
	}

	res, _ = h.get(t, "/pets", "X-Api-Key: alice-secret", "X-Consumer: admin")
	if res.StatusCode != 200 {
		t.Fatalf("alice's key: status %d", res.StatusCode)
	}
	seen := up.Last(t)
	if got := seen.Header.Values("X-Consumer"); len(got) != 1 || got[0] != "alice" {
		t.Errorf("upstream saw X-Consumer %q, want only alice (the client's own removed)", got)
	}
	if seen.Header.Get("X-Api-Key") != "" {
		t.Errorf("the key went upstream")
	}

	res, _ = h.get(t, "/pets?b=%2F&api_key=bob-secret&a=1+2")
	if res.StatusCode != 200 {
		t.Fatalf("bob's key in the query: status %d", res.StatusCode)
	}
	if q := up.Last(t).RawQuery; q != "b=%2F&a=1+2" {
		t.Errorf("upstream query %q, want the others byte for byte without api_key", q)
	}
}

func TestBasicAuthUsesTheConsumersPasswordHashes(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	hash, err := authn.HashPassword("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	h := admitHarness(t, up, map[string]any{"auth.basic.enabled": true, "auth.basic.realm": "pets"},
		map[string]Consumer{"carol": {Password: hash}})
	res, _ := h.get(t, "/")
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") != `Basic realm="pets", charset="UTF-8"` {
		t.Fatalf("status %d, challenge %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	req := newRequest(t, http.MethodGet, h.url("/"), nil)
	req.SetBasicAuth("carol", "wrong")
	if res, _ := h.do(t, req); res.StatusCode != 401 {
		t.Errorf("wrong password: %d", res.StatusCode)
	}
	req = newRequest(t, http.MethodGet, h.url("/"), nil)
	req.SetBasicAuth("carol", "s3cret")
	if res, _ := h.do(t, req); res.StatusCode != 200 {
		t.Fatalf("right password: %d", res.StatusCode)
	}
	if seen := up.Last(t); seen.Header.Get("Authorization") != "" || seen.Header.Get("X-Consumer") != "carol" {
		t.Errorf("upstream saw Authorization %q, X-Consumer %q", seen.Header.Get("Authorization"), seen.Header.Get("X-Consumer"))
	}
}

func TestJWTBearerTokensAreVerifiedAgainstTheJWKS(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	is := newIssuer(t)
	h := admitHarness(t, up, map[string]any{
		"auth.jwt.jwks_url": is.srv.URL, "auth.jwt.issuer": "https://idp.test", "auth.jwt.audiences": policies.ListOf("pets"),
		"auth.scopes": policies.ListOf("pets:read"),
	}, nil)
	good := jwt.MapClaims{"iss": "https://idp.test", "aud": "pets", "sub": "dave", "scope": "pets:read pets:write"}
	cases := []struct {
		name   string
		claims jwt.MapClaims
		want   int
	}{
		{"a valid token passes", good, 200},
		{"a wrong audience is refused", jwt.MapClaims{"iss": "https://idp.test", "aud": "cats", "sub": "dave", "scope": "pets:read"}, 401},
		{"a wrong issuer is refused", jwt.MapClaims{"iss": "https://evil.test", "aud": "pets", "sub": "dave", "scope": "pets:read"}, 401},
		{"an expired token is refused", jwt.MapClaims{"iss": "https://idp.test", "aud": "pets", "sub": "dave", "scope": "pets:read", "exp": 1}, 401},
		{"a token without the route's scope is forbidden", jwt.MapClaims{"iss": "https://idp.test", "aud": "pets", "sub": "dave", "scope": "other"}, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := up.Count()
			res, body := h.get(t, "/pets", "Authorization: Bearer "+is.token(t, c.claims))
			if res.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, c.want, body)
			}
			if reached := up.Count() > before; reached != (c.want == 200) {
				t.Errorf("upstream reached: %v", reached)
			}
			if c.want == 403 && !strings.Contains(res.Header.Get("WWW-Authenticate"), "insufficient_scope") {
				t.Errorf("403 without insufficient_scope: %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	if seen := up.Last(t); seen.Header.Get("X-Consumer") != "dave" || seen.Header.Get("Authorization") != "" {
		t.Errorf("upstream saw X-Consumer %q, Authorization %q", seen.Header.Get("X-Consumer"), seen.Header.Get("Authorization"))
	}
	if res, _ := h.get(t, "/pets", "Authorization: Bearer not.a.token"); res.StatusCode != 401 {
		t.Errorf("garbage token: %d", res.StatusCode)
	}
	if n := is.fetches.Load(); n != 1 {
		t.Errorf("the JWKS was fetched %d times, want once", n)
	}
}

func TestFromOpenAPIEnforcesEachOperationsOwnRequirement(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	is := newIssuer(t)
	doc := map[string][]SecurityRequirement{
		"GET /pets":        {},                                                                      // security: []
		"GET /pets/1":      {{{Type: "apiKey", In: "header", Param: "X-Key"}}},                      // an API key where the document says
		"DELETE /pets/1":   {{{Type: "oauth2", Scopes: []string{"pets:admin"}}}},                    // a scoped token
		"POST /pets":       {{{Type: "http", Scheme: "bearer"}}, {{Type: "http", Scheme: "basic"}}}, // either
		"GET /pets/cookie": {{{Type: "apiKey", In: "cookie", Param: "sid"}}},                        // nothing the gateway can check
	}
	security := func(service, method, path string) ([]SecurityRequirement, bool) {
		r, ok := doc[method+" "+path]
		return r, ok
	}
	h := admitHarness(t, up, map[string]any{"auth.from_openapi": true, "auth.api_keys.enabled": true, "auth.jwt.jwks_url": is.srv.URL},
		map[string]Consumer{"erin": keyOf("erin-key")}, func(c *Config) { c.Security = security })
	admin := is.token(t, jwt.MapClaims{"sub": "root", "scope": "pets:admin"})
	reader := is.token(t, jwt.MapClaims{"sub": "ann", "scope": "pets:read"})
	cases := []struct {
		method, path string
		headers      []string
		want         int
	}{
		{"GET", "/pets", nil, 200},
		{"GET", "/pets/1", nil, 401},
		{"GET", "/pets/1", []string{"X-Api-Key: erin-key"}, 401}, // the document names X-Key, not the default header
		{"GET", "/pets/1", []string{"X-Key: erin-key"}, 200},
		{"DELETE", "/pets/1", []string{"Authorization: Bearer " + reader}, 403},
		{"DELETE", "/pets/1", []string{"Authorization: Bearer " + admin}, 200},
		{"POST", "/pets", nil, 401},
		{"POST", "/pets", []string{"Authorization: Bearer " + reader}, 200},
		{"GET", "/pets/cookie", []string{"Cookie: sid=1"}, 401},
		{"GET", "/not/in/the/document", nil, 401}, // the gate stays shut where the document is silent
		{"GET", "/not/in/the/document", []string{"X-Api-Key: erin-key"}, 200},
	}
	for _, c := range cases {
		before := up.Count()
		res, body := h.do(t, newRequest(t, c.method, h.url(c.path), nil, c.headers...))
		if res.StatusCode != c.want {
			t.Errorf("%s %s %v: status %d, want %d: %s", c.method, c.path, c.headers, res.StatusCode, c.want, body)
		}
		if reached := up.Count() > before; reached != (c.want == 200) {
			t.Errorf("%s %s: upstream reached %v", c.method, c.path, reached)
		}
	}
}

func TestRateLimitsRefuseWithRetryAfterAndCountPerConsumer(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := admitHarness(t, up, map[string]any{
		"auth.api_keys.enabled": true, "rate_limit.rate": policies.Rate{N: 3, Per: 3600e9}, "rate_limit.key": "consumer",
	}, map[string]Consumer{"frank": keyOf("f"), "gina": {APIKeys: keyOf("g").APIKeys, RateLimit: policies.Rate{N: 5, Per: 3600e9}}})
	count := func(key string) (ok int, last *http.Response) {
		for range 8 {
			res, _ := h.get(t, "/", "X-Api-Key: "+key)
			if res.StatusCode == 200 {
				ok++
			}
			last = res
		}
		return ok, last
	}
	if ok, last := count("f"); ok != 3 || last.StatusCode != 429 {
		t.Fatalf("frank: %d admitted (want 3), last status %d", ok, last.StatusCode)
	} else {
		mustHeader(t, last.Header, "RateLimit-Policy", `"consumer";q=3;w=3600`)
		if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Errorf("Retry-After %q", ra)
		}
	}
	if ok, _ := count("g"); ok != 5 {
		t.Errorf("gina, with her own rate: %d admitted, want 5", ok)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_ratelimit_decisions_total", map[string]string{"service": "svc", "decision": "limited"}); v != 8 {
		t.Errorf("limited decisions counted %v, want 8", v)
	}
	// Consumers is what the portal's consumers page reads: counts, key
	// numbers and own rates, never a key.
	views := h.g.Consumers()
	if len(views) != 2 || views[0].Name != "frank" || views[0].Authenticated != 8 || views[0].Limited != 5 ||
		views[0].APIKeys != 1 || views[0].Password || views[0].LastSeen == nil || views[0].RateLimit != "" {
		t.Errorf("consumers view %+v", views)
	} else if g := views[1]; g.Name != "gina" || g.RateLimit != "5/h" || g.Authenticated != 8 || g.Limited != 3 {
		t.Errorf("gina's view %+v", g)
	}
}

func TestAResponseToAnAdmittedRequestIsNotSharedUnlessTheOriginSaysSo(t *testing.T) {
	up := newUpstream(t, "svc", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		if r.URL.Path == "/public" {
			w.Header().Set("Cache-Control", "public, max-age=60")
		}
		_, _ = w.Write([]byte("for " + r.Header.Get("X-Consumer")))
	})
	h := admitHarness(t, up, map[string]any{"auth.api_keys.enabled": true, "cache.enabled": true},
		map[string]Consumer{"a": keyOf("ka"), "b": keyOf("kb")})
	_, _ = h.get(t, "/me", "X-Api-Key: ka")
	if _, body := h.get(t, "/me", "X-Api-Key: kb"); string(body) != "for b" {
		t.Errorf("b got %q: a's private answer was served from the cache", body)
	}
	_, _ = h.get(t, "/public", "X-Api-Key: ka")
	n := up.Count()
	if _, body := h.get(t, "/public", "X-Api-Key: kb"); string(body) != "for a" || up.Count() != n {
		t.Errorf("a public answer was not served from the cache: %q", body)
	}
}

func TestAPreflightReachesCORSOnARouteLimitedToOtherMethods(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	cfg := Config{
		Routes: []Route{
			{Path: "/cors", Methods: []string{"GET", "POST"}, Service: "svc"},
			{Path: "/plain", Methods: []string{"GET"}, Service: "other"},
		},
		Policies: map[string]policies.Policy{
			"svc":   cachePolicy(t, map[string]any{"cors.origins": policies.ListOf("https://app.example.com")}),
			"other": cachePolicy(t, nil),
		},
	}
	h := newHarness(t, cfg, snapshot(t, map[string][]string{"svc": {up.Addr()}, "other": {up.Addr()}}))
	preflight := func(path, method string) *http.Response {
		res, _ := h.do(t, newRequest(t, http.MethodOptions, h.url(path), nil,
			"Origin: https://app.example.com", "Access-Control-Request-Method: "+method))
		return res
	}
	if res := preflight("/cors/x", "POST"); res.StatusCode != http.StatusNoContent ||
		res.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Errorf("preflight for POST on a GET/POST route with CORS: %d %v", res.StatusCode, res.Header)
	}
	if res := preflight("/cors/x", "DELETE"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("preflight for a method no route takes: %d, want 405", res.StatusCode)
	}
	if res := preflight("/plain/x", "GET"); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("preflight on a route without CORS: %d, want 405 (no pass around its methods)", res.StatusCode)
	}
	if up.Count() != 0 {
		t.Errorf("a preflight reached the upstream")
	}
	if res, _ := h.do(t, newRequest(t, http.MethodOptions, h.url("/cors/x"), nil, "Origin: https://app.example.com")); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("a plain OPTIONS on the CORS route: %d, want 405", res.StatusCode)
	}
}

// A client naming the identity header in Connection must not have the proxy
// remove the gateway's own (USERS.md case 8).
func TestTheIdentityHeaderSurvivesAClientsConnectionHeader(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := admitHarness(t, up, map[string]any{"auth.api_keys.enabled": true}, map[string]Consumer{"ann": keyOf("ka")})
	res, _ := h.get(t, "/", "X-Api-Key: ka", "Connection: X-Consumer", "X-Consumer: root")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	if got := up.Last(t).Header.Values("X-Consumer"); len(got) != 1 || got[0] != "ann" {
		t.Errorf("upstream saw X-Consumer %q, want [ann]", got)
	}
}

// A request admitted on one credential slot of the route must not carry a
// second credential (another consumer's key) in another slot upstream.
func TestEveryCredentialPlaceIsClearedNotOnlyTheOneThatAdmitted(t *testing.T) {
	up := newUpstream(t, "svc", nil)
	h := admitHarness(t, up, map[string]any{"auth.api_keys.enabled": true, "auth.api_keys.query": "key"},
		map[string]Consumer{"alice": keyOf("ka"), "bob": keyOf("kb")})
	res, _ := h.get(t, "/q?key=kb&x=1", "X-Api-Key: ka")
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	seen := up.Last(t)
	if seen.RawQuery != "x=1" || seen.Header.Get("X-Api-Key") != "" || seen.Header.Get("X-Consumer") != "alice" {
		t.Errorf("upstream saw query %q, X-Api-Key %q, X-Consumer %q; want x=1, none, alice",
			seen.RawQuery, seen.Header.Get("X-Api-Key"), seen.Header.Get("X-Consumer"))
	}
	res, _ = h.get(t, "/q")
	if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("a 401 without a challenge: %d %v", res.StatusCode, res.Header)
	}
}
