package test

// Forward authentication through the binary, against a real forward-auth
// server: a 2xx admits and only the configured response headers go
// upstream (a client's own copies of them never do); any other answer goes
// back to the client as the service gave it; the service down is a 503
// problem, never an admission; the service never receives the client's body.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fwdSeen is what the forward-auth service received.
type fwdSeen struct {
	Method string
	Header http.Header
	Body   int
}

func TestAdmissionForwardAuth(t *testing.T) {
	var mu sync.Mutex
	var seen []fwdSeen
	fwd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fwdSeen{Method: r.Method, Header: r.Header.Clone(), Body: len(b)})
		mu.Unlock()
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			w.Header().Set("X-Auth-User", "alice")
			w.Header().Set("X-Auth-Roles", "reader")
			w.Header().Set("X-Internal-Secret", "not-for-upstream")
			w.WriteHeader(http.StatusNoContent)
		case "Bearer quiet": // admits without naming anyone
			w.WriteHeader(http.StatusOK)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="fwd", error="invalid_token"`)
			w.Header().Set("X-Fwd-Reason", "expired")
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "forward says no")
		}
	}))
	t.Cleanup(fwd.Close)
	up := newRecorder(t, nil)
	gw := startServe(t, admissionConfig(false, fmt.Sprintf(`discovery:
  static:
    - service: app
      instances: [%q]
routes:
  - path: /app
    service: app
services:
  app:
    auth:
      forward:
        url: %q
        response_headers: [X-Auth-User, X-Auth-Roles]
        timeout: 2s
`, up.Addr(), fwd.URL+"/check")))
	c := newClient(t)
	lastSeen := func() fwdSeen {
		mu.Lock()
		defer mu.Unlock()
		if len(seen) == 0 {
			return fwdSeen{}
		}
		return seen[len(seen)-1]
	}

	// Admitted: the body goes upstream, not to the forward service; the
	// configured headers go upstream, replacing the client's; others don't.
	const body = "the client's private body"
	r := do(t, c, "POST", gw.url("/app/orders?x=1"), strings.NewReader(body),
		"Authorization", "Bearer good", "X-Auth-User", "root", "X-Auth-Roles", "admin", "Content-Type", "text/plain")
	if r.Status != 200 {
		t.Fatalf("an admitted POST: %d %s", r.Status, r.Body)
	}
	got := up.Last()
	if got.Body != body {
		t.Errorf("the upstream received body %q, want %q", got.Body, body)
	}
	if v := got.Header.Values("X-Auth-User"); len(v) != 1 || v[0] != "alice" {
		t.Errorf("the upstream received X-Auth-User %q, want [alice] (the client sent root)", v)
	}
	if v := got.Header.Values("X-Auth-Roles"); len(v) != 1 || v[0] != "reader" {
		t.Errorf("the upstream received X-Auth-Roles %q, want [reader] (the client sent admin)", v)
	}
	if v := got.Header.Get("X-Internal-Secret"); v != "" {
		t.Errorf("a forward response header not listed reached the upstream: %q", v)
	}
	f := lastSeen()
	if f.Method != "GET" || f.Body != 0 {
		t.Errorf("the forward service received %s with %d body bytes, want GET with none", f.Method, f.Body)
	}
	if f.Header.Get("X-Forwarded-Method") != "POST" || !strings.HasPrefix(f.Header.Get("X-Forwarded-Uri"), "/app/orders") {
		t.Errorf("the forward service received X-Forwarded-Method %q, X-Forwarded-Uri %q", f.Header.Get("X-Forwarded-Method"), f.Header.Get("X-Forwarded-Uri"))
	}
	if f.Header.Get("Content-Length") != "" && f.Header.Get("Content-Length") != "0" {
		t.Errorf("the forward service was told Content-Length %q", f.Header.Get("Content-Length"))
	}

	// Admitted without the service naming anyone: the client's copies are
	// still gone.
	r = do(t, c, "GET", gw.url("/app/quiet"), nil, "Authorization", "Bearer quiet", "X-Auth-User", "root", "X-Consumer", "root")
	if r.Status != 200 {
		t.Fatalf("a quiet admission: %d", r.Status)
	}
	for _, h := range []string{"X-Auth-User", "X-Consumer"} {
		if v := up.Last().Header.Values(h); len(v) > 0 {
			t.Errorf("the client's %s %q reached the upstream", h, v)
		}
	}

	// Refused: the service's answer goes back as it was; nothing upstream.
	before := up.count.Load()
	r = do(t, c, "POST", gw.url("/app/orders"), strings.NewReader(body), "Authorization", "Bearer bad")
	if r.Status != 401 || r.Body != "forward says no" || r.Header.Get("WWW-Authenticate") != `Bearer realm="fwd", error="invalid_token"` {
		t.Errorf("a refusal came back as %d %q WWW-Authenticate %q, want the service's 401 as it was",
			r.Status, r.Body, r.Header.Get("WWW-Authenticate"))
	}
	if r.Header.Get("X-Fwd-Reason") != "expired" {
		t.Logf("the service's own X-Fwd-Reason header did not come back (%q)", r.Header.Get("X-Fwd-Reason"))
	}
	if up.count.Load() != before {
		t.Errorf("a refused request reached the upstream")
	}

	// The service goes away: 503 problem+json, never an admission.
	fwd.Close()
	for i := range 5 {
		r := do(t, c, "GET", gw.url(fmt.Sprintf("/app/down/%d", i)), nil, "Authorization", "Bearer good")
		if r.Status != 503 || !isProblem(r) {
			t.Errorf("forward service down: %d %q %s, want 503 application/problem+json", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	}
	if up.count.Load() != before {
		t.Errorf("with the forward service down %d requests reached the upstream", up.count.Load()-before)
	}
	gw.checkNoRace()
}
