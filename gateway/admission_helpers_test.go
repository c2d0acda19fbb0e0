package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bulwark-gw/bulwark/internal/authn"
	"github.com/bulwark-gw/bulwark/policies"
)

// admitHarness serves route / of service "svc" at up under the policy keys
// set, with the consumers given.
func admitHarness(t testing.TB, up *upstream, set map[string]any, consumers map[string]Consumer, mods ...func(*Config)) *harness {
	t.Helper()
	cfg := Config{
		Routes:    []Route{{Path: "/", Service: "svc"}},
		Policies:  map[string]policies.Policy{"svc": cachePolicy(t, set)},
		Consumers: consumers,
	}
	for _, m := range mods {
		m(&cfg)
	}
	return newHarness(t, cfg, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
}

// keyOf is a consumer with one API key, stored hashed as the file stores it.
func keyOf(key string) Consumer { return Consumer{APIKeys: []string{authn.HashAPIKey(key)}} }

// issuer is a JWT issuer for tests: one RSA key, its JWKS served over real
// HTTP on loopback, and a count of the fetches.
type issuer struct {
	key     *rsa.PrivateKey
	srv     *httptest.Server
	fetches atomic.Int64
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: k}
	b64 := base64.RawURLEncoding.EncodeToString
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()),
	}}})
	is.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		is.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(jwks)
	}))
	t.Cleanup(is.srv.Close)
	return is
}

// token signs claims (with exp an hour ahead unless given) with the key.
func (is *issuer) token(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	if _, ok := claims["exp"]; !ok {
		claims["exp"] = time.Now().Add(time.Hour).Unix()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(is.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
