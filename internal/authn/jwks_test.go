package authn

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

func TestJWKSAcceptsANewKidAfterOneRefetch(t *testing.T) {
	is := newIssuer(t, "rsa")
	c := newClock()
	v := newVerifier(t, is, c)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	is.publish("rsa", "ec")
	c.advance(time.Minute) // RefreshMin
	for range 3 {
		if _, err := v.Verify(ctx, sign(t, "ec", claimsAt(c.now()))); err != nil {
			t.Fatalf("Verify with the new kid: %v", err)
		}
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestJWKSRefusesARemovedKidAfterTheKeysAreRefreshed(t *testing.T) {
	is := newIssuer(t, "rsa", "ec")
	c := newClock()
	v := newVerifier(t, is, c)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	is.publish("ec")
	c.advance(time.Hour) // RefreshEvery
	if reason, _ := reasonOf(t, second(v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))))); reason != ReasonUnknownKey {
		t.Fatalf("removed kid refused with %s, want unknown_key", reason)
	}
	if _, err := v.Verify(ctx, sign(t, "ec", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify with the remaining kid: %v", err)
	}
}

func TestJWKSIgnoresKeysTheTokenBringsOrPointsAt(t *testing.T) {
	var elsewhere atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write(jwksFor(t, "attacker"))
	}))
	t.Cleanup(other.Close)
	is := newIssuer(t, "rsa")
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.RefreshMin = time.Nanosecond })

	jwk, err := jwkset.NewJWKFromKey(fixtureKeys()["attacker"].priv.Public(), jwkset.JWKOptions{
		Metadata: jwkset.JWKMetadataOptions{KID: "attacker", ALG: "RS256"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var embedded map[string]any
	b, _ := json.Marshal(jwk.Marshal())
	_ = json.Unmarshal(b, &embedded)

	tests := []struct {
		name   string
		kid    string
		header map[string]any
		reason string
	}{
		{"an embedded jwk under an unknown kid", "attacker", map[string]any{"jwk": embedded}, ReasonUnknownKey},
		{"an embedded jwk under a known kid", "rsa", map[string]any{"jwk": embedded}, ReasonBadSignature},
		{"a jku pointing at another server", "attacker", map[string]any{"jku": other.URL}, ReasonUnknownKey},
		{"an x5u pointing at another server", "attacker", map[string]any{"x5u": other.URL}, ReasonUnknownKey},
		{"a jku under a known kid", "rsa", map[string]any{"jku": other.URL}, ReasonBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c.advance(time.Second)
			tok := sign(t, "attacker", claimsAt(c.now()), func(tk *jwt.Token) {
				tk.Header["kid"] = tc.kid
				for k, x := range tc.header {
					tk.Header[k] = x
				}
			})
			if reason, _ := reasonOf(t, second(v.Verify(context.Background(), tok))); reason != tc.reason {
				t.Fatalf("refused with %s, want %s", reason, tc.reason)
			}
		})
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the other server was asked %d times", n)
	}
}

func TestJWKSFetchesAtMostOncePerRefreshMinInAnUnknownKidStorm(t *testing.T) {
	is := newIssuer(t, "ec")
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.RefreshMin = 30 * time.Second })
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, "ec", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	c.advance(30 * time.Second)
	var wg sync.WaitGroup
	var unknown atomic.Int64
	for i := range 200 {
		tok := sign(t, "ec", claimsAt(c.now()), func(tk *jwt.Token) { tk.Header["kid"] = fmt.Sprintf("random-%d", i) })
		wg.Go(func() {
			if e, ok := second(v.Verify(ctx, tok)).(*Error); ok && e.Reason == ReasonUnknownKey {
				unknown.Add(1)
			}
		})
	}
	wg.Wait()
	if n := is.fetches.Load(); n > 2 {
		t.Fatalf("JWKS fetched %d times, want at most 2 (the first and one refresh)", n)
	}
	if n := unknown.Load(); n != 200 {
		t.Fatalf("%d of 200 random kids refused as unknown_key", n)
	}
	// Within the same RefreshMin, no more fetches.
	before := is.fetches.Load()
	for i := range 20 {
		tok := sign(t, "ec", claimsAt(c.now()), func(tk *jwt.Token) { tk.Header["kid"] = fmt.Sprintf("again-%d", i) })
		_, _ = v.Verify(ctx, tok)
	}
	if n := is.fetches.Load(); n != before {
		t.Fatalf("JWKS fetched %d more times within RefreshMin", n-before)
	}
}

func TestJWKSCoalescesConcurrentMissesIntoOneFetch(t *testing.T) {
	is := newIssuer(t, "ed")
	release := make(chan struct{})
	is.serve(func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = w.Write(jwksFor(t, "ed"))
	})
	c := newClock()
	v := newVerifier(t, is, c, func(cfg *JWTConfig) { cfg.RefreshMin = time.Nanosecond })
	tok := sign(t, "ed", claimsAt(c.now()))
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 50 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); err == nil {
				ok.Add(1)
			}
		})
	}
	waitFor(t, func() bool { return is.fetches.Load() >= 1 })
	close(release)
	wg.Wait()
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	if n := ok.Load(); n != 50 {
		t.Fatalf("%d of 50 verifications succeeded", n)
	}
}

func TestJWKSUnavailableWhenNoKeysCanBeFetched(t *testing.T) {
	huge := `{"keys":[` + strings.Repeat(" ", maxJWKSBytes) + `]}`
	redirectTarget := newIssuer(t, "rsa")
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request)
	}{
		{"the JWKS server answers 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) }},
		{"the JWKS server answers garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }},
		{"the JWKS has no usable key", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"rsa"}]}`))
		}},
		{"the JWKS body is over 1 MiB", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(huge)) }},
		{"the JWKS server redirects", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, redirectTarget.srv.URL, http.StatusFound)
		}},
		{"the connection is cut", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			is := newIssuer(t)
			is.serve(tc.handler)
			c := newClock()
			v := newVerifier(t, is, c)
			_, err := v.Verify(context.Background(), sign(t, "rsa", claimsAt(c.now())))
			if reason, status := reasonOf(t, err); reason != ReasonUnavailable || status != http.StatusServiceUnavailable {
				t.Fatalf("refused with %s/%d (%v), want unavailable/503", reason, status, err)
			}
		})
	}
	if n := redirectTarget.fetches.Load(); n != 0 {
		t.Fatalf("the redirect was followed %d times", n)
	}
}

func TestJWKSRecoversOnceTheServerComesBackAfterRefreshMin(t *testing.T) {
	is := newIssuer(t, "rsa")
	is.serve(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 503) })
	c := newClock()
	v := newVerifier(t, is, c)
	ctx := context.Background()
	for range 5 {
		if reason, _ := reasonOf(t, second(v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))))); reason != ReasonUnavailable {
			t.Fatalf("refused with %s, want unavailable", reason)
		}
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("a down JWKS server was asked %d times within RefreshMin, want 1", n)
	}
	is.serve(nil)
	c.advance(time.Minute)
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify after recovery: %v", err)
	}
}

func TestJWKSKeepsTheLastGoodKeysWhenARefreshFails(t *testing.T) {
	is := newIssuer(t, "rsa")
	c := newClock()
	v := newVerifier(t, is, c)
	ctx := context.Background()
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	is.serve(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{garbage")) })
	c.advance(2 * time.Hour) // past RefreshEvery: the keys are stale
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify with stale keys and a failing server: %v", err)
	}
	if n := is.fetches.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2 (the refresh was tried)", n)
	}
	is.srv.Close() // down for good
	c.advance(2 * time.Hour)
	if _, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now()))); err != nil {
		t.Fatalf("Verify with the server gone: %v", err)
	}
}

func TestJWKSWaitEndsWithTheCallersContext(t *testing.T) {
	is := newIssuer(t, "rsa")
	release := make(chan struct{})
	is.serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	c := newClock()
	v := newVerifier(t, is, c)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := v.Verify(ctx, sign(t, "rsa", claimsAt(c.now())))
		done <- err
	}()
	waitFor(t, func() bool { return is.fetches.Load() >= 1 })
	cancel()
	if reason, _ := reasonOf(t, <-done); reason != ReasonUnavailable {
		t.Fatalf("refused with %s, want unavailable", reason)
	}
	v.Close() // cancels the fetch still running and waits for it
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJWKSUnavailableWhenTheServerIsNotListeningAtStart(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	c := newClock()
	v, err := newJWT(JWTConfig{JWKSURL: url + "/jwks.json"}, c.now)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	reason, status := reasonOf(t, second(v.Verify(context.Background(), sign(t, "rsa", claimsAt(c.now())))))
	if reason != ReasonUnavailable || status != http.StatusServiceUnavailable {
		t.Fatalf("refused with %s/%d, want unavailable/503", reason, status)
	}
}
