package authn

import (
	"context"
	"testing"
	"time"
)

func TestJWTRemembersAVerifiedTokenOnlyWhileWhatMadeItValidHolds(t *testing.T) {
	is := newIssuer(t, "rsa", "ec")
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.RefreshEvery = 15 * time.Minute })
	ctx := context.Background()
	tok := sign(t, "rsa", claimsAt(c.now()))
	for range 5 {
		id, err := v.Verify(ctx, tok)
		if err != nil || id.Consumer != "alice" {
			t.Fatalf("Verify = %+v, %v", id, err)
		}
	}
	if h := v.verified.hits.Load(); h != 4 {
		t.Errorf("%d of 5 verifications of one token were remembered, want 4", h)
	}

	// The key leaves the JWKS: once the keys are refreshed, the remembered
	// token goes with it, as an unremembered one would.
	is.publish("ec")
	c.advance(20 * time.Minute) // within exp, past RefreshEvery
	if reason, _ := reasonOf(t, second(v.Verify(ctx, tok))); reason != ReasonUnknownKey {
		t.Errorf("a token whose key was rotated out: reason %q, want unknown_key", reason)
	}

	// A token remembered, then past its exp.
	tok = sign(t, "ec", claimsAt(c.now()))
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	c.advance(time.Hour + DefaultClockSkew)
	if reason, _ := reasonOf(t, second(v.Verify(ctx, tok))); reason != ReasonExpired {
		t.Errorf("a remembered token past exp: reason %q, want expired", reason)
	}
}

func TestTheMemoryOfVerifiedTokensIsBounded(t *testing.T) {
	v := newVerified(time.Second, time.Hour)
	v.max = 100
	set := &keySet{fetched: time.Now()}
	exp := time.Now().Add(time.Hour)
	for i := range 1000 {
		v.put(string(rune(i))+"-token", Identity{Consumer: "x"}, set, time.Time{}, exp)
	}
	n := 0
	v.m.Load().Range(func(any, any) bool { n++; return true })
	if n > 100 {
		t.Errorf("%d tokens remembered, want at most 100", n)
	}
}
