package test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// routeSpec is one route of a generated config: a path prefix to one upstream.
type routeSpec struct {
	Host, Path string
	Service    string
	Upstream   *upstream
	Addr       string // the instance when Upstream is nil (a special-purpose server)
	Strip      bool
	WebSocket  bool
}

// addr is the route's instance address.
func (r routeSpec) addr() string {
	if r.Upstream != nil {
		return r.Upstream.Addr()
	}
	return r.Addr
}

// configOptions are the knobs generated configs need.
type configOptions struct {
	Routes    []routeSpec
	Server    string // extra lines under server:, indented by two spaces
	Shutdown  string // extra lines under shutdown:
	Upstream  string // extra lines under upstream:
	AccessLog bool
}

// render returns a config for the ports with the given routes, one static
// service per distinct service name.
func (o configOptions) render(p ports) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen:\n  http: %q\n", p.HTTP)
	fmt.Fprintf(&b, "admin:\n  listen: %q\n  token: %q\n", p.Admin, adminToken)
	fmt.Fprintf(&b, "log:\n  level: info\n  access_log: %v\n", o.AccessLog)
	// No documentation catalog: its background fetches would reach the
	// upstreams whose bytes these tests inspect.
	b.WriteString("portal:\n  path: \"\"\n")
	if o.Server != "" {
		fmt.Fprintf(&b, "server:\n%s", o.Server)
	}
	if o.Shutdown != "" {
		fmt.Fprintf(&b, "shutdown:\n%s", o.Shutdown)
	}
	if o.Upstream != "" {
		fmt.Fprintf(&b, "upstream:\n%s", o.Upstream)
	}
	b.WriteString("discovery:\n  static:\n")
	seen := map[string]bool{}
	for _, r := range o.Routes {
		if seen[r.Service] {
			continue
		}
		seen[r.Service] = true
		fmt.Fprintf(&b, "    - service: %s\n      instances: [%q]\n", r.Service, r.addr())
	}
	b.WriteString("routes:\n")
	for _, r := range o.Routes {
		fmt.Fprintf(&b, "  - path: %s\n    service: %s\n", r.Path, r.Service)
		if r.Host != "" {
			fmt.Fprintf(&b, "    host: %s\n", r.Host)
		}
		if r.Strip {
			b.WriteString("    strip_prefix: true\n")
		}
		if r.WebSocket {
			b.WriteString("    websocket: true\n")
		}
	}
	return b.String()
}

func TestServeRoutesRequestsToTheirUpstreams(t *testing.T) {
	pets, orders := newUpstream(t, "pets"), newUpstream(t, "orders")
	gw := startServe(t, configOptions{AccessLog: true, Routes: []routeSpec{
		{Path: "/pets", Service: "pets", Upstream: pets},
		{Path: "/orders", Service: "orders", Upstream: orders, Strip: true},
	}}.render)
	c := newClient(t)

	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string // prefix of the body
		wantOn     *upstream
		wantPath   string // the path the upstream saw
	}{
		{"a request under a route's prefix reaches that route's upstream", "GET", "/pets/1", 200, "upstream pets GET /pets/1", pets, "/pets/1"},
		{"a route's exact prefix is matched too", "GET", "/pets", 200, "upstream pets GET /pets", pets, "/pets"},
		{"strip_prefix removes the route's prefix before the upstream sees the path", "POST", "/orders/7", 200, "upstream orders POST /7", orders, "/7"},
		{"a prefix matches whole segments only, so /petshop is no route", "GET", "/petshop", 404, "", nil, ""},
		{"a path no route matches is 404", "GET", "/nowhere", 404, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := pets.Count() + orders.Count()
			res := do(t, c, tt.method, gw.url(tt.path), nil)
			if res.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", res.Status, tt.wantStatus, res.Body)
			}
			if tt.wantOn == nil {
				if got := pets.Count() + orders.Count(); got != before {
					t.Errorf("an upstream received the request (%d → %d requests)", before, got)
				}
				if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type %q, want application/problem+json", ct)
				}
				return
			}
			if !strings.HasPrefix(res.Body, tt.wantBody) {
				t.Errorf("body %q, want %q", res.Body, tt.wantBody)
			}
			reqs := tt.wantOn.Requests()
			last := reqs[len(reqs)-1]
			if last.Path != tt.wantPath {
				t.Errorf("upstream saw path %q, want %q", last.Path, tt.wantPath)
			}
			if last.Header.Get("X-Request-Id") == "" || res.Header.Get("X-Request-Id") != last.Header.Get("X-Request-Id") {
				t.Errorf("X-Request-Id: upstream saw %q, client got %q; want the same non-empty ID",
					last.Header.Get("X-Request-Id"), res.Header.Get("X-Request-Id"))
			}
			if got := last.Header.Get("X-Forwarded-Host"); got != gw.ports.HTTP {
				t.Errorf("X-Forwarded-Host %q, want %q", got, gw.ports.HTTP)
			}
		})
	}
}

func TestTheAdminListener(t *testing.T) {
	pets := newUpstream(t, "pets")
	gw := startServe(t, configOptions{Routes: []routeSpec{{Path: "/pets", Service: "pets", Upstream: pets}}}.render)
	c := newClient(t)

	tests := []struct {
		name       string
		path       string
		header     []string
		wantStatus int
		wantBody   string // a substring of the body
	}{
		{"/healthz answers ok", "/healthz", nil, 200, "ok"},
		{"/readyz answers ready once routes and instances are loaded", "/readyz", nil, 200, "ready"},
		{"/metrics says the loaded configuration applied", "/metrics", nil, 200, "bulwark_config_last_reload_successful 1"},
		{"/api/v1/routes without a token is 401", "/api/v1/routes", nil, 401, "token"},
		{"/api/v1/routes with a wrong token is 401", "/api/v1/routes", []string{"Authorization", "Bearer wrong"}, 401, "token"},
		{"/api/v1/routes with the token in another scheme is 401", "/api/v1/routes", []string{"Authorization", "Basic " + adminToken}, 401, "token"},
		{"/api/v1/routes with the configured bearer token lists the routes", "/api/v1/routes", []string{"Authorization", "Bearer " + adminToken}, 200, `"service": "pets"`},
		{"/debug/pprof needs the token too", "/debug/pprof/", nil, 401, "token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, c, "GET", gw.adminURL(tt.path), nil, tt.header...)
			if res.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %q", res.Status, tt.wantStatus, res.Body)
			}
			if !strings.Contains(res.Body, tt.wantBody) {
				t.Errorf("body does not contain %q:\n%s", tt.wantBody, res.Body)
			}
		})
	}

	t.Run("the routes API names each route's path, service and instance count", func(t *testing.T) {
		res := do(t, c, "GET", gw.adminURL("/api/v1/routes"), nil, "Authorization", "Bearer "+adminToken)
		var routes []struct {
			Path      string `json:"path"`
			Service   string `json:"service"`
			Instances int    `json:"instances"`
		}
		if err := json.Unmarshal([]byte(res.Body), &routes); err != nil {
			t.Fatalf("decoding %q: %v", res.Body, err)
		}
		if len(routes) != 1 || routes[0].Path != "/pets" || routes[0].Service != "pets" || routes[0].Instances != 1 {
			t.Errorf("routes = %+v, want one route /pets → pets with 1 instance", routes)
		}
	})

	t.Run("the gateway listener does not serve the admin API", func(t *testing.T) {
		before := pets.Count()
		res := do(t, c, "GET", gw.url("/api/v1/routes"), nil, "Authorization", "Bearer "+adminToken)
		if res.Status != http.StatusNotFound {
			t.Errorf("status %d on the gateway listener, want 404", res.Status)
		}
		if pets.Count() != before {
			t.Error("the request reached an upstream")
		}
	})
}
