package consultest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// Service is one service instance to register on an agent. ID defaults to
// Name. Weights are sent only when PassingWeight or WarningWeight is non-zero;
// otherwise Consul's defaults apply (passing 1, warning 1).
type Service struct {
	ID, Name, Address string
	Port              int
	Tags              []string
	Meta              map[string]string
	PassingWeight     int
	WarningWeight     int
}

// Register registers s on the agent with a TTL check that starts out passing,
// so the instance is healthy at once and its health changes only when the
// test says so (Fail, Warn, Pass). The check's ID is "service:<ID>".
// Consul copies the registration into the catalog asynchronously: poll the
// catalog or health endpoints rather than expecting it there immediately.
func (a *Agent) Register(t testing.TB, s Service) {
	t.Helper()
	if s.ID == "" {
		s.ID = s.Name
	}
	type weights struct{ Passing, Warning int }
	body := struct {
		ID, Name, Address string
		Port              int
		Tags              []string          `json:",omitempty"`
		Meta              map[string]string `json:",omitempty"`
		Weights           *weights          `json:",omitempty"`
		Check             map[string]string
	}{
		ID: s.ID, Name: s.Name, Address: s.Address, Port: s.Port, Tags: s.Tags, Meta: s.Meta,
		Check: map[string]string{"CheckID": "service:" + s.ID, "TTL": "1h", "Status": "passing"},
	}
	if s.PassingWeight != 0 || s.WarningWeight != 0 {
		body.Weights = &weights{s.PassingWeight, s.WarningWeight}
	}
	a.put(t, "/v1/agent/service/register", body)
}

// Deregister removes the service instance with this ID from the agent.
func (a *Agent) Deregister(t testing.TB, id string) {
	t.Helper()
	a.put(t, "/v1/agent/service/deregister/"+url.PathEscape(id), nil)
}

// Fail marks the instance's TTL check critical.
func (a *Agent) Fail(t testing.TB, id string) { t.Helper(); a.check(t, "fail", id) }

// Warn marks the instance's TTL check warning.
func (a *Agent) Warn(t testing.TB, id string) { t.Helper(); a.check(t, "warn", id) }

// Pass marks the instance's TTL check passing again.
func (a *Agent) Pass(t testing.TB, id string) { t.Helper(); a.check(t, "pass", id) }

func (a *Agent) check(t testing.TB, state, id string) {
	t.Helper()
	a.put(t, "/v1/agent/check/"+state+"/service:"+url.PathEscape(id), nil)
}

// Maintenance puts the instance into maintenance mode (Consul adds a critical
// check) or takes it out again.
func (a *Agent) Maintenance(t testing.TB, id string, enable bool) {
	t.Helper()
	a.put(t, "/v1/agent/service/maintenance/"+url.PathEscape(id)+maintQuery(enable), nil)
}

// NodeMaintenance puts the whole node, and so every instance on it, into
// maintenance mode or takes it out again.
func (a *Agent) NodeMaintenance(t testing.TB, enable bool) {
	t.Helper()
	a.put(t, "/v1/agent/maintenance"+maintQuery(enable), nil)
}

func maintQuery(enable bool) string {
	return fmt.Sprintf("?enable=%t&reason=test", enable)
}

// JoinWAN joins b to a's WAN pool and waits until each agent lists the other's
// datacenter, which is when cross-datacenter queries (?dc=) start to work.
func JoinWAN(t testing.TB, a, b *Agent) {
	t.Helper()
	b.put(t, "/v1/agent/join/"+a.WANAddr+"?wan=1", nil)
	deadline := time.Now().Add(readyTimeout)
	for {
		okA, errA := a.knowsDC(b.Datacenter)
		okB, errB := b.knowsDC(a.Datacenter)
		if okA && okB {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consultest: after WAN join, %s sees %s: %v (%v); %s sees %s: %v (%v)",
				a.Datacenter, b.Datacenter, okA, errA, b.Datacenter, a.Datacenter, okB, errB)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (a *Agent) knowsDC(dc string) (bool, error) {
	var dcs []string
	if err := a.do(http.MethodGet, "/v1/catalog/datacenters", nil, &dcs); err != nil {
		return false, err
	}
	return slices.Contains(dcs, dc), nil
}

func (a *Agent) put(t testing.TB, path string, body any) {
	t.Helper()
	if err := a.do(http.MethodPut, path, body, nil); err != nil {
		t.Fatalf("consultest: agent %s: %v", a.Addr, err)
	}
}
