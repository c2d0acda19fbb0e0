package authn

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzJWTVerify feeds arbitrary strings to a verifier whose JWKS holds one
// RSA key. Verify must never panic, must refuse with an *Error, and must
// accept only a token whose signature the test key verifies, checked here
// independently of golang-jwt with crypto/rsa.
func FuzzJWTVerify(f *testing.F) {
	is := newIssuerTB(f, "rsa")
	c := newClock()
	v, err := newJWT(JWTConfig{JWKSURL: is.srv.URL, RefreshMin: time.Hour, RefreshEvery: 1000 * time.Hour}, c.now)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)
	good := sign(f, "rsa", claimsAt(c.now()))
	if _, err := v.Verify(context.Background(), good); err != nil { // loads the keys
		f.Fatalf("Verify: %v", err)
	}
	parts := strings.Split(good, ".")
	for _, seed := range []string{
		good,
		parts[0] + "." + parts[1] + ".",
		unsigned(`{"alg":"none","kid":"rsa"}`, `{"sub":"x","exp":4102444800}`),
		unsigned(`{"alg":"HS256","kid":"rsa"}`, `{"sub":"x","exp":4102444800}`) + "AAAA",
		sign(f, "attacker", claimsAt(c.now()), func(tk *jwt.Token) { tk.Header["kid"] = "rsa" }),
		sign(f, "rsa", claimsAt(c.now()), func(tk *jwt.Token) { tk.Header["jku"] = "http://127.0.0.1:1/" }),
		"", ".", "..", "a.b.c", "eyJ.eyJ.", strings.Repeat("A", 9000),
	} {
		f.Add(seed)
	}
	pub := fixtureKeys()["rsa"].priv.Public().(*rsa.PublicKey)
	f.Fuzz(func(t *testing.T, token string) {
		id, err := v.Verify(context.Background(), token)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, not *Error", err, err)
			}
			return
		}
		if !signedBy(token, pub) {
			t.Fatalf("accepted a token not signed by the test key: %q (identity %+v)", token, id)
		}
	})
}

// signedBy reports whether token is an RS256 JWS whose signature pub verifies.
func signedBy(token string, pub *rsa.PublicKey) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return false
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return false
	}
	var h struct{ Alg string }
	if json.Unmarshal(hdr, &h) != nil || h.Alg != "RS256" {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
}
