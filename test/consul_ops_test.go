package test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/consultest"
)

// logLines counts the lines of the process's log that contain every one of parts.
func logLines(pr *proc, parts ...string) int {
	n := 0
	for line := range strings.Lines(pr.stderr.String()) {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// TestConsulGatewayWithNoRoutesYetIsReady: a gateway fed only by Consul, with
// no labelled service yet, is ready (it serves what discovery says: nothing
// yet), so its own registration in Consul passes its /readyz check; when a
// labelled service registers, the log says which route was added.
func TestConsulGatewayWithNoRoutesYetIsReady(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	pr := startServe(t, consulConfig(agent, "    register: {name: edge, check_interval: 1s}\n"))
	c := newClient(t)
	r := until(t, c, pr.adminURL("/readyz"), "readyz with Consul answering and no routes", status(200))
	if !strings.Contains(r.Body, "no routes yet") {
		t.Errorf("readyz body %q does not say there are no routes yet", r.Body)
	}
	passing := func() int {
		res, err := http.Get("http://" + agent.Addr + "/v1/health/service/edge?passing=1")
		if err != nil {
			return -1
		}
		defer res.Body.Close()
		var out []json.RawMessage
		_ = json.NewDecoder(res.Body).Decode(&out)
		return len(out)
	}
	if !eventually(20*time.Second, func() bool { return passing() == 1 }) {
		t.Errorf("the gateway's own Consul check never passed with no routes yet")
	}

	up := newUpstream(t, "inv")
	instance(t, agent, "inv-1", "inventory", up, []string{"bulwark.route=/inventory"}, nil)
	until(t, c, pr.url("/inventory/1"), "the label route", from("inv"))
	if !eventually(10*time.Second, func() bool { return logLines(pr, "route added", "inventory", "/inventory") == 1 }) {
		t.Errorf("no single 'route added' line for service inventory, path /inventory; stderr:\n%s", pr.stderr.String())
	}
	if r := do(t, c, "GET", pr.adminURL("/readyz"), nil); r.Status != 200 || strings.Contains(r.Body, "no routes") {
		t.Errorf("readyz with a route: %d %q", r.Status, r.Body)
	}
	pr.checkNoRace()
}

// TestConsulOutageIsOneWarningAndOneRecoveryLine: however many watches retry
// through a Consul outage, the log has one WARN for it and one line when
// discovery recovers; the retries are counted by watch kind.
func TestConsulOutageIsOneWarningAndOneRecoveryLine(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	for _, name := range []string{"a", "b", "c", "d"} {
		instance(t, agent, name+"-1", name, newUpstream(t, name), []string{"bulwark.route=/" + name}, nil)
	}
	pr := startServe(t, consulConfig(agent, ""))
	c := newClient(t)
	until(t, c, pr.url("/d"), "the routes", from("d"))

	agent.Stop(t)
	serviceErrors := func() int {
		v, _ := metricValue(do(t, c, "GET", pr.adminURL("/metrics"), nil).Body, `bulwark_discovery_watch_errors_total{watch="service"}`)
		n, _ := strconv.Atoi(v)
		return n
	}
	// Each of the four service watches fails and retries (1 s, then 2 s, ...).
	if !eventually(30*time.Second, func() bool { return serviceErrors() >= 8 }) {
		t.Fatalf("bulwark_discovery_watch_errors_total{watch=\"service\"} = %d, want the retries counted", serviceErrors())
	}
	if n := logLines(pr, "consul discovery is failing"); n != 1 {
		t.Errorf("%d 'discovery is failing' lines for one outage, want 1", n)
	}
	if n := logLines(pr, "WARN", "consul"); n != 1 {
		t.Errorf("%d WARN lines about Consul during the outage, want the one for the outage; stderr:\n%s", n, pr.stderr.String())
	}

	agent.Restart(t)
	if !eventually(60*time.Second, func() bool { return logLines(pr, "consul discovery recovered", "down_for") == 1 }) {
		t.Fatalf("no recovery line; stderr:\n%s", pr.stderr.String())
	}
	if n := logLines(pr, "consul discovery is failing"); n != 1 {
		t.Errorf("%d 'discovery is failing' lines in all, want 1", n)
	}
	pr.checkNoRace()
}
