package gateway

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

func adminPost(t *testing.T, srv *httptest.Server, path, auth string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// The breakers are visible with the read token, and forced only with the
// write token: forced open, the service gets no traffic; auto gives it back.
func TestAdminShowsAndForcesBreakers(t *testing.T) {
	up := newUpstream(t, "up", nil)
	h := resilientGateway(t, resilientPolicy(t, func(p *policies.Policy) { p.Retries.Attempts = 1 }), up.Addr())
	srv := httptest.NewServer(h.g.AdminHandler(AdminOptions{Token: "T", WriteToken: "W-0123456789abcdef", Gatherer: h.reg}))
	defer srv.Close()
	readOnly := httptest.NewServer(h.g.AdminHandler(AdminOptions{Token: "T", Gatherer: h.reg}))
	defer readOnly.Close()

	res, body := adminGet(t, srv, "/api/v1/breakers", "Bearer T")
	var views []BreakerView
	if err := json.Unmarshal(body, &views); err != nil || res.StatusCode != 200 || len(views) != 1 ||
		views[0].Service != "svc" || views[0].State != "closed" {
		t.Fatalf("GET /api/v1/breakers = %d %s", res.StatusCode, body)
	}
	if res, _ := adminGet(t, srv, "/api/v1/breakers", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("breakers without a token: %d", res.StatusCode)
	}
	for name, c := range map[string]struct {
		srv  *httptest.Server
		auth string
	}{
		"the read token":            {srv, "Bearer T"},
		"no token":                  {srv, ""},
		"a read-only admin API":     {readOnly, "Bearer W-0123456789abcdef"},
		"the read token, read-only": {readOnly, "Bearer T"},
	} {
		if res, _ := adminPost(t, c.srv, "/api/v1/breakers/svc?force=open", c.auth); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("forcing with %s: %d, want 401", name, res.StatusCode)
		}
	}
	if res, body := adminPost(t, srv, "/api/v1/breakers/svc?force=sideways", "Bearer W-0123456789abcdef"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("force=sideways: %d %s", res.StatusCode, body)
	}
	if res, _ := adminPost(t, srv, "/api/v1/breakers/nobody?force=open", "Bearer W-0123456789abcdef"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown service: %d", res.StatusCode)
	}

	if res, body := adminPost(t, srv, "/api/v1/breakers/svc?force=open", "Bearer W-0123456789abcdef"); res.StatusCode != 200 {
		t.Fatalf("force open: %d %s", res.StatusCode, body)
	}
	before := up.Count()
	if res, _ := h.get(t, "/x"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("forced open: %d, want 503", res.StatusCode)
	}
	if up.Count() != before {
		t.Error("a forced-open breaker let a request through")
	}
	_, body = adminGet(t, srv, "/api/v1/breakers", "Bearer T")
	if err := json.Unmarshal(body, &views); err != nil || views[0].Forced != "open" {
		t.Errorf("the view does not say it is forced: %s", body)
	}
	adminPost(t, srv, "/api/v1/breakers/svc?force=auto", "Bearer W-0123456789abcdef")
	if res, _ := h.get(t, "/x"); res.StatusCode != http.StatusOK {
		t.Errorf("after force=auto: %d, want 200", res.StatusCode)
	}
}

// GET /api/v1/services/NAME explains one service: the policy with the layer
// of each value, the instances with their ejection, and the breaker.
func TestAdminExplainsOneService(t *testing.T) {
	up := newUpstream(t, "up", nil)
	h := resilientGateway(t, resilientPolicy(t, nil), up.Addr())
	srv := adminServer(t, h)
	res, body := adminGet(t, srv, "/api/v1/services/svc", "Bearer T")
	var v ServiceView
	if err := json.Unmarshal(body, &v); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /api/v1/services/svc = %d %s", res.StatusCode, body)
	}
	if v.Name != "svc" || len(v.Instances) != 1 || v.Instances[0].Ejected || v.Breaker == nil || v.Breaker.State != "closed" {
		t.Errorf("view = %s", body)
	}
	if res, _ := adminGet(t, srv, "/api/v1/services/nobody", "Bearer T"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown service: %d, want 404", res.StatusCode)
	}
}
