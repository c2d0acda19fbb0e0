package test

// auth.from_openapi against path and method tricks: the operation the
// gateway looks up to decide must be the operation the upstream serves. A
// request admitted without a credential (as the public GET /health) must
// arrive upstream as GET /health and nothing else, however its path was
// spelt: dot segments, doubled or encoded slashes, trailing slashes, case,
// matrix parameters, a method the operation does not have.

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// openAPIKeyGateway is a gateway whose /shop route enforces the test
// document with API keys only, once the catalog has the document.
func openAPIKeyGateway(t *testing.T) (*proc, *recorder) {
	t.Helper()
	spec, err := os.ReadFile("testdata/admission-openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	up := newRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") && r.URL.Path == "/openapi.json" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(spec)
			return true
		}
		return false
	})
	gw := startServe(t, admissionConfig(true, fmt.Sprintf(`discovery:
  static:
    - service: shop
      instances: [%q]
routes:
  - path: /shop
    service: shop
    strip_prefix: true
services:
  shop:
    docs: {openapi: /openapi.json}
    auth:
      from_openapi: true
      api_keys: {enabled: true}
consumers:
  partner:
    api_keys: [%q]
`, up.Addr(), apiKeyHash("unused-key-0123456789"))))
	c := newClient(t)
	if !eventually(20*time.Second, func() bool {
		r, err := tryDo(c, "GET", gw.url("/portal/api/services/shop"), nil)
		return err == nil && r.Status == 200 && strings.Contains(r.Body, "partnerStock")
	}) {
		t.Fatalf("the portal never listed the document's operations")
	}
	if r := do(t, c, "GET", gw.url("/shop/health"), nil); r.Status != 200 {
		t.Fatalf("the public GET /health: %d", r.Status)
	}
	if r := do(t, c, "GET", gw.url("/shop/orders"), nil); r.Status != 401 {
		t.Fatalf("GET /orders without a credential: %d, want 401", r.Status)
	}
	return gw, up
}

func TestAdmissionFromOpenAPIPathTricks(t *testing.T) {
	gw, up := openAPIKeyGateway(t)
	targets := []string{
		"/shop/health/../orders", "/shop/health/%2e%2e/orders", "/shop/health/..%2forders",
		"/shop/health%2F..%2Forders", "/shop//orders", "/shop/./orders", "/shop/orders/",
		"/shop/ORDERS", "/shop/Health", "/shop/health;/../orders", "/shop/orders;health",
		"/shop/health/", "/shop/health%2f", "/shop/health?/../orders", "/shop/health#/../orders",
		"/shop/health%00", "/shop/%68ealth", "/shop/health/..;/orders", "/shop/health\\..\\orders",
		"/shop/legacy/../health", "/shop/reports%2f..%2fhealth",
	}
	methods := []string{"GET", "HEAD", "POST", "DELETE", "PUT", "OPTIONS", "TRACE"}
	for _, target := range targets {
		for _, method := range methods {
			before := up.count.Load()
			raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"
			res := rawRequest(t, gw.ports.HTTP, []byte(raw))
			if res.Status >= 500 {
				t.Errorf("%s %s: %d", method, target, res.Status)
			}
			if up.count.Load() == before {
				continue
			}
			got := up.Last()
			// Admitted without a credential: only the public operation
			// (however the gateway spells its path, it decodes to /health).
			path, _, _ := strings.Cut(got.URI, "?")
			decoded, err := url.PathUnescape(path)
			if got.Method != "GET" && got.Method != "HEAD" || err != nil || decoded != "/health" {
				t.Errorf("%s %s without a credential reached the upstream as %s %s (%d): only GET /health is public",
					method, target, got.Method, got.URI, res.Status)
			}
		}
	}
	gw.checkNoRace()
}

// TestAdmissionFromOpenAPIMethodCase: methods are case-sensitive (RFC 9110
// §9.1): "get" is not GET, so the document has no operation for it and the
// gate must stay shut ("the gate stays shut where the document is silent");
// the decision must be made on the method the upstream receives.
func TestAdmissionFromOpenAPIMethodCase(t *testing.T) {
	gw, up := openAPIKeyGateway(t)
	for _, m := range []string{"get", "Get", "head"} {
		before := up.count.Load()
		res := rawRequest(t, gw.ports.HTTP, []byte(m+" /shop/health HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n"))
		if up.count.Load() != before {
			t.Errorf("%s /shop/health without a credential reached the upstream as %s %s (%d), want 401: the document has no operation for the method %s",
				m, up.Last().Method, up.Last().URI, res.Status, m)
		}
	}
}
