package test

// JSON Web Token attacks through the real binary: a test issuer with RSA and
// EC keys made here, its JWKS on loopback counting fetches, and an upstream
// that counts what reached it. The properties: only a token signed by a key
// of the configured JWKS, for the configured issuer and audience, in its time
// window, in the Authorization header, admits a request; nothing else reaches
// the upstream; the gateway never fetches keys from an address a token names;
// unknown key IDs cannot make it hammer the JWKS; nothing answers 5xx.

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// jwtGateway is a gateway whose /orders route needs a JWT of p.
func jwtGateway(t *testing.T, p *idp, up *recorder) *proc {
	t.Helper()
	return startServe(t, admissionConfig(false, fmt.Sprintf(`discovery:
  static:
    - service: orders
      instances: [%q]
routes:
  - path: /orders
    service: orders
services:
  orders:
    auth:
      jwt:
        jwks_url: %q
        issuer: %q
        audiences: [%q]
`, up.Addr(), p.JWKSURL(), idpIssuer, idpAudience)))
}

// admitted tracks the client's 2xx answers, which must equal the upstream's count.
type jwtProbe struct {
	t        *testing.T
	c        *http.Client
	gw       *proc
	up       *recorder
	admitted int64
}

// send GETs /orders with the header pairs and checks the invariants every
// answer holds: no 5xx, a refusal is problem+json with a Bearer challenge,
// an admission reached the upstream without the credential.
func (pr *jwtProbe) send(path string, header ...string) response {
	pr.t.Helper()
	before := pr.up.count.Load()
	r := do(pr.t, pr.c, "GET", pr.gw.url(path), nil, header...)
	switch {
	case r.Status >= 500:
		pr.t.Errorf("GET %s %v: %d %s; never 5xx", path, short(header), r.Status, r.Body)
	case r.Status == 200:
		pr.admitted++
		last := pr.up.Last()
		if pr.up.count.Load() != before+1 {
			pr.t.Errorf("GET %s: 200 but the upstream count went %d → %d", path, before, pr.up.count.Load())
		}
		if v := last.Header.Values("Authorization"); len(v) > 0 {
			pr.t.Errorf("GET %s: the upstream received the credential %q", path, v)
		}
	case r.Status == 401:
		if !isProblem(r) {
			pr.t.Errorf("GET %s: 401 with Content-Type %q, want application/problem+json", path, r.Header.Get("Content-Type"))
		}
		if !strings.Contains(strings.ToLower(strings.Join(r.Header.Values("WWW-Authenticate"), ",")), "bearer") {
			pr.t.Errorf("GET %s: 401 without a Bearer challenge: %q", path, r.Header.Values("WWW-Authenticate"))
		}
	}
	return r
}

// short keeps a long token out of failure messages.
func short(header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		if len(h) > 60 {
			h = h[:60] + fmt.Sprintf("…(%d bytes)", len(h))
		}
		out[i] = h
	}
	return out
}

func TestAdmissionJWTAttacks(t *testing.T) {
	p := newIDP(t)
	up := newRecorder(t, nil)
	gw := jwtGateway(t, p, up)
	pr := &jwtProbe{t: t, c: newClient(t), gw: gw, up: up}
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	// The good ones: RSA and EC, the consumer from sub, the credential removed.
	for name, tok := range map[string]string{"RS256": p.RS256(claims("alice")), "ES256": p.ES256(claims("alice"))} {
		if r := pr.send("/orders/1", bearer(tok)...); r.Status != 200 {
			t.Fatalf("a valid %s token: %d %s", name, r.Status, r.Body)
		}
		if got := up.Last().Header.Get("X-Consumer"); got != "alice" {
			t.Errorf("%s: upstream X-Consumer %q, want alice", name, got)
		}
	}
	fetchesAfterStart := p.fetches.Load()
	if fetchesAfterStart < 1 {
		t.Fatalf("the JWKS was never fetched, yet tokens were admitted")
	}

	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other := newCounter(t) // a jku/x5u the attacker controls: must see nothing
	now := time.Now()
	p.mu.Lock()
	rsaKid := p.rsaKid
	p.mu.Unlock()
	attackerJWK := map[string]any{"kty": "RSA", "kid": "evil", "n": b64(attacker.N.Bytes()), "e": b64(big.NewInt(int64(attacker.E)).Bytes())}
	signWith := func(key *rsa.PrivateKey, kid string, c jwt.MapClaims, hdr map[string]any) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
		tok.Header["kid"] = kid
		for k, v := range hdr {
			tok.Header[k] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	refused := []struct {
		name   string
		header []string
		path   string
	}{
		{"no credential", nil, "/orders/1"},
		{"expired an hour ago", bearer(p.RS256(claims("alice", "exp", now.Add(-time.Hour).Unix()))), ""},
		{"not valid for another hour (nbf)", bearer(p.RS256(claims("alice", "nbf", now.Add(time.Hour).Unix()))), ""},
		{"no exp at all", bearer(p.RS256(jwt.MapClaims{"iss": idpIssuer, "aud": idpAudience, "sub": "alice"})), ""},
		{"wrong audience", bearer(p.RS256(claims("alice", "aud", "billing"))), ""},
		{"wrong issuer", bearer(p.ES256(claims("alice", "iss", "https://evil.test/"))), ""},
		{"alg none, empty signature", bearer(rawToken(map[string]any{"alg": "none", "typ": "JWT", "kid": rsaKid}, claims("alice"), "")), ""},
		{"alg None", bearer(rawToken(map[string]any{"alg": "None", "kid": rsaKid}, claims("alice"), "")), ""},
		{"alg none with a signature kept", bearer(rawToken(map[string]any{"alg": "none", "kid": rsaKid}, claims("alice"), strings.Split(p.RS256(claims("alice")), ".")[2])), ""},
		{"signed by a key not in the JWKS under a known kid", bearer(signWith(attacker, rsaKid, claims("alice"), nil)), ""},
		{"embedded jwk header", bearer(signWith(attacker, "evil", claims("alice"), map[string]any{"jwk": attackerJWK})), ""},
		{"jku pointing at another server", bearer(signWith(attacker, "evil-jku", claims("alice"), map[string]any{"jku": other.srv.URL + "/jwks.json"})), ""},
		{"x5u pointing at another server", bearer(signWith(attacker, "evil-x5u", claims("alice"), map[string]any{"x5u": other.srv.URL + "/cert.pem"})), ""},
		{"a valid token's payload swapped for another sub", bearer(swapPayload(p.RS256(claims("alice")), claims("root"))), ""},
		{"a token in access_token query", nil, "/orders/1?access_token=" + p.RS256(claims("alice"))},
		{"a token in a jwt query", nil, "/orders/1?jwt=" + p.RS256(claims("alice"))},
		{"Basic instead of Bearer", []string{"Authorization", "Basic " + p.RS256(claims("alice"))}, ""},
		{"Bearer with nothing", []string{"Authorization", "Bearer "}, ""},
		{"Bearer garbage", []string{"Authorization", "Bearer a.b.c"}, ""},
		{"a 64 KiB token", bearer(p.RS256(claims("alice", "pad", strings.Repeat("A", 64<<10)))), ""},
		{"64 KiB of junk", bearer(strings.Repeat("x", 64<<10)), ""},
	}
	for _, secret := range p.rsaPublicSecrets() {
		refused = append(refused, struct {
			name   string
			header []string
			path   string
		}{"HS256 signed with the RSA public key's bytes", bearer(hmacToken(t, rsaKid, secret, claims("alice"))), ""})
	}
	for _, c := range refused {
		path := c.path
		if path == "" {
			path = "/orders/1"
		}
		r := pr.send(path, c.header...)
		if r.Status != 401 {
			t.Errorf("%s: %d %s, want 401", c.name, r.Status, r.Body)
		}
	}
	if n := other.n.Load(); n != 0 {
		t.Errorf("the server a token's jku/x5u named received %d requests, want 0", n)
	}

	// Scheme spelling: RFC 7235 makes the scheme case-insensitive. Whatever
	// the gateway decides, the invariants of send hold (no 5xx; an admission
	// carries the right consumer and no credential).
	good := p.ES256(claims("alice"))
	for _, v := range []string{"bearer " + good, "BEARER " + good, "Bearer  " + good, "Bearer\t" + good, " Bearer " + good, "Bearer " + good + " "} {
		r := pr.send("/orders/1", "Authorization", v)
		if r.Status == 200 {
			if got := up.Last().Header.Get("X-Consumer"); got != "alice" {
				t.Errorf("Authorization %q admitted as %q", short([]string{v}), got)
			}
		} else if r.Status != 401 {
			t.Errorf("Authorization %q: %d, want 200 or 401", short([]string{v}), r.Status)
		}
		t.Logf("Authorization %q → %d", short([]string{v})[0], r.Status)
	}

	// An unknown-kid storm: 200 tokens with random kids (validly signed by
	// the attacker) must not make the gateway fetch the JWKS more than the
	// documented once per 30 s (a second allowed for a window edge).
	before := p.fetches.Load()
	for i := range 200 {
		kid := fmt.Sprintf("storm-%d-%d", i, time.Now().UnixNano())
		if r := pr.send("/orders/1", bearer(signWith(attacker, kid, claims("alice"), nil))...); r.Status != 401 {
			t.Fatalf("storm token %d: %d, want 401", i, r.Status)
		}
	}
	if extra := p.fetches.Load() - before; extra > 2 {
		t.Errorf("200 unknown kids caused %d JWKS fetches, want at most 2", extra)
	}

	// Rotation: the issuer publishes new keys; a token under a new kid is
	// admitted once the gateway refetches (at most once per 30 s, so the
	// poll allows 45 s), and a token of a key no longer published is not.
	oldTok := p.RS256(claims("alice"))
	p.Rotate()
	newTok := p.RS256(claims("bob"))
	var last response
	if !eventually(45*time.Second, func() bool {
		last = pr.send("/orders/1", bearer(newTok)...)
		if last.Status == 200 {
			return true
		}
		time.Sleep(time.Second)
		return false
	}) {
		t.Fatalf("a token under the rotated key was never admitted: %d %s", last.Status, last.Body)
	}
	if got := up.Last().Header.Get("X-Consumer"); got != "bob" {
		t.Errorf("after rotation X-Consumer %q, want bob", got)
	}
	if r := pr.send("/orders/1", bearer(oldTok)...); r.Status != 401 {
		t.Errorf("a token of the withdrawn key after rotation: %d, want 401", r.Status)
	}

	if got := up.count.Load(); got != pr.admitted {
		t.Errorf("the upstream received %d requests, but only %d were admitted", got, pr.admitted)
	}
	gw.checkNoRace()
}

// swapPayload keeps a token's header and signature and replaces its payload.
func swapPayload(tok string, c jwt.MapClaims) string {
	parts := strings.Split(tok, ".")
	forged := rawToken(map[string]any{"alg": "RS256"}, c, "")
	parts[1] = strings.Split(forged, ".")[1]
	return strings.Join(parts, ".")
}
