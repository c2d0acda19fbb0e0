package test

// Web cache poisoning and deception against the shared cache, from outside:
// an attacker's request first, then a victim's, and what the victim gets.
// An attacker who had not written the cache wrote these. The first five
// each worked on the code as it was, and name the attack and the rule; the
// fixes are the commits before this file's. The last covers attacks that
// were stopped and that test/cache_attack_test.go does not cover.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// withTrustedLoopback adds server.trusted_proxies: [127.0.0.1] to a cache
// config: the test client then plays a trusted proxy (a CDN or load
// balancer in front of bulwark) that sets X-Forwarded-* honestly.
func withTrustedLoopback(render func(p ports) string) func(p ports) string {
	return func(p ports) string {
		return render(p) + "server:\n  trusted_proxies: [\"127.0.0.1/32\"]\n"
	}
}

// Worked before the fix. Attack: unkeyed forwarded inputs from a trusted proxy (Kettle,
// "Practical Web Cache Poisoning": X-Forwarded-Host / the X-Forwarded-Proto
// redirect loop). Behind server.trusted_proxies bulwark keeps the proxy's
// X-Forwarded-Host, X-Forwarded-Proto and X-Forwarded-Prefix and sends them
// upstream (docs/configuration.md, `server.trusted_proxies`), so they are the
// scheme, host and base path the origin builds its answer for; but the key
// (internal/httpcache/key.go) is built from the hop's own scheme (r.TLS) and
// Host. Two different target URIs (RFC 9110 §7.1, reconstructed from the
// forwarded scheme and host) share one key, against RFC 9111 §2 and §4
// ("the target URI ... must match"). With an honest CDN in front, a client
// that asks over plain http stores the origin's 301-to-https, and every
// https client then gets that 301 for ever: a redirect loop for all.
func TestCachePoisonTrustedForwardedHeadersAreKeyed(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, withTrustedLoopback(renderCacheConfig(o.Addr(),
		cacheService{Name: "c", Policy: cacheOn(), Routes: []cacheRoute{{Path: "/"}}})))
	c := newClient(t)

	t.Run("X-Forwarded-Proto: the http→https redirect poisons https", func(t *testing.T) {
		dir := "/tfp/1/"
		o.script(dir, func(w http.ResponseWriter, r *http.Request, n int) {
			if r.Header.Get("X-Forwarded-Proto") != "https" {
				reply(w, r, n, http.StatusMovedPermanently, "Location", "https://"+r.Header.Get("X-Forwarded-Host")+r.URL.Path, "Cache-Control", "max-age=3600")
				return
			}
			reply(w, r, n, 200, "Cache-Control", "max-age=60")
		})
		a := do(t, noRedirect(c), "GET", gw.url(dir+"r"), nil, "Host", victimHost, "X-Forwarded-Proto", "http")
		if a.Status != http.StatusMovedPermanently {
			t.Fatalf("the plain-http request got %d %q, want the origin's 301", a.Status, a.Body)
		}
		v := do(t, noRedirect(c), "GET", gw.url(dir+"r"), nil, "Host", victimHost, "X-Forwarded-Proto", "https")
		if v.Status != 200 {
			t.Errorf("POISONED: the https client got %d Location %q (Cache-Status %q): the redirect to https stored for http loops for every https client",
				v.Status, v.Header.Get("Location"), v.Header.Values("Cache-Status"))
		}
	})

	t.Run("X-Forwarded-Host: one site's page served for another", func(t *testing.T) {
		dir := "/tfp/2/"
		o.script(dir, reflecting("Cache-Control", "max-age=60")) // body names X-Forwarded-Host
		do(t, c, "GET", gw.url(dir+"r"), nil, "Host", "origin.internal", "X-Forwarded-Host", "evil.example")
		v := do(t, c, "GET", gw.url(dir+"r"), nil, "Host", "origin.internal", "X-Forwarded-Host", victimHost)
		if _, host := bodyFields(v.Body); host != victimHost {
			t.Errorf("POISONED: X-Forwarded-Host %s got the page built for %q: %q (Cache-Status %q)",
				victimHost, host, v.Body, v.Header.Values("Cache-Status"))
		}
	})

	t.Run("X-Forwarded-Prefix: links built for another base path", func(t *testing.T) {
		dir := "/tfp/3/"
		o.script(dir, reflecting("Cache-Control", "max-age=60")) // body names X-Forwarded-Prefix
		do(t, c, "GET", gw.url(dir+"r"), nil, "X-Forwarded-Prefix", "/evil")
		v := do(t, c, "GET", gw.url(dir+"r"), nil, "X-Forwarded-Prefix", "/shop")
		if strings.Contains(v.Body, "evil") || !strings.Contains(v.Body, "X-Forwarded-Prefix=/shop") {
			t.Errorf("POISONED: X-Forwarded-Prefix /shop got %q (Cache-Status %q)", v.Body, v.Header.Values("Cache-Status"))
		}
	})
}

// noRedirect is c without following redirects.
func noRedirect(c *http.Client) *http.Client {
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// Worked before the fix. Attack: Vary on a header the gateway itself sets (cache deception
// across consumers and clients). RFC 9111 §4.1: a stored response is used
// only when the fields its Vary nominates match "in both the original
// request (i.e., that associated with the stored response) and the presented
// request". bulwark sets X-Consumer (auth.consumer_header) and X-Real-Ip /
// X-Forwarded-For on the outbound request, and removes a client's own, but
// records and compares the selecting fields of the inbound request after
// that removal: both requests "lack" the field, so they match. An origin
// that answers per consumer with `public` and `Vary: X-Consumer` (the
// documented way to tell the gateway's cache "one copy per consumer") has
// Alice's answer served to Bob, against docs/configuration.md ("one
// consumer's answer is never served to another"); one that varies on the
// client address has one client's page served to the next.
func TestCachePoisonVaryOnFieldsTheGatewaySets(t *testing.T) {
	o := newCacheOrigin(t)
	const keyA, keyB = "key-A-0123456789abcdef", "key-B-0123456789abcdef"
	render := func(p ports) string {
		return renderCacheConfig(o.Addr(),
			cacheService{Name: "c", Policy: cacheOn(), Routes: []cacheRoute{{Path: "/vg"}}},
			cacheService{Name: "a", Policy: cacheOn() + "auth:\n  api_keys: {enabled: true}\n", Routes: []cacheRoute{{Path: "/va"}}},
		)(p) + fmt.Sprintf("consumers:\n  alice:\n    api_keys: [%q]\n  bob:\n    api_keys: [%q]\n", apiKeyHash(keyA), apiKeyHash(keyB))
	}
	gw := startServe(t, render)
	perHeader := func(name string) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Cache-Control", "public, max-age=60")
			w.Header().Set("Vary", name)
			fmt.Fprintf(w, "n=%d for %s", n, r.Header.Get(name))
		}
	}

	t.Run("Vary: X-Consumer, Alice then Bob", func(t *testing.T) {
		dir := "/va/1/"
		o.script(dir, perHeader("X-Consumer"))
		c := newClient(t)
		a := do(t, c, "GET", gw.url(dir+"r"), nil, "X-Api-Key", keyA)
		if a.Status != 200 || !strings.HasSuffix(a.Body, "for alice") {
			t.Fatalf("Alice got %d %q", a.Status, a.Body)
		}
		b := do(t, c, "GET", gw.url(dir+"r"), nil, "X-Api-Key", keyB)
		if b.Status != 200 || !strings.HasSuffix(b.Body, "for bob") {
			t.Errorf("LEAK: Bob got %d %q (Cache-Status %q): Alice's answer, though it varies on X-Consumer",
				b.Status, b.Body, b.Header.Values("Cache-Status"))
		}
	})

	for i, name := range []string{"X-Real-Ip", "X-Forwarded-For"} {
		t.Run("Vary: "+name+", 127.0.0.1 then 127.0.0.2", func(t *testing.T) {
			dir := fmt.Sprintf("/vg/%d/", i+1)
			o.script(dir, perHeader(name))
			first := do(t, clientFrom(t, "127.0.0.1"), "GET", gw.url(dir+"r"), nil)
			if !strings.HasSuffix(first.Body, "for 127.0.0.1") {
				t.Fatalf("the first client got %d %q", first.Status, first.Body)
			}
			second := do(t, clientFrom(t, "127.0.0.2"), "GET", gw.url(dir+"r"), nil)
			if !strings.HasSuffix(second.Body, "for 127.0.0.2") {
				t.Errorf("LEAK: the client at 127.0.0.2 got %q (Cache-Status %q): the page the origin built for 127.0.0.1",
					second.Body, second.Header.Values("Cache-Status"))
			}
		})
	}
}

// Worked before the fix. Attack: cache-key normalisation that the upstream does not share.
// The key percent-encodes a stray '%' in the query ("?q=%zz" is keyed
// "?q=%25zz"), but the upstream never sees "%25zz": net/http/httputil's
// ReverseProxy drops a query parameter it cannot parse (cleanQueryParams),
// so "?q=%zz" reaches the origin as no query at all while "?q=%25zz" reaches
// it as sent. Two requests the upstream answers differently share one key
// (RFC 9111 §2, and docs/configuration.md: the path and query are keyed "as
// sent" because "an upstream may answer them differently"): an attacker's
// "?q=50%off" fills the entry of every "?q=50%25off" with the page for no
// query.
func TestCachePoisonStrayPercentIsNotItsEscape(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	dir := "/pq/1/"
	o.script(dir, reflecting("Cache-Control", "max-age=60"))
	a := rawRequest(t, gw.ports.HTTP, rawGet(dir+"r?q=50%off", "Host: "+victimHost))
	target := dir + "r?q=50%25off"
	v := do(t, c, "GET", gw.url(target), nil, "Host", victimHost)
	if uri, _ := bodyFields(v.Body); uri != target {
		t.Errorf("POISONED: GET %s got the page for %q: %q (Cache-Status %q); the attacker's ?q=50%%off got %d %q",
			target, uri, v.Body, v.Header.Values("Cache-Status"), a.Status, a.Body)
	}
}

// Worked before the fix. Attack: a request header that picks the route (and so the upstream
// path) but is not in the key. Routes may differ by `headers:` only
// (docs/configuration.md, routes), a service's routes share its cache, and
// the key is the URL alone. Here `/hp` with X-Beta: 1 strips the prefix and
// `/hp` without it does not: the attacker's X-Beta request stores the
// origin's answer for /1/r under the key of /hp/1/r, and every client
// without the header gets it (RFC 9111 §4.1: a response selected by a
// request header must carry Vary; the gateway itself chose the upstream
// request by X-Beta and did not key or vary on it).
func TestCachePoisonRouteChosenByAHeader(t *testing.T) {
	o := newCacheOrigin(t)
	render := func(p ports) string {
		return renderCacheConfig(o.Addr(),
			cacheService{Name: "c", Policy: cacheOn(), Routes: []cacheRoute{{Path: "/hp"}}},
		)(p) + "  - path: /hp\n    headers: {X-Beta: \"1\"}\n    strip_prefix: true\n    service: c\n"
	}
	gw := startServe(t, render)
	c := newClient(t)
	o.script("/hp/1/", reflecting("Cache-Control", "max-age=60"))
	o.script("/1/r", reflecting("Cache-Control", "max-age=60"))
	a := do(t, c, "GET", gw.url("/hp/1/r"), nil, "X-Beta", "1")
	if uri, _ := bodyFields(a.Body); uri != "/1/r" {
		t.Fatalf("the X-Beta request reached the origin as %q, want the stripped /1/r", uri)
	}
	v := do(t, c, "GET", gw.url("/hp/1/r"), nil)
	if uri, _ := bodyFields(v.Body); uri != "/hp/1/r" {
		t.Errorf("POISONED: a plain GET /hp/1/r got the answer for %q: %q (Cache-Status %q)",
			uri, v.Body, v.Header.Values("Cache-Status"))
	}
}

// Worked before the fix. Attack: CORS answers poisoning a downstream cache. The gateway's CORS
// reflects the request's Origin in Access-Control-Allow-Origin and adds
// `Vary: Origin` (RFC 9110 §12.5.5; Fetch, "CORS protocol and HTTP caches":
// a response whose Access-Control-Allow-Origin depends on Origin must say
// Vary: Origin). On a miss it does. On a hit of a stored response that has
// a Vary of its own, the stored Vary replaces the gateway's (writeEntry
// sets each stored field over what the CORS stage wrote), so the answer
// allows https://b.example, is cacheable (max-age=60) and does not vary on
// Origin: a CDN or browser cache in front keeps it and answers
// https://a.example's fetches with it, which the browser then blocks.
func TestCachePoisonHitKeepsTheVaryOriginOfCORS(t *testing.T) {
	o := newCacheOrigin(t)
	gw := startServe(t, renderCacheConfig(o.Addr(), cacheService{
		Name:   "c",
		Policy: cacheOn() + "cors:\n  origins: [\"https://a.example\", \"https://b.example\"]\n",
		Routes: []cacheRoute{{Path: "/"}},
	}))
	c := newClient(t)
	o.script("/cv/1/", answer(200, "Cache-Control", "max-age=60", "Vary", "Accept-Encoding"))
	varies := func(h http.Header) bool {
		for _, v := range h.Values("Vary") {
			for _, f := range strings.Split(v, ",") {
				if strings.EqualFold(strings.TrimSpace(f), "Origin") || strings.TrimSpace(f) == "*" {
					return true
				}
			}
		}
		return false
	}
	miss := do(t, c, "GET", gw.url("/cv/1/r"), nil, "Origin", "https://a.example")
	if miss.Header.Get("Access-Control-Allow-Origin") != "https://a.example" || !varies(miss.Header) {
		t.Fatalf("the miss: Access-Control-Allow-Origin %q, Vary %q; want a.example and Vary: Origin",
			miss.Header.Get("Access-Control-Allow-Origin"), miss.Header.Values("Vary"))
	}
	hit := do(t, c, "GET", gw.url("/cv/1/r"), nil, "Origin", "https://b.example")
	if !isHit(hit.Header) {
		t.Fatalf("the second request was not a hit (Cache-Status %q)", hit.Header.Values("Cache-Status"))
	}
	if hit.Header.Get("Access-Control-Allow-Origin") == "https://b.example" && !varies(hit.Header) {
		t.Errorf("the hit allows %q with Cache-Control %q but Vary %q (no Origin): a downstream cache may serve it to another origin",
			hit.Header.Get("Access-Control-Allow-Origin"), hit.Header.Get("Cache-Control"), hit.Header.Values("Vary"))
	}
}

// Stopped. Attack: the same forwarded inputs from a client that is NOT
// a trusted proxy (no trusted_proxies): X-Forwarded-Proto (the redirect
// loop), X-Forwarded-Prefix, and X-Forwarded-Host spelled twice. bulwark
// replaces them with its own before the upstream sees them, so the stored
// answer is the one every client would get. (cache_attack_test.go covers
// X-Forwarded-Host once, X-Forwarded-Scheme/-Port, Forwarded and X-Host.)
func TestCachePoisonUntrustedForwardedHeadersAreReplaced(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	redirectUnlessHTTPS := func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("X-Forwarded-Proto") == "https" {
			reply(w, r, n, http.StatusMovedPermanently, "Location", "http://evil.example/", "Cache-Control", "max-age=3600")
			return
		}
		reflecting("Cache-Control", "max-age=60")(w, r, n)
	}
	attacks := []struct {
		name   string
		script originScript
		raw    func(dir string) []byte
	}{
		{"X-Forwarded-Proto: https", redirectUnlessHTTPS, func(d string) []byte {
			return rawGet(d+"r", "Host: "+victimHost, "X-Forwarded-Proto: https")
		}},
		{"X-Forwarded-Prefix", reflecting("Cache-Control", "max-age=60"), func(d string) []byte {
			return rawGet(d+"r", "Host: "+victimHost, "X-Forwarded-Prefix: //evil.example")
		}},
		{"X-Forwarded-Host twice", reflecting("Cache-Control", "max-age=60"), func(d string) []byte {
			return rawGet(d+"r", "Host: "+victimHost, "X-Forwarded-Host: evil.example", "X-Forwarded-Host: evil2.example")
		}},
		{"Connection naming X-Forwarded-Host (hop-by-hop stripping of the gateway's own)", reflecting("Cache-Control", "max-age=60"), func(d string) []byte {
			return []byte("GET " + d + "r HTTP/1.1\r\nHost: " + victimHost + "\r\nConnection: close, X-Forwarded-Host, X-Forwarded-Proto, X-Real-Ip\r\n\r\n")
		}},
		{"a chunked GET body (fat GET)", reflecting("Cache-Control", "max-age=60"), func(d string) []byte {
			return []byte("GET " + d + "r HTTP/1.1\r\nHost: " + victimHost + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nevil\r\n0\r\n\r\n")
		}},
	}
	for i, tt := range attacks {
		dir := fmt.Sprintf("/held/%d/", i+1)
		o.script(dir, tt.script)
		t.Run(tt.name, func(t *testing.T) {
			a := rawRequest(t, gw.ports.HTTP, tt.raw(dir))
			v := do(t, noRedirect(c), "GET", gw.url(dir+"r"), nil, "Host", victimHost)
			uri, host := bodyFields(v.Body)
			if v.Status != 200 || strings.Contains(v.Body, "evil") || uri != dir+"r" || host != victimHost {
				t.Errorf("POISONED: the victim got %d %q Location %q (Cache-Status %q); the attacker got %d %q",
					v.Status, v.Body, v.Header.Get("Location"), v.Header.Values("Cache-Status"), a.Status, a.Body)
			}
		})
	}
}
