package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/policies"
)

// labelled is a snapshot of the services at their addresses, carrying the
// services' labels as a Consul snapshot does. A service may have labels and no
// instances.
func labelled(t testing.TB, services map[string][]string, labels map[string]discovery.Labels) *discovery.Snapshot {
	t.Helper()
	s := snapshot(t, services)
	s.Labels = pmap.From(labels)
	return s
}

// labelledService is a service as GET /api/v1/services shows it.
type labelledService struct {
	Name         string            `json:"name"`
	Policy       policies.Policy   `json:"policy"`
	PolicySource map[string]string `json:"policy_source"`
	Instances    []InstanceView    `json:"instances"`
	Problems     []string          `json:"problems"`
}

// adminService returns the service name from the admin API; ok is false when
// the API does not list it.
func adminService(t *testing.T, srv *httptest.Server, name string) (s labelledService, ok bool) {
	t.Helper()
	res, body := adminGet(t, srv, "/api/v1/services", "Bearer T")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/services = %d %s", res.StatusCode, body)
	}
	var services []labelledService
	if err := json.Unmarshal(body, &services); err != nil {
		t.Fatalf("decoding %s: %v", body, err)
	}
	for _, s := range services {
		if s.Name == name {
			return s, true
		}
	}
	return labelledService{}, false
}

// mustGet fails unless GET path answers status (and, for 200, body).
func mustGet(t *testing.T, h *harness, path string, status int, body string) {
	t.Helper()
	res, got := h.get(t, path)
	if res.StatusCode != status || (status == http.StatusOK && string(got) != body) {
		t.Fatalf("GET %s = %d %q, want %d %q", path, res.StatusCode, got, status, body)
	}
	if status != http.StatusOK {
		problemOf(t, res, got)
	}
}

func TestLabelRoutesFollowTheServiceLabels(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory")}))

	if ok, why := h.g.Ready(); !ok {
		t.Errorf("a gateway whose only routes come from labels is not ready: %s", why)
	}
	mustGet(t, h, "/inventory/x", http.StatusOK, "inv")
	if got := inv.Last(t); got.Path != "/inventory/x" {
		t.Errorf("the upstream received %s, want /inventory/x unchanged", got.Path)
	}
	eventually(t, "the label route's request metric", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "/inventory", "service": "inv", "code": "200"})
		return v == 1
	})
	mustGet(t, h, "/stock/x", http.StatusNotFound, "")

	// The tag changes: the old route goes, the new one comes, with no config change.
	h.g.Update(labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/stock")}))
	mustGet(t, h, "/stock/x", http.StatusOK, "inv")
	before := inv.Count()
	mustGet(t, h, "/inventory/x", http.StatusNotFound, "")
	if inv.Count() != before {
		t.Errorf("the upstream received a request for a route its labels dropped")
	}

	// The labels go away: so do the routes.
	h.g.Update(snapshot(t, map[string][]string{"inv": {inv.Addr()}}))
	mustGet(t, h, "/stock/x", http.StatusNotFound, "")
	if ok, _ := h.g.Ready(); ok {
		t.Errorf("the gateway is ready with no routes left")
	}
}

func TestLabelRouteOptionsApply(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": {
			Tags: []string{"bulwark.route=/inventory", "bulwark.host=inv.example.com", "bulwark.strip-prefix=true"},
			Meta: map[string]string{"bulwark-methods": "GET"},
		}}))

	res, body := h.get(t, "/inventory/items/1", "Host: inv.example.com")
	if res.StatusCode != http.StatusOK || string(body) != "inv" {
		t.Fatalf("GET = %d %q, want 200 from inv", res.StatusCode, body)
	}
	got := inv.Last(t)
	if got.Path != "/items/1" || got.Header.Get("X-Forwarded-Prefix") != "/inventory" {
		t.Errorf("upstream got path %q, X-Forwarded-Prefix %q; want the prefix stripped and forwarded", got.Path, got.Header.Get("X-Forwarded-Prefix"))
	}
	if res, _ := h.get(t, "/inventory/items/1", "Host: other.example.com"); res.StatusCode != http.StatusNotFound {
		t.Errorf("another host got %d, want 404", res.StatusCode)
	}
	res, _ = h.do(t, newRequest(t, http.MethodPost, h.url("/inventory/items"), nil, "Host: inv.example.com"))
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST on a GET-only label route = %d, want 405", res.StatusCode)
	}
}

func TestLabelRouteWithoutInstancesAnswers503(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	route := map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory")}
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}}, route))
	mustGet(t, h, "/inventory", http.StatusOK, "inv")

	t.Run("every instance gone", func(t *testing.T) {
		h.g.Update(&discovery.Snapshot{Labels: pmap.From(route), Source: "consul", Version: 2})
		mustGet(t, h, "/inventory", http.StatusServiceUnavailable, "")
		mustGet(t, h, "/elsewhere", http.StatusNotFound, "")
	})
	t.Run("every instance critical", func(t *testing.T) {
		h.g.Update(&discovery.Snapshot{
			Services: pmap.From(map[string][]discovery.Instance{"inv": {{ID: "inv-1", Addr: inv.Addr(), Health: discovery.Critical}}}),
			Labels:   pmap.From(route), Source: "consul", Version: 3,
		})
		before := inv.Count()
		mustGet(t, h, "/inventory", http.StatusServiceUnavailable, "")
		if inv.Count() != before {
			t.Errorf("a critical instance received a request")
		}
	})
	t.Run("an instance back", func(t *testing.T) {
		h.g.Update(labelled(t, map[string][]string{"inv": {inv.Addr()}}, route))
		mustGet(t, h, "/inventory", http.StatusOK, "inv")
	})
}

func TestLabelProblemsAreReported(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.websocket=maybe")}))
	srv := adminServer(t, h)

	// The bad value is dropped; the rest of the service still routes.
	mustGet(t, h, "/inventory", http.StatusOK, "inv")

	s, ok := adminService(t, srv, "inv")
	if !ok {
		t.Fatal("GET /api/v1/services does not list inv")
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], `websocket "maybe"`) {
		t.Errorf("inv's problems = %q, want the bad websocket value", s.Problems)
	}
	if v, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); !ok || v != 1 {
		t.Errorf("bulwark_label_problems{service=inv} = %v (present %v), want 1", v, ok)
	}
	logged := func() int {
		n := 0
		for _, l := range h.logs.lines(t, "gateway") {
			if l["msg"] == "service label problem" && l["service"] == "inv" &&
				strings.Contains(l["problem"].(string), `websocket "maybe"`) {
				n++
			}
		}
		return n
	}
	if n := logged(); n != 1 {
		t.Errorf("the problem was logged %d times, want once", n)
	}

	// The same labels again (an instance comes and goes): no new log line.
	h.g.Update(labelled(t, map[string][]string{"inv": {inv.Addr(), closedAddr(t)}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.websocket=maybe")}))
	if n := logged(); n != 1 {
		t.Errorf("an unchanged problem was logged %d times, want once", n)
	}

	// A second problem is counted.
	h.g.Update(labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.websocket=maybe", "bulwark.rout=/x")}))
	if v, _ := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); v != 2 {
		t.Errorf("bulwark_label_problems{service=inv} = %v, want 2", v)
	}

	// Fixed: the problem leaves the API and the series is deleted.
	h.g.Update(labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.websocket=true")}))
	s, ok = adminService(t, srv, "inv")
	if !ok || len(s.Problems) != 0 {
		t.Errorf("after the fix, inv is listed %v with problems %q, want listed with none", ok, s.Problems)
	}
	if v, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); ok {
		t.Errorf("bulwark_label_problems{service=inv} = %v after the fix, want the series deleted", v)
	}
	mustGet(t, h, "/inventory", http.StatusOK, "inv")
}

func TestLabelProblemsGoWithTheService(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=/inventory", "bulwark.methods=GET,P0ST")}))
	if _, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); !ok {
		t.Fatal("no bulwark_label_problems series for inv")
	}
	h.g.Update(snapshot(t, map[string][]string{"inv": {inv.Addr()}}))
	if v, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); ok {
		t.Errorf("bulwark_label_problems{service=inv} = %v after inv's labels went, want the series deleted", v)
	}
}

func TestLabelPolicy(t *testing.T) {
	t.Parallel()
	slow := newUpstream(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Second):
			_, _ = w.Write([]byte("slow"))
		}
	})

	t.Run("a meta timeout bounds the service's requests", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{}, labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": {Meta: map[string]string{"bulwark-route": "/slow", "bulwark-timeout": "100ms"}}}))
		srv := adminServer(t, h)

		// slow answers 200 after 1 s, and without the label the timeout is
		// the built-in 15 s: only the label's 100 ms can turn the answer
		// into a 504, so the status proves the label bounded the request
		// (no stopwatch needed).
		res, body := h.get(t, "/slow/a")
		if res.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("GET /slow/a = %d %q, want 504 from the label's 100ms timeout", res.StatusCode, body)
		}
		if p := problemOf(t, res, body); p.Service != "slow" {
			t.Errorf("problem = %+v, want service slow", p)
		}
		eventually(t, "the 504 to be counted as an upstream timeout", func() bool {
			v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"service": "slow", "kind": "timeout"})
			return v == 1
		})

		s, ok := adminService(t, srv, "slow")
		if !ok {
			t.Fatal("GET /api/v1/services does not list slow")
		}
		if s.Policy.Timeout != 100*time.Millisecond || s.PolicySource["timeout"] != "labels" {
			t.Errorf("slow's timeout = %v from %q, want 100ms from labels", s.Policy.Timeout, s.PolicySource["timeout"])
		}
		if s.PolicySource["balancer"] != "built-in" {
			t.Errorf("slow's balancer source = %q, want built-in", s.PolicySource["balancer"])
		}
		if len(s.Problems) != 0 {
			t.Errorf("problems = %q, want none", s.Problems)
		}
	})

	t.Run("label keys go on top of the file's layers", func(t *testing.T) {
		t.Parallel()
		connect := 2 * time.Second
		layers := []policies.Layer{
			{Name: "defaults", Set: policies.Overrides{}},
			{Name: "services.slow", Set: policies.Overrides{ConnectTimeout: &connect}},
		}
		filePol, fileWhy, err := policies.Resolve(layers...)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{
			Policies:      map[string]policies.Policy{"slow": filePol},
			PolicySources: map[string]policies.Explanation{"slow": fileWhy},
			Layers:        map[string][]policies.Layer{"slow": layers},
		}
		h := newHarness(t, cfg, labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": {
				Tags: []string{"bulwark.route=/slow", "bulwark.timeout=5s"},
				Meta: map[string]string{"bulwark-timeout": "150ms"},
			}}))
		srv := adminServer(t, h)

		if res, body := h.get(t, "/slow/b"); res.StatusCode != http.StatusGatewayTimeout {
			t.Fatalf("GET /slow/b = %d %q, want 504: the meta timeout wins over the tag", res.StatusCode, body)
		}
		s, _ := adminService(t, srv, "slow")
		if s.Policy.Timeout != 150*time.Millisecond || s.PolicySource["timeout"] != "labels" {
			t.Errorf("timeout = %v from %q, want 150ms from labels", s.Policy.Timeout, s.PolicySource["timeout"])
		}
		if s.Policy.ConnectTimeout != connect || s.PolicySource["connect_timeout"] != "services.slow" {
			t.Errorf("connect timeout = %v from %q, want the file's 2s from services.slow", s.Policy.ConnectTimeout, s.PolicySource["connect_timeout"])
		}

		// The label goes: the file's policy is back.
		h.g.Update(labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": tags("bulwark.route=/slow")}))
		s, _ = adminService(t, srv, "slow")
		if !s.Policy.Equal(&filePol) || s.PolicySource["timeout"] != "built-in" {
			t.Errorf("policy = %+v from %v, want the file's %+v", s.Policy, s.PolicySource, filePol)
		}
	})

	t.Run("the source follows a label that restates the value below it", func(t *testing.T) {
		t.Parallel()
		layers := []policies.Layer{{Name: "defaults"}}
		filePol, fileWhy, err := policies.Resolve(layers...)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{
			Policies:      map[string]policies.Policy{"slow": filePol},
			PolicySources: map[string]policies.Explanation{"slow": fileWhy},
			Layers:        map[string][]policies.Layer{"slow": layers},
		}
		h := newHarness(t, cfg, labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": {Meta: map[string]string{"bulwark-route": "/slow", "bulwark-timeout": filePol.Timeout.String()}}}))
		srv := adminServer(t, h)
		if s, _ := adminService(t, srv, "slow"); !s.Policy.Equal(&filePol) || s.PolicySource["timeout"] != "labels" {
			t.Errorf("policy %+v, timeout from %q; want the file's %+v, timeout from labels", s.Policy, s.PolicySource["timeout"], filePol)
		}
		h.g.Update(labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": tags("bulwark.route=/slow")}))
		if s, _ := adminService(t, srv, "slow"); !s.Policy.Equal(&filePol) || s.PolicySource["timeout"] != "built-in" {
			t.Errorf("after the label went: policy %+v, timeout from %q; want the file's, from built-in", s.Policy, s.PolicySource["timeout"])
		}
	})

	t.Run("labels that make the policy invalid are reported and the file's policy applies", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, Config{}, labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": {Meta: map[string]string{
				"bulwark-route": "/slow", "bulwark-timeout": "100ms", "bulwark-hash-on": "header:X-User",
			}}}))
		srv := adminServer(t, h)

		s, _ := adminService(t, srv, "slow")
		if d := policies.Defaults(); !s.Policy.Equal(&d) {
			t.Errorf("policy = %+v, want the defaults (the file names no policy)", s.Policy)
		}
		if len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "policy from labels") {
			t.Errorf("problems = %q, want the invalid label policy", s.Problems)
		}
		if v, _ := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "slow"}); v != 1 {
			t.Errorf("bulwark_label_problems{service=slow} = %v, want 1", v)
		}

		// Fixed by adding the balancer the key needs: the labels apply.
		h.g.Update(labelled(t, map[string][]string{"slow": {slow.Addr()}},
			map[string]discovery.Labels{"slow": {Meta: map[string]string{
				"bulwark-route": "/slow", "bulwark-timeout": "100ms", "bulwark-hash-on": "header:X-User", "bulwark-balancer": "consistent_hash",
			}}}))
		s, _ = adminService(t, srv, "slow")
		if len(s.Problems) != 0 || s.Policy.Balancer.Kind != policies.ConsistentHash || s.Policy.Timeout != 100*time.Millisecond {
			t.Errorf("after the fix: policy %+v, problems %q", s.Policy, s.Problems)
		}
		if _, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "slow"}); ok {
			t.Errorf("bulwark_label_problems{service=slow} still present after the fix")
		}
		if res, _ := h.get(t, "/slow/c"); res.StatusCode != http.StatusGatewayTimeout {
			t.Errorf("GET /slow/c = %d, want 504 from the 100ms label timeout", res.StatusCode)
		}
	})
}

func TestFileAndLabelRoutesCoexist(t *testing.T) {
	t.Parallel()
	ups, snap := fleet(t, "files", "inv", "other")
	snap.Labels = pmap.From(map[string]discovery.Labels{
		"inv":   tags("bulwark.route=/inventory"),
		"other": tags("bulwark.route=/files"), // the file's route: the file wins
	})
	h := newHarness(t, Config{Routes: []Route{{Name: "files", Path: "/files", Service: "files"}}}, snap)
	srv := adminServer(t, h)

	mustGet(t, h, "/files/a", http.StatusOK, "files")
	mustGet(t, h, "/inventory/a", http.StatusOK, "inv")
	if n := ups["other"].Count(); n != 0 {
		t.Errorf("the service whose label route the file shadows received %d requests", n)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "other"}); v != 1 {
		t.Errorf("bulwark_label_problems{service=other} = %v, want 1 (its route is the file's)", v)
	}
	res, body := adminGet(t, srv, "/api/v1/routes", "Bearer T")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/routes = %d", res.StatusCode)
	}
	var routes []RouteView
	if err := json.Unmarshal(body, &routes); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range routes {
		got = append(got, r.Path+"→"+r.Service)
	}
	slices.Sort(got)
	if want := []string{"/files→files", "/inventory→inv"}; !slices.Equal(got, want) {
		t.Errorf("routes = %q, want %q", got, want)
	}

	// A reload that drops the file's /files route hands it to the label, and
	// keeps the label routes.
	h.g.Configure(Config{Routes: []Route{{Name: "docs", Path: "/docs", Service: "files"}}}, nil)
	mustGet(t, h, "/docs", http.StatusOK, "files")
	mustGet(t, h, "/inventory/a", http.StatusOK, "inv")
	mustGet(t, h, "/files/a", http.StatusOK, "other")
	if v, ok := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "other"}); ok {
		t.Errorf("bulwark_label_problems{service=other} = %v once the file let go of /files, want the series deleted", v)
	}
}

// Two services whose labels claim one route: the lexically first serves it,
// whichever registered first, and the other is told.
func TestLabelRouteClaimedByTwoServices(t *testing.T) {
	t.Parallel()
	ups, snap := fleet(t, "alpha", "zeta")
	snap.Labels = pmap.From(map[string]discovery.Labels{
		"zeta":  tags("bulwark.route=/shared", "bulwark.route=/zeta"),
		"alpha": tags("bulwark.route=/shared"),
	})
	h := newHarness(t, Config{}, snap)
	srv := adminServer(t, h)

	mustGet(t, h, "/shared", http.StatusOK, "alpha")
	mustGet(t, h, "/zeta", http.StatusOK, "zeta")
	if n := ups["zeta"].Count(); n != 1 {
		t.Errorf("zeta received %d requests, want only its own route's", n)
	}
	s, ok := adminService(t, srv, "zeta")
	if !ok || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], "already taken by service alpha") {
		t.Errorf("zeta listed %v with problems %q, want the lost claim", ok, s.Problems)
	}
	if s, _ := adminService(t, srv, "alpha"); len(s.Problems) != 0 {
		t.Errorf("alpha's problems = %q, want none", s.Problems)
	}
}

// A service whose every label route is bad or shadowed has no route, but its
// problems must still be findable where the metric's help points: the admin API.
func TestLabelProblemsOfAnUnroutedServiceAreListed(t *testing.T) {
	t.Parallel()
	inv := newUpstream(t, "inv", nil)
	h := newHarness(t, Config{}, labelled(t, map[string][]string{"inv": {inv.Addr()}},
		map[string]discovery.Labels{"inv": tags("bulwark.route=inventory")}))
	srv := adminServer(t, h)

	if v, _ := metricValue(t, h.reg, "bulwark_label_problems", map[string]string{"service": "inv"}); v != 1 {
		t.Errorf("bulwark_label_problems{service=inv} = %v, want 1", v)
	}
	s, ok := adminService(t, srv, "inv")
	if !ok || len(s.Problems) != 1 || !strings.Contains(s.Problems[0], `route "inventory"`) {
		t.Errorf("inv listed %v with problems %q, want its bad route", ok, s.Problems)
	}
}
