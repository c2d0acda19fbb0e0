package test

// Shared parts of the admission tests (admission_*_test.go): a config
// renderer, hashed consumer credentials, an upstream that records what
// reached it (and what should not have), and a test identity provider that
// signs JSON Web Tokens with keys made in the test and serves its JWKS over
// loopback HTTP, counting every fetch.

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// admissionConfig renders a config: the listeners, the admin token, quiet
// logs, retries/breakers/ejection off (so upstream counts are client
// requests), the portal off unless portal is set, then body (top-level YAML:
// discovery, routes, services, consumers, redis, server).
func admissionConfig(portal bool, body string) func(p ports) string {
	return func(p ports) string {
		var b strings.Builder
		fmt.Fprintf(&b, "listen:\n  http: %q\n", p.HTTP)
		fmt.Fprintf(&b, "admin:\n  listen: %q\n  token: %q\n", p.Admin, adminToken)
		b.WriteString("log:\n  level: info\n  access_log: false\n")
		if !portal {
			b.WriteString("portal:\n  path: \"\"\n")
		}
		b.WriteString("defaults:\n  retries: {attempts: 1}\n  breaker: {failures: 0}\n  outlier: {consecutive_failures: 0}\n")
		b.WriteString(body)
		return b.String()
	}
}

// apiKeyHash is the form consumers.NAME.api_keys holds (what `bulwark hash
// api-key` prints for a key piped in).
func apiKeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// hashWithBinary pipes secret into `bulwark hash KIND` and returns the hash
// line it prints: the tests use the command operators use.
func hashWithBinary(t *testing.T, kind, secret string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "hash", kind)
	cmd.Stdin = strings.NewReader(secret + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("bulwark hash %s: %v\n%s", kind, err, errb.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if h, ok := strings.CutPrefix(line, "hash: "); ok {
			return strings.TrimSpace(h)
		}
	}
	t.Fatalf("bulwark hash %s printed no hash line: %q", kind, out.String())
	return ""
}

// recorder is an upstream that records every client request (the catalog's
// own fetches excepted) and answers 200 with "ok METHOD URI", or with what
// script says. Tests count on it that a refused request never arrived.
type recorder struct {
	srv    *httptest.Server
	count  atomic.Int64
	mu     sync.Mutex
	reqs   []recorded
	script func(w http.ResponseWriter, r *http.Request) bool // true: answered
}

type recorded struct {
	Method, URI string
	Header      http.Header
	Body        string
}

func newRecorder(t *testing.T, script func(w http.ResponseWriter, r *http.Request) bool) *recorder {
	rec := &recorder{script: script}
	rec.srv = httptest.NewServer(http.HandlerFunc(rec.serve))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (rec *recorder) Addr() string { return rec.srv.Listener.Addr().String() }

func (rec *recorder) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") {
		if rec.script != nil && rec.script(w, r) {
			return
		}
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	rec.count.Add(1)
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, recorded{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: string(b)})
	rec.mu.Unlock()
	if rec.script != nil && rec.script(w, r) {
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "ok %s %s", r.Method, r.RequestURI)
}

// Requests returns what arrived, in order.
func (rec *recorder) Requests() []recorded {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]recorded(nil), rec.reqs...)
}

// Last is the latest request (the zero value if none).
func (rec *recorder) Last() recorded {
	rs := rec.Requests()
	if len(rs) == 0 {
		return recorded{}
	}
	return rs[len(rs)-1]
}

// idp is a test identity provider: an RSA and an EC key with key IDs, and a
// JWKS endpoint on loopback that counts fetches. Rotate swaps in new keys.
type idp struct {
	t       *testing.T
	srv     *httptest.Server
	fetches atomic.Int64

	mu     sync.Mutex
	rsaKey *rsa.PrivateKey
	ecKey  *ecdsa.PrivateKey
	rsaKid string
	ecKid  string
	gen    int
}

const (
	idpIssuer   = "https://idp.test/"
	idpAudience = "orders"
)

func newIDP(t *testing.T) *idp {
	p := &idp{t: t}
	p.Rotate()
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(p.jwks())
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// JWKSURL is where the gateway fetches the keys.
func (p *idp) JWKSURL() string { return p.srv.URL + "/jwks.json" }

// Rotate replaces both keys by new ones with new key IDs; the JWKS then
// publishes only the new keys.
func (p *idp) Rotate() {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		p.t.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	p.rsaKey, p.ecKey = r, e
	p.rsaKid, p.ecKid = fmt.Sprintf("rsa-%d", p.gen), fmt.Sprintf("ec-%d", p.gen)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *idp) jwks() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	ecx := make([]byte, 32)
	ecy := make([]byte, 32)
	p.ecKey.X.FillBytes(ecx)
	p.ecKey.Y.FillBytes(ecy)
	keys := []map[string]string{
		{"kty": "RSA", "kid": p.rsaKid, "use": "sig", "alg": "RS256",
			"n": b64(p.rsaKey.N.Bytes()), "e": b64(big.NewInt(int64(p.rsaKey.E)).Bytes())},
		{"kty": "EC", "kid": p.ecKid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(ecx), "y": b64(ecy)},
	}
	b, _ := json.Marshal(map[string]any{"keys": keys})
	return b
}

// claims are a valid token's claims for sub: issuer, audience, an hour to go.
func claims(sub string, extra ...any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": idpIssuer, "aud": idpAudience, "sub": sub,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

// RS256 signs c with the RSA key under its kid; header pairs override the header.
func (p *idp) RS256(c jwt.MapClaims, header ...string) string {
	p.mu.Lock()
	key, kid := p.rsaKey, p.rsaKid
	p.mu.Unlock()
	return p.sign(jwt.SigningMethodRS256, key, kid, c, header...)
}

// ES256 signs c with the EC key under its kid.
func (p *idp) ES256(c jwt.MapClaims, header ...string) string {
	p.mu.Lock()
	key, kid := p.ecKey, p.ecKid
	p.mu.Unlock()
	return p.sign(jwt.SigningMethodES256, key, kid, c, header...)
}

func (p *idp) sign(m jwt.SigningMethod, key crypto.Signer, kid string, c jwt.MapClaims, header ...string) string {
	tok := jwt.NewWithClaims(m, c)
	tok.Header["kid"] = kid
	for i := 0; i+1 < len(header); i += 2 {
		tok.Header[header[i]] = header[i+1]
	}
	s, err := tok.SignedString(key)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// rsaPublicPEMish is the RSA public key's bytes as an attacker who read the
// JWKS would use them as an HMAC secret: the modulus, and a PEM-like text.
func (p *idp) rsaPublicSecrets() [][]byte {
	p.mu.Lock()
	n := p.rsaKey.N.Bytes()
	p.mu.Unlock()
	return [][]byte{n, []byte(b64(n)), p.jwks()}
}

// rawToken assembles header.payload.signature from JSON values, for tokens
// no library would sign (alg none).
func rawToken(header, payload map[string]any, sig string) string {
	h, _ := json.Marshal(header)
	pl, _ := json.Marshal(payload)
	return b64(h) + "." + b64(pl) + "." + sig
}

// hmacToken is c signed HS256 with secret under kid (algorithm confusion).
func hmacToken(t *testing.T, kid string, secret []byte, c jwt.MapClaims) string {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// counter is an HTTP server that only counts the requests it gets: where a
// test checks the gateway never called an address.
type counter struct {
	srv *httptest.Server
	n   atomic.Int64
}

func newCounter(t *testing.T) *counter {
	c := &counter{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"keys":[]}`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// adminGet reads an admin API path with the admin token.
func adminGet(t *testing.T, c *http.Client, pr *proc, path string) response {
	t.Helper()
	return do(t, c, "GET", pr.adminURL(path), nil, "Authorization", "Bearer "+adminToken)
}

// isProblem reports whether a response is application/problem+json.
func isProblem(r response) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json")
}
