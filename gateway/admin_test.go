package gateway

import (
	"encoding/json"
	"github.com/bulwark-gw/bulwark/policies"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// adminServer serves g's admin handler with token T.
func adminServer(t *testing.T, h *harness) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h.g.AdminHandler(AdminOptions{
		Token:    "T",
		Gatherer: h.reg,
		Status:   func() any { return map[string]string{"version": "test"} },
	}))
	t.Cleanup(srv.Close)
	return srv
}

func adminGet(t *testing.T, srv *httptest.Server, path, auth string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

func TestAdminProbes(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	h := newHarness(t, Config{}, nil)
	srv := adminServer(t, h)

	check := func(t *testing.T, path string, want int, wantBody string) {
		t.Helper()
		res, body := adminGet(t, srv, path, "")
		if res.StatusCode != want || !strings.Contains(string(body), wantBody) {
			t.Fatalf("GET %s = %d %q, want %d containing %q", path, res.StatusCode, body, want, wantBody)
		}
	}
	check(t, "/healthz", 200, "ok")
	check(t, "/readyz", 503, "waiting for the first discovery snapshot")
	if res, _ := h.get(t, "/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an unconfigured gateway answered %d, want 404", res.StatusCode)
	}

	snap := snapshot(t, map[string][]string{"svc": {up.Addr()}})
	h.g.Configure(Config{}, snap)
	check(t, "/readyz", 503, "no routes configured")

	h.g.Configure(Config{Routes: []Route{{Path: "/", Service: "svc"}}}, nil)
	check(t, "/readyz", 200, "ready")
	check(t, "/healthz", 200, "ok")

	h.g.Drain()
	check(t, "/readyz", 503, "draining")
	check(t, "/healthz", 200, "ok")
	if res, _ := h.get(t, "/"); res.StatusCode != http.StatusOK {
		t.Errorf("a draining gateway answered %d, want 200: it keeps serving", res.StatusCode)
	}
}

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	// Listed least specific first: the API must show them in match order.
	h := newHarness(t, Config{Routes: []Route{
		{Name: "any", Service: "svc"},
		{Name: "pets", Path: "/pets", Methods: []string{"GET"}, Service: "svc"},
		{Name: "api", Host: "api.example.com", Service: "svc"},
		{Name: "pets-admin", Path: "/pets/admin", Service: "svc"},
		{Name: "wild", Host: "*.example.com", Service: "svc"},
		{Name: "lonely", Path: "/lonely", Service: "nobody"},
	}, PolicySources: map[string]policies.Explanation{"svc": {"timeout": "services.svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	srv := adminServer(t, h)

	t.Run("the API needs the token", func(t *testing.T) {
		t.Parallel()
		for _, auth := range []string{"", "Bearer wrong", "Bearer TT", "Basic VA==", "T", "bearer T"} {
			for _, path := range []string{"/api/v1/routes", "/api/v1/services", "/api/v1/snapshot", "/api/v1/explain", "/api/v1/status", "/debug/pprof/"} {
				res, body := adminGet(t, srv, path, auth)
				if res.StatusCode != http.StatusUnauthorized {
					t.Fatalf("GET %s with Authorization %q = %d, want 401", path, auth, res.StatusCode)
				}
				if p := problemOf(t, res, body); p.Status != 401 {
					t.Errorf("problem status = %d", p.Status)
				}
				if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q", res.Header.Get("WWW-Authenticate"))
				}
			}
		}
	})

	t.Run("an empty configured token opens nothing", func(t *testing.T) {
		t.Parallel()
		open := httptest.NewServer(h.g.AdminHandler(AdminOptions{Gatherer: h.reg}))
		defer open.Close()
		for _, auth := range []string{"", "Bearer ", "Bearer"} {
			if res, _ := adminGet(t, open, "/api/v1/routes", auth); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("with no token configured, Authorization %q got %d, want 401", auth, res.StatusCode)
			}
		}
	})

	t.Run("routes are listed in match order with their instances", func(t *testing.T) {
		t.Parallel()
		res, body := adminGet(t, srv, "/api/v1/routes", "Bearer T")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var routes []RouteView
		if err := json.Unmarshal(body, &routes); err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range routes {
			names = append(names, r.Name)
		}
		want := "api,wild,pets-admin,lonely,pets,any"
		if got := strings.Join(names, ","); got != want {
			t.Errorf("routes in order %s, want %s", got, want)
		}
		for _, r := range routes {
			wantN := 1
			if r.Service == "nobody" {
				wantN = 0
			}
			if r.Instances != wantN {
				t.Errorf("route %s lists %d instances, want %d", r.Name, r.Instances, wantN)
			}
		}
	})

	t.Run("services list their instances", func(t *testing.T) {
		t.Parallel()
		_, body := adminGet(t, srv, "/api/v1/services", "Bearer T")
		var services []ServiceView
		if err := json.Unmarshal(body, &services); err != nil {
			t.Fatal(err)
		}
		if len(services) != 2 || services[0].Name != "nobody" || services[1].Name != "svc" ||
			len(services[1].Instances) != 1 || services[1].Instances[0].Addr != up.Addr() {
			t.Errorf("services = %s", body)
		}
		if got := services[1].PolicySource["timeout"]; got != "services.svc" {
			t.Errorf("svc's timeout source = %q, want the layer from Config.PolicySources; services = %s", got, body)
		}
		// People read this: durations are Go duration strings, never nanoseconds.
		var raw []struct {
			Policy struct {
				Timeout any `json:"timeout"`
				Breaker struct {
					OpenFor any `json:"open_for"`
				} `json:"breaker"`
			} `json:"policy"`
		}
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatal(err)
		}
		if p := raw[1].Policy; p.Timeout != "15s" || p.Breaker.OpenFor != "10s" {
			t.Errorf("svc's timeout and breaker.open_for are %#v and %#v, want \"15s\" and \"10s\"; services = %s",
				p.Timeout, p.Breaker.OpenFor, body)
		}
	})

	t.Run("status is served when configured", func(t *testing.T) {
		t.Parallel()
		res, body := adminGet(t, srv, "/api/v1/status", "Bearer T")
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"version": "test"`) {
			t.Errorf("status = %d %s", res.StatusCode, body)
		}
	})

	explains := []struct {
		name   string
		query  url.Values
		status int
		route  string
	}{
		{"explain names the route a path takes", url.Values{"path": {"/pets"}, "method": {"GET"}}, 200, "pets"},
		{"explain defaults the method to GET", url.Values{"path": {"/pets/1"}}, 200, "pets"},
		{"explain takes the host into account", url.Values{"path": {"/pets"}, "host": {"api.example.com"}}, 200, "api"},
		{"explain matches wildcard hosts", url.Values{"path": {"/"}, "host": {"www.example.com"}}, 200, "wild"},
		{"explain sends another method past a method-restricted route", url.Values{"path": {"/pets"}, "method": {"POST"}}, 200, "any"},
		{"explain reports a service without instances", url.Values{"path": {"/lonely"}}, 503, "lonely"},
		{"explain refuses what the gateway refuses", url.Values{"path": {"/a/../pets"}}, 400, ""},
	}
	for _, tt := range explains {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := adminGet(t, srv, "/api/v1/explain?"+tt.query.Encode(), "Bearer T")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			var e Explanation
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatal(err)
			}
			if e.Status != tt.status {
				t.Errorf("explain status = %d, want %d (%s)", e.Status, tt.status, body)
			}
			got := ""
			if e.Matched != nil {
				got = e.Matched.Name
			}
			if got != tt.route {
				t.Errorf("explain matched %q, want %q (%s)", got, tt.route, body)
			}
		})
	}

	t.Run("metrics are open", func(t *testing.T) {
		t.Parallel()
		h.get(t, "/pets/1")
		res, body := adminGet(t, srv, "/metrics", "")
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "bulwark_requests_total") {
			t.Errorf("GET /metrics = %d, %d bytes without bulwark_requests_total", res.StatusCode, len(body))
		}
	})
}
