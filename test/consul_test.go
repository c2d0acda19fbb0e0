package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// consulConfig renders a config that discovers from the agent, with extra YAML
// appended (routes, failover...).
func consulConfig(agent *consultest.Agent, extra string) func(p ports) string {
	return func(p ports) string {
		return fmt.Sprintf("listen:\n  http: %q\nadmin:\n  listen: %q\n  token: %q\nlog:\n  level: info\n"+
			"discovery:\n  consul:\n    address: %q\n    wait: 2s\n%s", p.HTTP, p.Admin, adminToken, agent.Addr, extra)
	}
}

// instance registers u under service name with tags, using its real port.
func instance(t *testing.T, agent *consultest.Agent, id, name string, u *upstream, tags []string, meta map[string]string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(u.Addr())
	p, _ := strconv.Atoi(port)
	agent.Register(t, consultest.Service{ID: id, Name: name, Address: host, Port: p, Tags: tags, Meta: meta})
}

// until polls a GET through the gateway until check accepts the response.
func until(t *testing.T, c *http.Client, url, what string, check func(response) bool) response {
	t.Helper()
	var last response
	if !eventually(10*time.Second, func() bool {
		r, err := tryDo(c, "GET", url, nil)
		last = r
		return err == nil && check(r)
	}) {
		t.Fatalf("timed out waiting for %s at %s; last: %d %q", what, url, last.Status, last.Body)
	}
	return last
}

func from(name string) func(response) bool {
	return func(r response) bool { return r.Status == 200 && strings.HasPrefix(r.Body, "upstream "+name+" ") }
}

func status(code int) func(response) bool {
	return func(r response) bool { return r.Status == code }
}

// adminJSON GETs an admin API path with the token and decodes it.
func adminJSON(t *testing.T, pr *proc, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", pr.adminURL(path), nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, b)
	}
}

func TestConsulRoutesFollowRegistrations(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	a, b := newUpstream(t, "inv-a"), newUpstream(t, "inv-b")
	legacy := newUpstream(t, "legacy")
	pr := startServe(t, consulConfig(agent, "routes:\n  - path: /old\n    service: legacy-svc\n"))
	c := newClient(t)

	// A route from a tag, a file route to a Consul service, and Fabio's tag.
	instance(t, agent, "inv-1", "inventory", a, []string{"bulwark.route=/inventory"}, map[string]string{"bulwark-timeout": "3s"})
	instance(t, agent, "legacy-1", "legacy-svc", legacy, []string{"urlprefix-/fabio strip=/fabio"}, nil)
	until(t, c, pr.url("/inventory/1"), "the tagged route", from("inv-a"))
	until(t, c, pr.url("/old/x"), "the file route to a Consul service", from("legacy"))
	r := until(t, c, pr.url("/fabio/y"), "the Fabio route", from("legacy"))
	if !strings.HasSuffix(r.Body, " /y") {
		t.Errorf("strip=/fabio did not strip: %q", r.Body)
	}

	// A second instance shares the load; failing one leaves the other.
	instance(t, agent, "inv-2", "inventory", b, []string{"bulwark.route=/inventory"}, nil)
	until(t, c, pr.url("/inventory/2"), "the second instance", from("inv-b"))
	agent.Fail(t, "inv-2")
	time.Sleep(100 * time.Millisecond)
	for i := range 10 {
		if r := do(t, c, "GET", pr.url("/inventory/"+strconv.Itoa(i)), nil); !from("inv-a")(r) {
			t.Fatalf("request %d after inv-2 failed its check: %d %q", i, r.Status, r.Body)
		}
	}

	// Every instance failing keeps the route: 503, not 404.
	agent.Fail(t, "inv-1")
	r = until(t, c, pr.url("/inventory/3"), "503 with no healthy instance", status(503))
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	agent.Pass(t, "inv-1")
	until(t, c, pr.url("/inventory/4"), "recovery", from("inv-a"))

	// The policy from meta, and a bad label reported while the rest applies.
	instance(t, agent, "inv-1", "inventory", a, []string{"bulwark.route=/inventory", "bulwark.route=stock"},
		map[string]string{"bulwark-timeout": "3s", "bulwark-balancer": "fastest"})
	var services []struct {
		Name         string            `json:"name"`
		Policy       map[string]any    `json:"policy"`
		PolicySource map[string]string `json:"policy_source"`
		Problems     []string          `json:"problems"`
	}
	if !eventually(10*time.Second, func() bool {
		adminJSON(t, pr, "/api/v1/services", &services)
		for _, s := range services {
			if s.Name == "inventory" && len(s.Problems) == 2 {
				return true
			}
		}
		return false
	}) {
		t.Fatalf("label problems never showed: %+v", services)
	}
	for _, s := range services {
		if s.Name == "inventory" && (s.PolicySource["timeout"] != "labels" || s.Policy["timeout"] != "3s") {
			t.Errorf("inventory policy %v from %v: want timeout 3s from labels", s.Policy, s.PolicySource)
		}
	}
	until(t, c, pr.url("/inventory/5"), "the service to keep routing despite bad labels", from("inv-a"))
	res := do(t, c, "GET", pr.adminURL("/metrics"), nil)
	if v, _ := metricValue(res.Body, `bulwark_label_problems{service="inventory"}`); v != "2" {
		t.Errorf("bulwark_label_problems{service=inventory} = %q, want 2", v)
	}

	// Deregistering removes the route: 404.
	agent.Deregister(t, "inv-1")
	agent.Deregister(t, "inv-2")
	until(t, c, pr.url("/inventory/6"), "404 once the service is gone", status(404))
	if v, _ := metricValue(do(t, c, "GET", pr.adminURL("/metrics"), nil).Body, "bulwark_discovery_convergence_seconds_count"); v == "" || v == "0" {
		t.Errorf("bulwark_discovery_convergence_seconds_count = %q", v)
	}
	pr.checkNoRace()
}

func TestConsulOutageKeepsRoutingAndReadyzSaysStale(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	up := newUpstream(t, "a")
	instance(t, agent, "a-1", "a", up, []string{"bulwark.route=/a"}, nil)
	pr := startServe(t, consulConfig(agent, ""))
	c := newClient(t)
	until(t, c, pr.url("/a"), "the route", from("a"))
	if r := do(t, c, "GET", pr.adminURL("/readyz"), nil); r.Status != 200 || strings.Contains(r.Body, "stale") {
		t.Fatalf("readyz with Consul up: %d %q", r.Status, r.Body)
	}

	agent.Stop(t)
	r := until(t, c, pr.adminURL("/readyz"), "readyz to say discovery is stale", func(r response) bool {
		return strings.Contains(r.Body, "stale")
	})
	if r.Status != 200 {
		t.Errorf("readyz during a Consul outage = %d; the gateway still routes and must stay in its load balancer", r.Status)
	}
	if v, _ := metricValue(do(t, c, "GET", pr.adminURL("/metrics"), nil).Body, "bulwark_discovery_stale"); v != "1" {
		t.Errorf("bulwark_discovery_stale = %q during the outage", v)
	}
	for i := range 20 {
		if r := do(t, c, "GET", pr.url("/a/"+strconv.Itoa(i)), nil); !from("a")(r) {
			t.Fatalf("request %d during the outage: %d %q", i, r.Status, r.Body)
		}
	}

	agent.Restart(t)
	b := newUpstream(t, "b")
	instance(t, agent, "a-2", "a", b, []string{"bulwark.route=/a"}, nil)
	until(t, c, pr.url("/a/x"), "the instances registered after the restart", from("b"))
	until(t, c, pr.adminURL("/readyz"), "readyz to stop saying stale", func(r response) bool {
		return r.Status == 200 && !strings.Contains(r.Body, "stale")
	})
	pr.checkNoRace()
}

func TestConsulNotReadyUntilConsulAnswers(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	agent.Stop(t)
	pr := startServe(t, consulConfig(agent, "routes:\n  - path: /s\n    service: s\n"))
	c := newClient(t)
	r := do(t, c, "GET", pr.adminURL("/readyz"), nil)
	if r.Status != 503 || !strings.Contains(r.Body, "Consul") {
		t.Fatalf("readyz before Consul ever answered: %d %q", r.Status, r.Body)
	}
	agent.Restart(t)
	until(t, c, pr.adminURL("/readyz"), "readiness once Consul answers", status(200))
	pr.checkNoRace()
}

// TestGatewayRegistersItselfInConsul: with discovery.consul.register, the
// gateway is a Consul service checked through its /readyz, passing while it
// serves, and gone from Consul as soon as it shuts down.
func TestGatewayRegistersItselfInConsul(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	// A gateway with no route is not ready, and so not passing: give it one.
	pr := startServe(t, consulConfig(agent, "    register: {name: edge, tags: [v1], check_interval: 1s}\n"+
		"routes:\n  - path: /s\n    service: s\n"))
	_, port, _ := net.SplitHostPort(pr.ports.HTTP)
	type entry struct {
		Service struct {
			ID   string
			Port int
			Tags []string
		}
	}
	health := func(query string) []entry {
		res, err := http.Get("http://" + agent.Addr + "/v1/health/service/edge" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []entry
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	var passing []entry
	if !eventually(15*time.Second, func() bool { passing = health("?passing=1"); return len(passing) == 1 }) {
		t.Fatalf("the gateway never became a passing Consul service; all: %+v", health(""))
	}
	if got := passing[0].Service; strconv.Itoa(got.Port) != port || len(got.Tags) != 1 || got.Tags[0] != "v1" {
		t.Errorf("registered %+v, want port %s and tag v1", got, port)
	}
	pr.signal(syscall.SIGTERM)
	if code := pr.waitExit(20 * time.Second); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if left := health(""); len(left) != 0 {
		t.Errorf("the gateway is still registered after shutdown: %+v", left)
	}
}
