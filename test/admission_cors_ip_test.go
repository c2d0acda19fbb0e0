package test

// CORS and IP rules through the binary. CORS: the gateway answers an allowed
// preflight itself (204, the upstream never sees it, authentication not
// asked), names only the allowed origin, drops the upstream's own
// Access-Control-* headers, and `bulwark check` refuses credentials with
// origin "*" at its line. IP: the client address is the peer, unless the
// peer is a trusted proxy, and then the address that proxy appended; a
// client cannot talk its way past deny or into allow with X-Forwarded-For.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdmissionCORSPreflightAndOrigins(t *testing.T) {
	up := newRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		// A careless upstream that allows everyone.
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		return false
	})
	const origin = "https://app.example.com"
	gw := startServe(t, admissionConfig(false, fmt.Sprintf(`discovery:
  static:
    - service: api
      instances: [%q]
routes:
  - path: /api
    service: api
services:
  api:
    cors:
      origins: [%q]
      credentials: true
      headers: [X-Api-Key]
    auth:
      api_keys: {enabled: true}
consumers:
  alice:
    api_keys: [%q]
`, up.Addr(), origin, apiKeyHash("cors-key-0123456789"))))
	c := newClient(t)

	r := do(t, c, "OPTIONS", gw.url("/api/x"), nil, "Origin", origin,
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key") // browsers send names lower-cased and sorted (Fetch)
	if r.Status != 204 {
		t.Errorf("an allowed preflight (without credentials): %d %s, want 204", r.Status, r.Body)
	}
	if got := r.Header.Values("Access-Control-Allow-Origin"); len(got) != 1 || got[0] != origin {
		t.Errorf("preflight Access-Control-Allow-Origin %q, want exactly [%s]", got, origin)
	}
	// A header the route does not list is not allowed.
	r = do(t, c, "OPTIONS", gw.url("/api/x"), nil, "Origin", origin,
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-admin")
	if v := r.Header.Get("Access-Control-Allow-Headers"); strings.Contains(strings.ToLower(v), "x-admin") {
		t.Errorf("a preflight asking for X-Admin got Access-Control-Allow-Headers %q", v)
	}
	if up.count.Load() != 0 {
		t.Errorf("the preflights reached the upstream (%d requests)", up.count.Load())
	}

	for _, evil := range []string{"https://evil.example.com", "https://app.example.com.evil.com", "http://app.example.com", "null", "https://app.example.co"} {
		p := do(t, c, "OPTIONS", gw.url("/api/x"), nil, "Origin", evil, "Access-Control-Request-Method", "GET")
		if v := p.Header.Values("Access-Control-Allow-Origin"); len(v) > 0 {
			t.Errorf("a preflight from %s got Access-Control-Allow-Origin %q", evil, v)
		}
		if p.Status >= 500 {
			t.Errorf("a preflight from %s: %d", evil, p.Status)
		}
		g := do(t, c, "GET", gw.url("/api/x"), nil, "Origin", evil, "X-Api-Key", "cors-key-0123456789")
		if g.Status != 200 {
			t.Errorf("a GET from %s with a key: %d %s", evil, g.Status, g.Body)
		}
		if v := g.Header.Values("Access-Control-Allow-Origin"); len(v) > 0 {
			t.Errorf("a GET from %s got Access-Control-Allow-Origin %q (the upstream's own must be dropped)", evil, v)
		}
		if v := g.Header.Values("Access-Control-Allow-Credentials"); len(v) > 0 {
			t.Errorf("a GET from %s got Access-Control-Allow-Credentials %q", evil, v)
		}
	}
	if up.count.Load() != 5 {
		t.Errorf("the upstream saw %d requests, want the 5 GETs only", up.count.Load())
	}
	g := do(t, c, "GET", gw.url("/api/x"), nil, "Origin", origin, "X-Api-Key", "cors-key-0123456789")
	if v := g.Header.Values("Access-Control-Allow-Origin"); g.Status != 200 || len(v) != 1 || v[0] != origin {
		t.Errorf("a GET from the allowed origin: %d, Access-Control-Allow-Origin %q, want 200 and [%s]", g.Status, v, origin)
	}
	if !strings.Contains(strings.Join(g.Header.Values("Vary"), ","), "Origin") {
		t.Errorf("an answer that depends on Origin without Vary: Origin: %q", g.Header.Values("Vary"))
	}
	// CORS is no authentication: an allowed origin without a key is refused.
	if r := do(t, c, "GET", gw.url("/api/x"), nil, "Origin", origin); r.Status != 401 {
		t.Errorf("a GET from the allowed origin without a key: %d, want 401", r.Status)
	}
	gw.checkNoRace()
}

func TestAdmissionCheckRefusesCredentialsWithAnyOrigin(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bulwark.yaml")
	cfg := "listen:\n  http: 127.0.0.1:0\nadmin:\n  listen: \"\"\n" +
		"discovery:\n  static:\n    - service: api\n      instances: [\"127.0.0.1:9\"]\n" +
		"routes:\n  - path: /api\n    service: api\n" +
		"services:\n  api:\n    cors:\n      origins: [\"*\"]\n      credentials: true\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runBulwark(t, "check", "-c", path)
	if code == 0 {
		t.Fatalf("bulwark check accepted credentials: true with origin *: %s", out)
	}
	// The problem points at the file and the service or its cors block (lines 13-16).
	all := out + errOut
	found := false
	for _, line := range []string{":13:", ":14:", ":15:", ":16:"} {
		if strings.Contains(all, path+line) {
			found = true
		}
	}
	if !found {
		t.Errorf("bulwark check did not point at the cors lines of %s:\n%s", path, all)
	}
}

// clientFrom is an HTTP client whose connections come from the loopback
// address ip (127.0.0.2, …): another peer, on one machine.
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DisableKeepAlives: true, DialContext: func(ctx context.Context, n, a string) (net.Conn, error) {
		return d.DialContext(ctx, n, a)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: reqTimeout}
}

func TestAdmissionIPRulesAndForwardedFor(t *testing.T) {
	up := newRecorder(t, nil)
	gw := startServe(t, admissionConfig(false, fmt.Sprintf(`server:
  trusted_proxies: ["127.0.0.3"]
discovery:
  static:
    - service: open
      instances: [%[1]q]
    - service: partners
      instances: [%[1]q]
routes:
  - path: /open
    service: open
  - path: /partners
    service: partners
services:
  open:
    ip:
      deny: ["127.0.0.2", "10.9.9.0/24"]
  partners:
    ip:
      allow: ["10.1.2.3", "127.0.0.3"]
      deny: ["10.1.2.3/32"]
`, up.Addr())))
	direct, denied, proxy := newClient(t), clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.3")
	cases := []struct {
		name   string
		c      *http.Client
		path   string
		xff    string
		status int
	}{
		{"a denied peer", denied, "/open/1", "", 403},
		{"a denied peer claiming an allowed address", denied, "/open/1", "127.0.0.1", 403},
		{"a denied peer claiming to be the trusted proxy", denied, "/open/1", "127.0.0.3", 403},
		{"a denied peer with a long forged chain", denied, "/open/1", "127.0.0.1, 127.0.0.1, 127.0.0.3", 403},
		{"an untrusted peer claiming a denied address is judged by its own", direct, "/open/1", "10.9.9.9", 200},
		{"an untrusted peer cannot claim an allowed address", direct, "/partners/1", "10.1.2.3", 403},
		{"behind the trusted proxy: the address it appended is judged", proxy, "/open/1", "10.9.9.9", 403},
		{"behind the trusted proxy: a client's forged left part does not help", proxy, "/open/1", "10.1.1.1, 10.9.9.9", 403},
		{"behind the trusted proxy: a forged denied left part does not hurt", proxy, "/open/1", "10.9.9.9, 10.1.1.1", 200},
		{"behind the trusted proxy, allowed then denied: deny wins", proxy, "/partners/1", "10.1.2.3", 403},
		{"behind the trusted proxy, no X-Forwarded-For: the proxy itself", proxy, "/partners/1", "", 200},
	}
	for _, tc := range cases {
		before := up.count.Load()
		var h []string
		if tc.xff != "" {
			h = []string{"X-Forwarded-For", tc.xff}
		}
		r := do(t, tc.c, "GET", gw.url(tc.path), nil, h...)
		if r.Status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.Status, r.Body, tc.status)
		}
		if reached := up.count.Load() != before; reached != (tc.status == 200) {
			t.Errorf("%s: reached the upstream: %v", tc.name, reached)
		}
		if r.Status == 403 && !isProblem(r) {
			t.Errorf("%s: 403 as %q, want application/problem+json", tc.name, r.Header.Get("Content-Type"))
		}
	}
	if v, ok := labelledMetric(metrics(t, newClient(t), gw), "bulwark_ip_refused_total", "service", "open"); !ok || v < 6 {
		t.Errorf("bulwark_ip_refused_total{service=open} = %v (found %v), want at least 6", v, ok)
	}
	gw.checkNoRace()
}
