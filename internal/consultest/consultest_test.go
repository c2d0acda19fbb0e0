package consultest

import (
	"net/http"
	"testing"
	"time"
)

// healthEntry is the part of GET /v1/health/service/<name> the tests read.
type healthEntry struct {
	Node    struct{ Node, Datacenter string }
	Service struct {
		ID, Service, Address string
		Port                 int
		Tags                 []string
		Meta                 map[string]string
		Weights              struct{ Passing, Warning int }
	}
	Checks []struct{ CheckID, Status string }
}

// waitHealth polls the health endpoint until ok accepts the answer: the agent
// syncs registrations and check updates into the catalog asynchronously.
func waitHealth(t *testing.T, a *Agent, query string, ok func([]healthEntry) bool) []healthEntry {
	t.Helper()
	var got []healthEntry
	var err error
	for deadline := time.Now().Add(readyTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = nil
		if err = a.do(http.MethodGet, "/v1/health/service/"+query, nil, &got); err == nil && ok(got) {
			return got
		}
	}
	t.Fatalf("GET /v1/health/service/%s on %s: never matched; last answer %+v, error %v", query, a.Datacenter, got, err)
	return nil
}

func count(n int) func([]healthEntry) bool {
	return func(e []healthEntry) bool { return len(e) == n }
}

func checkStatus(e healthEntry, id string) string {
	for _, c := range e.Checks {
		if c.CheckID == id {
			return c.Status
		}
	}
	return ""
}

func TestRegisterAndHealthChanges(t *testing.T) {
	t.Parallel()
	a := Start(t, Options{})
	if a.Datacenter != "dc1" {
		t.Fatalf("default datacenter = %q, want dc1", a.Datacenter)
	}
	a.Register(t, Service{ID: "web-1", Name: "web", Address: "127.0.0.1", Port: 8080,
		Tags: []string{"v1"}, Meta: map[string]string{"version": "1"}, PassingWeight: 5, WarningWeight: 2})
	a.Register(t, Service{Name: "db", Address: "127.0.0.1", Port: 5432})

	got := waitHealth(t, a, "web?passing=1", count(1))[0]
	s := got.Service
	if s.ID != "web-1" || s.Port != 8080 || s.Address != "127.0.0.1" || len(s.Tags) != 1 || s.Tags[0] != "v1" ||
		s.Meta["version"] != "1" || s.Weights.Passing != 5 || s.Weights.Warning != 2 {
		t.Fatalf("registered service came back as %+v", s)
	}
	if st := checkStatus(got, "service:web-1"); st != "passing" {
		t.Fatalf("TTL check status = %q, want passing", st)
	}
	db := waitHealth(t, a, "db", count(1))[0]
	if db.Service.ID != "db" || db.Service.Weights.Passing != 1 {
		t.Fatalf("ID should default to Name and weights to Consul's: %+v", db.Service)
	}

	status := func(want string) func([]healthEntry) bool {
		return func(e []healthEntry) bool { return len(e) == 1 && checkStatus(e[0], "service:web-1") == want }
	}
	a.Fail(t, "web-1")
	waitHealth(t, a, "web", status("critical"))
	waitHealth(t, a, "web?passing=1", count(0))
	a.Warn(t, "web-1")
	waitHealth(t, a, "web", status("warning"))
	a.Pass(t, "web-1")
	waitHealth(t, a, "web?passing=1", count(1))

	a.Maintenance(t, "web-1", true)
	waitHealth(t, a, "web?passing=1", count(0))
	a.Maintenance(t, "web-1", false)
	waitHealth(t, a, "web?passing=1", count(1))

	a.NodeMaintenance(t, true)
	waitHealth(t, a, "db?passing=1", count(0))
	a.NodeMaintenance(t, false)
	waitHealth(t, a, "db?passing=1", count(1))

	a.Deregister(t, "web-1")
	waitHealth(t, a, "web", count(0))

	addr := a.Addr
	a.Restart(t)
	if a.Addr != addr {
		t.Fatalf("Restart moved the agent from %s to %s", addr, a.Addr)
	}
	waitHealth(t, a, "db", count(0)) // dev mode: state is gone
	a.Stop(t)
	a.Stop(t) // idempotent
	if err := a.do(http.MethodGet, "/v1/status/leader", nil, nil); err == nil {
		t.Fatal("agent still answers after Stop")
	}
}

// TestJoinWAN checks that two dev agents in different datacenters federate
// over WAN gossip and answer each other's cross-datacenter health queries.
func TestJoinWAN(t *testing.T) {
	t.Parallel()
	dc1 := Start(t, Options{Datacenter: "dc1"})
	dc2 := Start(t, Options{Datacenter: "dc2"})
	JoinWAN(t, dc1, dc2)

	dc2.Register(t, Service{ID: "api-1", Name: "api", Address: "127.0.0.2", Port: 9000})
	got := waitHealth(t, dc1, "api?dc=dc2", count(1))[0]
	if got.Node.Datacenter != "dc2" || got.Service.ID != "api-1" || got.Service.Port != 9000 {
		t.Fatalf("dc1 sees dc2's service as %+v", got)
	}
	waitHealth(t, dc1, "api", count(0)) // not in dc1 itself

	dc2.Fail(t, "api-1")
	waitHealth(t, dc1, "api?dc=dc2&passing=1", count(0))
}

func TestBinaryFound(t *testing.T) {
	bin := Binary(t)
	if !isExecutable(bin) {
		t.Fatalf("Binary returned %q, which is not executable", bin)
	}
	t.Log("consul binary:", bin)
}
