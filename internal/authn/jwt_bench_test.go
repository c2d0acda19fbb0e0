package authn

import (
	"context"
	"testing"
)

// BenchmarkJWTVerify is one bearer token's verification: "signature" checks
// a token never seen (a new token every time, as the first request of each
// client), "remembered" the same token again (every later request). The
// gateway's BenchmarkAdmission has the cost of either against a request
// without authentication, over sockets.
func BenchmarkJWTVerify(b *testing.B) {
	is := newIssuerTB(b, "rsa", "ec")
	c := newClock()
	for _, kid := range []string{"rsa", "ec"} {
		b.Run(kid+"/signature", func(b *testing.B) {
			v, err := newJWT(JWTConfig{JWKSURL: is.srv.URL}, c.now)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(v.Close)
			toks := make([]string, 256)
			for i := range toks {
				claims := claimsAt(c.now())
				claims["jti"] = i
				toks[i] = sign(b, kid, claims)
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v.verified.m.Load().Clear() // never remembered
				if _, err := v.Verify(context.Background(), toks[i%len(toks)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run(kid+"/remembered", func(b *testing.B) {
			v, err := newJWT(JWTConfig{JWKSURL: is.srv.URL}, c.now)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(v.Close)
			tok := sign(b, kid, claimsAt(c.now()))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
