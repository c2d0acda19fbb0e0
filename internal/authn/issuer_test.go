package authn

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// testKey is one signing key of the test issuer.
type testKey struct {
	kid    string
	alg    string // the alg published in the JWK; "" publishes none
	method jwt.SigningMethod
	priv   crypto.Signer
}

// fixtureKeys generates the test keys once per test binary: RSA key
// generation is slow under -race, and the keys are never mutated.
var fixtureKeys = sync.OnceValue(func() map[string]testKey {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	r2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	r3, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	e384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]testKey{
		"rsa":      {kid: "rsa", alg: "RS256", method: jwt.SigningMethodRS256, priv: r},
		"rsa-ps":   {kid: "rsa-ps", alg: "", method: jwt.SigningMethodPS256, priv: r2},
		"ec":       {kid: "ec", alg: "ES256", method: jwt.SigningMethodES256, priv: e},
		"ec384":    {kid: "ec384", alg: "ES384", method: jwt.SigningMethodES384, priv: e384},
		"ed":       {kid: "ed", alg: "EdDSA", method: jwt.SigningMethodEdDSA, priv: ed},
		"attacker": {kid: "attacker", alg: "RS256", method: jwt.SigningMethodRS256, priv: r3},
	}
})

// testIssuer serves a JWKS on loopback and signs tokens with its keys. It
// counts fetches; tests change what it publishes or make it fail.
type testIssuer struct {
	srv     *httptest.Server
	fetches atomic.Int64

	mu        sync.Mutex
	published []string                                     // kids in the JWKS
	handler   func(w http.ResponseWriter, r *http.Request) // overrides the JWKS when set
}

// newIssuer starts an issuer publishing the given kids (all but "attacker"
// when none are given).
func newIssuer(t *testing.T, kids ...string) *testIssuer {
	t.Helper()
	return newIssuerTB(t, kids...)
}

// newIssuerTB is newIssuer for fuzz targets and benchmarks too.
func newIssuerTB(t testing.TB, kids ...string) *testIssuer {
	t.Helper()
	if len(kids) == 0 {
		kids = []string{"rsa", "rsa-ps", "ec", "ec384", "ed"}
	}
	is := &testIssuer{published: kids}
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		is.mu.Lock()
		h := is.handler
		kids := append([]string(nil), is.published...)
		is.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(jwksFor(t, kids...))
	}))
	t.Cleanup(is.srv.Close)
	return is
}

// publish replaces the published kids.
func (is *testIssuer) publish(kids ...string) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.published = kids
}

// serve makes the JWKS endpoint answer with h instead; nil restores it.
func (is *testIssuer) serve(h func(w http.ResponseWriter, r *http.Request)) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.handler = h
}

// jwksFor returns the JWKS document of the given fixture kids.
func jwksFor(t testing.TB, kids ...string) []byte {
	t.Helper()
	var doc jwkset.JWKSMarshal
	for _, kid := range kids {
		k := fixtureKeys()[kid]
		jwk, err := jwkset.NewJWKFromKey(k.priv.Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig},
		})
		if err != nil {
			t.Fatalf("making jwk %s: %v", kid, err)
		}
		doc.Keys = append(doc.Keys, jwk.Marshal())
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign returns a token signed with the fixture key kid, with the kid header
// set, after applying mods to the unsigned token.
func sign(t testing.TB, kid string, claims jwt.MapClaims, mods ...func(*jwt.Token)) string {
	t.Helper()
	k := fixtureKeys()[kid]
	tok := jwt.NewWithClaims(k.method, claims)
	tok.Header["kid"] = kid
	for _, m := range mods {
		m(tok)
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatalf("signing: %v", err)
	}
	return s
}

// testClock is a settable clock shared by the verifier and the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// claimsAt returns valid claims for a token issued at now, living an hour.
func claimsAt(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "alice",
		"iss": "https://issuer.test",
		"aud": []string{"bulwark"},
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

// newVerifier returns a verifier of is's JWKS on clock c, closed at cleanup.
func newVerifier(t *testing.T, is *testIssuer, c *testClock, mods ...func(*JWTConfig)) *JWT {
	t.Helper()
	cfg := JWTConfig{
		JWKSURL:      is.srv.URL + "/jwks.json",
		Issuer:       "https://issuer.test",
		Audiences:    []string{"other", "bulwark"},
		RefreshMin:   time.Minute,
		RefreshEvery: time.Hour,
	}
	for _, m := range mods {
		m(&cfg)
	}
	v, err := newJWT(cfg, c.now)
	if err != nil {
		t.Fatalf("newJWT: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

// reasonOf returns the Reason and Status of err, which must be an *Error.
func reasonOf(t testing.TB, err error) (string, int) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e.Reason, e.Status
}
