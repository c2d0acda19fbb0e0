package gateway

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// fleet starts one recording upstream per service name and returns them with a
// snapshot routing each service to its upstream.
func fleet(t testing.TB, names ...string) (map[string]*upstream, *discovery.Snapshot) {
	t.Helper()
	ups := map[string]*upstream{}
	services := map[string][]string{}
	for _, n := range names {
		ups[n] = newUpstream(t, n, nil)
		services[n] = []string{ups[n].Addr()}
	}
	return ups, snapshot(t, services)
}

func TestRoutingByHost(t *testing.T) {
	t.Parallel()
	_, snap := fleet(t, "exact", "wild", "any")
	h := newHarness(t, Config{Routes: []Route{
		{Name: "any", Service: "any"},
		{Name: "wild", Host: "*.example.com", Service: "wild"},
		{Name: "exact", Host: "api.example.com", Service: "exact"},
	}}, snap)

	tests := []struct {
		name string
		host string
		want string
	}{
		{"an exact host beats a wildcard host", "api.example.com", "exact"},
		{"a wildcard host beats a route without a host", "www.example.com", "wild"},
		{"the host is matched case-insensitively", "API.Example.COM", "exact"},
		{"a wildcard host is matched case-insensitively", "WWW.EXAMPLE.COM", "wild"},
		{"the port of the Host header is ignored", "api.example.com:8443", "exact"},
		{"the port is ignored for a wildcard too", "www.example.com:80", "wild"},
		{"a trailing dot on the host is ignored", "api.example.com.", "exact"},
		{"a wildcard matches one label, not two", "a.b.example.com", "any"},
		{"a wildcard does not match its bare domain", "example.com", "any"},
		{"a wildcard does not match a longer domain ending in the same letters", "www.badexample.com", "any"},
		{"an unknown host falls to the route without a host", "other.test", "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := h.get(t, "/x", "Host: "+tt.host)
			if res.StatusCode != http.StatusOK || string(body) != tt.want {
				t.Errorf("Host %q went to %d %q, want 200 from %q", tt.host, res.StatusCode, body, tt.want)
			}
		})
	}
}

// An unknown host never reaches a default upstream.
func TestUnknownHostIsNotFoundWithoutCatchAll(t *testing.T) {
	t.Parallel()
	ups, snap := fleet(t, "exact")
	h := newHarness(t, Config{Routes: []Route{{Host: "api.example.com", Service: "exact"}}}, snap)

	res, body := h.get(t, "/", "Host: evil.example.com")
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", res.StatusCode)
	}
	problemOf(t, res, body)
	if n := ups["exact"].Count(); n != 0 {
		t.Errorf("the upstream received %d requests for an unknown host, want 0", n)
	}
}

func TestRoutingByPathHeadersAndMethod(t *testing.T) {
	t.Parallel()
	_, snap := fleet(t, "pets", "petsadmin", "docs", "v1", "v2", "read", "write")
	h := newHarness(t, Config{Routes: []Route{
		{Name: "pets", Path: "/pets", Service: "pets"},
		{Name: "pets-admin", Path: "/pets/admin", Service: "petsadmin"},
		{Name: "docs", Path: "/docs/", Service: "docs"},
		{Name: "api", Path: "/api", Service: "v1"},
		{Name: "api-v2", Path: "/api", Headers: map[string]string{"X-Version": "2"}, Service: "v2"},
		{Name: "orders-read", Path: "/orders", Methods: []string{"GET", "HEAD"}, Service: "read"},
		{Name: "orders-write", Path: "/orders", Methods: []string{"POST", "PUT", "DELETE"}, Service: "write"},
	}}, snap)

	tests := []struct {
		name    string
		method  string
		path    string
		headers []string
		status  int
		want    string // upstream name, for 200
	}{
		{"a path prefix matches itself", "GET", "/pets", nil, 200, "pets"},
		{"a path prefix matches a path below it", "GET", "/pets/1", nil, 200, "pets"},
		{"a path prefix matches a trailing slash", "GET", "/pets/", nil, 200, "pets"},
		{"a path prefix does not match a longer segment", "GET", "/petshop", nil, 404, ""},
		{"a longer path prefix wins over a shorter one", "GET", "/pets/admin", nil, 200, "petsadmin"},
		{"a longer path prefix wins below itself too", "GET", "/pets/admin/users", nil, 200, "petsadmin"},
		{"a longer prefix only matches on a segment boundary", "GET", "/pets/administrator", nil, 200, "pets"},
		{"a configured trailing slash still matches the bare path", "GET", "/docs", nil, 200, "docs"},
		{"a configured trailing slash matches below", "GET", "/docs/intro", nil, 200, "docs"},
		{"a configured trailing slash is no plain string prefix", "GET", "/docsx", nil, 404, ""},
		{"a route with a header condition wins when the header matches", "GET", "/api/x", []string{"X-Version: 2"}, 200, "v2"},
		{"a header condition is not met by another value", "GET", "/api/x", []string{"X-Version: 3"}, 200, "v1"},
		{"a header condition is not met by an absent header", "GET", "/api/x", nil, 200, "v1"},
		{"reads go to the read service", "GET", "/orders/7", nil, 200, "read"},
		{"HEAD goes with GET to the read service", "HEAD", "/orders/7", nil, 200, ""},
		{"POST on the same path goes to the write service", "POST", "/orders/7", nil, 200, "write"},
		{"PUT on the same path goes to the write service", "PUT", "/orders/7", nil, 200, "write"},
		{"DELETE on the same path goes to the write service", "DELETE", "/orders", nil, 200, "write"},
		{"a method no route allows is 405", "PATCH", "/orders/7", nil, 405, ""},
		{"a path no route matches is 404", "GET", "/nothing", nil, 404, ""},
		{"the root is 404 without a catch-all route", "GET", "/", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := h.do(t, newRequest(t, tt.method, h.url(tt.path), nil, tt.headers...))
			if res.StatusCode != tt.status {
				t.Fatalf("%s %s = %d %q, want %d", tt.method, tt.path, res.StatusCode, body, tt.status)
			}
			switch tt.status {
			case http.StatusOK:
				if tt.method == http.MethodHead {
					if got := res.Header.Get("X-Upstream"); got != "read" {
						t.Errorf("HEAD %s went to %q, want read", tt.path, got)
					}
					return
				}
				if string(body) != tt.want {
					t.Errorf("%s %s went to %q, want %q", tt.method, tt.path, body, tt.want)
				}
			case http.StatusNotFound:
				p := problemOf(t, res, body)
				want := problem{Type: "about:blank", Title: "Not Found", Status: 404, Detail: ErrNoRoute.Error()}
				if p.Type != want.Type || p.Title != want.Title || p.Status != want.Status || p.Detail != want.Detail {
					t.Errorf("problem = %+v, want %+v", p, want)
				}
			case http.StatusMethodNotAllowed:
				mustHeader(t, res.Header, "Allow", "DELETE, GET, HEAD, POST, PUT")
				p := problemOf(t, res, body)
				want := problem{Type: "about:blank", Title: "Method Not Allowed", Status: 405, Detail: ErrMethodNotAllowed.Error()}
				if p.Type != want.Type || p.Title != want.Title || p.Status != want.Status || p.Detail != want.Detail {
					t.Errorf("problem = %+v, want %+v", p, want)
				}
			}
		})
	}
}

// Regression: gorilla/mux clears a route's method mismatch when a later route
// matches the path but not its header condition, which turned this 405 into a 404.
func TestMethodNotAllowedWhenALaterRouteMatchesOnlyThePath(t *testing.T) {
	t.Parallel()
	ups, snap := fleet(t, "admin", "beta")
	h := newHarness(t, Config{Routes: []Route{
		{Name: "admin", Path: "/pets/admin", Methods: []string{"GET"}, Service: "admin"},
		{Name: "beta", Path: "/pets", Headers: map[string]string{"X-Beta": "1"}, Service: "beta"},
	}}, snap)

	res, body := h.do(t, newRequest(t, "POST", h.url("/pets/admin"), nil))
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /pets/admin = %d %q, want 405", res.StatusCode, body)
	}
	problemOf(t, res, body)
	mustHeader(t, res.Header, "Allow", "GET")
	if e := h.g.explain("POST", "", "/pets/admin", nil); e.Status != http.StatusMethodNotAllowed {
		t.Errorf("explain says %d (%s), want 405", e.Status, e.Reason)
	}

	// With the header, the beta route matches in full and takes the request.
	res, body = h.do(t, newRequest(t, "POST", h.url("/pets/admin"), nil, "X-Beta: 1"))
	if res.StatusCode != http.StatusOK || string(body) != "beta" {
		t.Fatalf("POST /pets/admin with X-Beta = %d %q, want beta", res.StatusCode, body)
	}
	if ups["admin"].Count() != 0 {
		t.Errorf("the admin service received %d requests, want 0", ups["admin"].Count())
	}
}

func TestStripPrefix(t *testing.T) {
	t.Parallel()
	ups, snap := fleet(t, "library", "pets")
	h := newHarness(t, Config{Routes: []Route{
		{Name: "library", Path: "/library", StripPrefix: true, Service: "library"},
		{Name: "pets", Path: "/pets", Service: "pets"},
	}}, snap)

	tests := []struct {
		name       string
		path       string
		service    string
		wantPath   string
		wantPrefix string // "" means absent
	}{
		{"the prefix is removed from a path below it", "/library/books/1", "library", "/books/1", "/library"},
		{"the bare prefix becomes the root", "/library", "library", "/", "/library"},
		{"the prefix with a trailing slash becomes the root", "/library/", "library", "/", "/library"},
		{"the query survives stripping", "/library/books?page=2", "library", "/books", "/library"},
		{"a route without strip_prefix forwards the whole path", "/pets/1", "pets", "/pets/1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Not parallel: each case reads the upstream's last request.
			res, _ := h.get(t, tt.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d", tt.path, res.StatusCode)
			}
			got := ups[tt.service].Last(t)
			if got.Path != tt.wantPath {
				t.Errorf("upstream path = %q, want %q", got.Path, tt.wantPath)
			}
			if tt.wantPrefix == "" {
				mustNoHeader(t, got.Header, "X-Forwarded-Prefix")
			} else {
				mustHeader(t, got.Header, "X-Forwarded-Prefix", tt.wantPrefix)
			}
		})
	}
	if q := ups["library"].Requests()[3].RawQuery; q != "page=2" {
		t.Errorf("query after stripping = %q, want page=2", q)
	}
}

func TestLoadBalancingThroughTheGateway(t *testing.T) {
	t.Parallel()

	t.Run("round robin alternates between two instances", func(t *testing.T) {
		t.Parallel()
		a, b := newUpstream(t, "a", nil), newUpstream(t, "b", nil)
		h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
			snapshot(t, map[string][]string{"svc": {a.Addr(), b.Addr()}}))
		var order []string
		for range 10 {
			_, body := h.get(t, "/")
			order = append(order, string(body))
		}
		for i := 1; i < len(order); i++ {
			if order[i] == order[i-1] {
				t.Fatalf("round robin sent two requests in a row to %s: %v", order[i], order)
			}
		}
		if a.Count() != 5 || b.Count() != 5 {
			t.Errorf("a got %d, b got %d requests, want 5 each", a.Count(), b.Count())
		}
	})

	t.Run("weighted round robin honours the weights exactly", func(t *testing.T) {
		t.Parallel()
		a, b := newUpstream(t, "a", nil), newUpstream(t, "b", nil)
		src, err := discovery.NewStatic([]discovery.StaticService{
			{Name: "svc", Instances: []string{a.Addr(), b.Addr()}, Weights: []int{3, 1}},
		})
		if err != nil {
			t.Fatal(err)
		}
		h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}}, src.Snapshot())
		for range 40 {
			h.get(t, "/")
		}
		if a.Count() != 30 || b.Count() != 10 {
			t.Errorf("weights 3:1 gave a %d and b %d requests of 40, want 30 and 10", a.Count(), b.Count())
		}
	})

	t.Run("consistent hash on a header sends a key to one instance", func(t *testing.T) {
		t.Parallel()
		a, b := newUpstream(t, "a", nil), newUpstream(t, "b", nil)
		h := newHarness(t, Config{
			Routes: []Route{{Path: "/", Service: "svc"}},
			Policies: map[string]policies.Policy{"svc": policy(defaultTimeout, defaultTimeout,
				policies.Balancer{Kind: policies.ConsistentHash, HashOn: "header:X-User"})},
		}, snapshot(t, map[string][]string{"svc": {a.Addr(), b.Addr()}}))
		owners := map[string]bool{}
		for k := range 20 {
			user := fmt.Sprintf("user-%d", k)
			first := ""
			for range 5 {
				_, body := h.get(t, "/", "X-User: "+user)
				if first == "" {
					first = string(body)
				} else if string(body) != first {
					t.Fatalf("key %s went to %s and then to %s", user, first, body)
				}
			}
			owners[first] = true
		}
		if len(owners) != 2 {
			t.Errorf("20 keys all went to %v; the ring should spread them", owners)
		}
	})
}
