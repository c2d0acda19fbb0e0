package authn

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTAcceptsATokenOfEachKeyType(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c)
	for _, kid := range []string{"rsa", "rsa-ps", "ec", "ec384", "ed"} {
		t.Run(kid, func(t *testing.T) {
			claims := claimsAt(c.now())
			claims["scope"] = "read write"
			id, err := v.Verify(context.Background(), sign(t, kid, claims))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Consumer != "alice" || id.Method != MethodJWT || !slices.Equal(id.Scopes, []string{"read", "write"}) {
				t.Fatalf("identity = %+v", id)
			}
		})
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}

func TestJWTReadsTheConsumerAndScopesFromConfiguredClaims(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.ConsumerClaim = "client_id" })
	tests := []struct {
		name   string
		extra  jwt.MapClaims
		scopes []string
	}{
		{"scp as an array of strings", jwt.MapClaims{"scp": []string{"a", "b"}}, []string{"a", "b"}},
		{"scp as a space-separated string", jwt.MapClaims{"scp": "a b"}, []string{"a", "b"}},
		{"scope wins over scp", jwt.MapClaims{"scope": "x", "scp": "y"}, []string{"x"}},
		{"no scope claim gives no scopes", jwt.MapClaims{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := claimsAt(c.now())
			claims["client_id"] = "svc-1"
			for k, x := range tc.extra {
				claims[k] = x
			}
			id, err := v.Verify(context.Background(), sign(t, "ec", claims))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if id.Consumer != "svc-1" || !slices.Equal(id.Scopes, tc.scopes) {
				t.Fatalf("identity = %+v, want consumer svc-1 scopes %v", id, tc.scopes)
			}
		})
	}
}

// unsigned returns a hand-made token with the given header and claims JSON
// and an empty signature, as an attacker would send for alg "none".
func unsigned(header, claims string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(claims)) + "."
}

func TestJWTRefusesBadTokens(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.MaxTokenBytes = 2048 })
	now := c.now()
	with := func(k string, x any) jwt.MapClaims {
		cl := claimsAt(now)
		if x == nil {
			delete(cl, k)
		} else {
			cl[k] = x
		}
		return cl
	}
	rsaPub := fixtureKeys()["rsa"].priv.Public()
	der, err := x509.MarshalPKIXPublicKey(rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	hmacWith := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsAt(now))
		tok.Header["kid"] = "rsa"
		s, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := sign(t, "rsa", claimsAt(now))
	parts := strings.Split(good, ".")

	tests := []struct {
		name   string
		token  string
		reason string
	}{
		{"an empty token is missing", "", ReasonMissing},
		{"garbage is malformed", "not a token", ReasonMalformed},
		{"two segments are malformed", "abc.def", ReasonMalformed},
		{"a bearer prefix is malformed", "Bearer " + good, ReasonMalformed},
		{"a token over MaxTokenBytes is too large before parsing", strings.Repeat("a", 2049), ReasonTooLarge},
		{"a token signed by another key under a known kid has a bad signature", sign(t, "attacker", claimsAt(now), func(tk *jwt.Token) { tk.Header["kid"] = "rsa" }), ReasonBadSignature},
		{"a token whose payload was swapped has a bad signature", parts[0] + "." + strings.Split(sign(t, "rsa", with("sub", "mallory")), ".")[1] + "." + parts[2], ReasonBadSignature},
		{"a token whose signature was dropped has a bad signature", parts[0] + "." + parts[1] + ".", ReasonBadSignature},
		{"alg none is refused", unsigned(`{"alg":"none","typ":"JWT","kid":"rsa"}`, `{"sub":"alice","exp":4102444800}`), ReasonAlgorithm},
		{"HS256 keyed with the RSA public key's DER is refused", hmacWith(der), ReasonAlgorithm},
		{"HS256 keyed with the RSA public key's PEM is refused", hmacWith(pemBytes), ReasonAlgorithm},
		{"PS256 under a key whose JWK says RS256 is refused", sign(t, "rsa", claimsAt(now), func(tk *jwt.Token) { tk.Method = jwt.SigningMethodPS256; tk.Header["alg"] = "PS256" }), ReasonAlgorithm},
		{"ES384 under an RSA key whose JWK names no alg is refused", unsigned(`{"alg":"ES384","kid":"rsa-ps"}`, `{}`) + "AAAA", ReasonAlgorithm},
		{"a token without kid is refused when the set holds several keys", sign(t, "rsa", claimsAt(now), func(tk *jwt.Token) { delete(tk.Header, "kid") }), ReasonUnknownKey},
		{"an unknown kid is refused", sign(t, "attacker", claimsAt(now)), ReasonUnknownKey},
		{"a critical header extension is refused", sign(t, "rsa", claimsAt(now), func(tk *jwt.Token) { tk.Header["crit"] = []string{"exp"} }), ReasonMalformed},
		{"a token without exp is refused", sign(t, "rsa", with("exp", nil)), ReasonMalformed},
		{"a token without the consumer claim is refused", sign(t, "rsa", with("sub", nil)), ReasonMalformed},
		{"a token whose consumer claim is not a string is refused", sign(t, "rsa", with("sub", 42)), ReasonMalformed},
		{"an expired token is refused", sign(t, "rsa", with("exp", now.Add(-time.Minute).Unix())), ReasonExpired},
		{"a token with nbf in the future is refused", sign(t, "rsa", with("nbf", now.Add(time.Minute).Unix())), ReasonNotYetValid},
		{"a token issued in the future is refused", sign(t, "rsa", with("iat", now.Add(time.Minute).Unix())), ReasonNotYetValid},
		{"a token from another issuer is refused", sign(t, "rsa", with("iss", "https://evil.test")), ReasonWrongIssuer},
		{"a token for another audience is refused", sign(t, "rsa", with("aud", "someone-else")), ReasonWrongAudience},
		{"a token with no audience is refused", sign(t, "rsa", with("aud", nil)), ReasonWrongAudience},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := v.Verify(context.Background(), tc.token)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", id)
			}
			reason, status := reasonOf(t, err)
			if reason != tc.reason || status != http.StatusUnauthorized {
				t.Fatalf("refused with %s/%d (%v), want %s/401", reason, status, err, tc.reason)
			}
			if tc.token != "" && strings.Contains(err.Error(), tc.token) {
				t.Fatalf("error %q repeats the token", err)
			}
		})
	}
}

func TestJWTAppliesTheClockSkewAtItsBoundaries(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.ClockSkew = 10 * time.Second })
	now := c.now()
	at := func(k string, d time.Duration) string {
		cl := claimsAt(now)
		cl[k] = now.Add(d).Unix()
		return sign(t, "ec", cl)
	}
	tests := []struct {
		name   string
		token  string
		reason string // "" = accepted
	}{
		{"exp 9s ago is within the skew", at("exp", -9*time.Second), ""},
		{"exp 11s ago is beyond the skew", at("exp", -11*time.Second), ReasonExpired},
		{"nbf 9s ahead is within the skew", at("nbf", 9*time.Second), ""},
		{"nbf 11s ahead is beyond the skew", at("nbf", 11*time.Second), ReasonNotYetValid},
		{"iat 9s ahead is within the skew", at("iat", 9*time.Second), ""},
		{"iat 11s ahead is beyond the skew", at("iat", 11*time.Second), ReasonNotYetValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if reason, _ := reasonOf(t, err); reason != tc.reason {
				t.Fatalf("reason %s (%v), want %s", reason, err, tc.reason)
			}
		})
	}
}

func TestJWTExpiresATokenWhenTheClockPassesExp(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c)
	tok := sign(t, "ed", claimsAt(c.now()))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify before exp: %v", err)
	}
	c.advance(time.Hour + DefaultClockSkew + time.Second)
	if reason, _ := reasonOf(t, second(v.Verify(context.Background(), tok))); reason != ReasonExpired {
		t.Fatalf("reason %s after exp, want expired", reason)
	}
}

func TestJWTOnlyAllowsTheConfiguredAlgorithms(t *testing.T) {
	is := newIssuer(t)
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.Algorithms = []string{"RS256"} })
	if _, err := v.Verify(context.Background(), sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("RS256: %v", err)
	}
	if reason, _ := reasonOf(t, second(v.Verify(context.Background(), sign(t, "ec", claimsAt(c.now()))))); reason != ReasonAlgorithm {
		t.Fatalf("ES256 refused with %s, want algorithm", reason)
	}
}

func TestNewJWTRefusesBadConfigurations(t *testing.T) {
	tests := []struct {
		name string
		cfg  JWTConfig
	}{
		{"a missing JWKS URL", JWTConfig{}},
		{"a relative JWKS URL", JWTConfig{JWKSURL: "/jwks.json"}},
		{"a non-http JWKS URL", JWTConfig{JWKSURL: "file:///etc/jwks.json"}},
		{"alg none", JWTConfig{JWKSURL: "http://127.0.0.1/j", Algorithms: []string{"none"}}},
		{"HS256, which allows algorithm confusion", JWTConfig{JWKSURL: "http://127.0.0.1/j", Algorithms: []string{"RS256", "HS256"}}},
		{"an unknown algorithm", JWTConfig{JWKSURL: "http://127.0.0.1/j", Algorithms: []string{"RS1"}}},
		{"a negative clock skew", JWTConfig{JWKSURL: "http://127.0.0.1/j", ClockSkew: -time.Second}},
		{"a negative RefreshMin", JWTConfig{JWKSURL: "http://127.0.0.1/j", RefreshMin: -time.Second}},
		{"a negative MaxTokenBytes", JWTConfig{JWKSURL: "http://127.0.0.1/j", MaxTokenBytes: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewJWT(tc.cfg)
			if err == nil {
				v.Close()
				t.Fatal("NewJWT accepted the configuration")
			}
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
		})
	}
}

// second returns the error of a (value, error) pair.
func second[T any](_ T, err error) error { return err }

func TestJWTAcceptsATokenWithoutKidWhenTheSetHoldsOneKey(t *testing.T) {
	is := newIssuer(t, "ed")
	c := newClock()
	v := newVerifier(t, is, c)
	tok := sign(t, "ed", claimsAt(c.now()), func(tk *jwt.Token) { delete(tk.Header, "kid") })
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("Verify: %v", err)
	}
}

func TestJWTKeepsVerifyingWithFetchedKeysAfterClose(t *testing.T) {
	is := newIssuer(t, "ec")
	c := newClock()
	v := newVerifier(t, is, c)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, "ec", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	v.Close()
	c.advance(2 * time.Hour) // stale, but a closed verifier fetches no more
	if _, err := v.Verify(ctx, sign(t, "ec", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify after Close: %v", err)
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
}
