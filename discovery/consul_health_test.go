package discovery

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/consultest"
	"github.com/hashicorp/consul/api"
)

// healthEntry reads a real agent's answer exactly as consul/api's ServiceEntry
// does, field for field, for every field convert uses: instances with and
// without their own address, tags, meta, weights, and passing, warning,
// critical and maintenance checks (service and node).
func TestHealthEntryReadsWhatConsulAPIReads(t *testing.T) {
	agent := consultest.Start(t, consultest.Options{})
	agent.Register(t, consultest.Service{ID: "a-1", Name: "a", Address: "127.0.0.1", Port: 9001,
		Tags: []string{"bulwark.route=/a", "v2"}, Meta: map[string]string{"bulwark-timeout": "2s", "owner": "x"},
		PassingWeight: 3, WarningWeight: 1})
	agent.Register(t, consultest.Service{ID: "a-2", Name: "a", Port: 9002}) // the node's address
	agent.Register(t, consultest.Service{ID: "a-3", Name: "a", Address: "::1", Port: 9003, Tags: []string{}})
	agent.Register(t, consultest.Service{ID: "a-4", Name: "a", Address: "127.0.0.4", Port: 9004})
	agent.Warn(t, "a-2")
	agent.Fail(t, "a-3")
	agent.Maintenance(t, "a-4", true)

	var body []byte
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + agent.Addr + "/v1/health/service/a")
		if err != nil {
			t.Fatal(err)
		}
		body, err = io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var probe []*api.ServiceEntry
		if json.Unmarshal(body, &probe) == nil && len(probe) == 4 && len(probe[3].Checks) > 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not list 4 instances with their checks: %s", body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	compareHealthDecodings(t, body)
}

// compareHealthDecodings decodes body both ways and fails on any difference
// in a field convert reads, or when only one of the two decodes it.
func compareHealthDecodings(t *testing.T, body []byte) {
	t.Helper()
	var full []*api.ServiceEntry
	var slim []*healthEntry
	errFull, errSlim := json.Unmarshal(body, &full), json.Unmarshal(body, &slim)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errFull == nil && errSlim == nil:
	case errFull != nil && errSlim != nil:
		return
	case errSlim == nil && errors.As(errFull, &typeErr) && !readFields[typeErr.Field]:
		// A value of the wrong type in a field routing never reads (Consul
		// sends none): consul/api fails on it, healthEntry skips it.
		return
	default:
		t.Fatalf("consul/api: %v; healthEntry: %v; body %q", errFull, errSlim, body)
	}
	if len(full) != len(slim) {
		t.Fatalf("%d entries, consul/api read %d", len(slim), len(full))
	}
	for i, f := range full {
		s := slim[i]
		if (f == nil) != (s == nil) {
			t.Fatalf("entry %d: nil %v, consul/api nil %v", i, s == nil, f == nil)
		}
		if f == nil {
			continue
		}
		if (f.Node == nil) != (s.Node == nil) || f.Node != nil && (f.Node.Node != s.Node.Node || f.Node.Address != s.Node.Address) {
			t.Errorf("entry %d: node %+v, consul/api %+v", i, s.Node, f.Node)
		}
		if (f.Service == nil) != (s.Service == nil) {
			t.Fatalf("entry %d: service nil %v, consul/api nil %v", i, s.Service == nil, f.Service == nil)
		}
		if fs, ss := f.Service, s.Service; fs != nil && (fs.ID != ss.ID || fs.Address != ss.Address ||
			fs.Port != ss.Port || !slices.Equal(fs.Tags, ss.Tags) || (fs.Tags == nil) != (ss.Tags == nil) ||
			!maps.Equal(fs.Meta, ss.Meta) || fs.Weights.Passing != ss.Weights.Passing) {
			t.Errorf("entry %d: service %+v, consul/api %+v", i, *ss, *fs)
		}
		if len(f.Checks) != len(s.Checks) {
			t.Fatalf("entry %d: %d checks, consul/api %d", i, len(s.Checks), len(f.Checks))
		}
		for j, fc := range f.Checks {
			sc := s.Checks[j]
			if (fc == nil) != (sc == nil) || fc != nil && (fc.CheckID != sc.CheckID || fc.Status != sc.Status) {
				t.Errorf("entry %d check %d: %+v, consul/api %+v", i, j, sc, fc)
			}
		}
		hf, mf := aggregateHealth(checksOf(f.Checks))
		hs, ms := aggregateHealth(s.Checks)
		if hf != hs || mf != ms {
			t.Errorf("entry %d: health %v maintenance %v, from consul/api's checks %v %v", i, hs, ms, hf, mf)
		}
	}
}

// readFields are the fields healthEntry reads, as json.UnmarshalTypeError
// names them.
var readFields = map[string]bool{"": true, "Node": true, "Node.Node": true, "Node.Address": true,
	"Service": true, "Service.ID": true, "Service.Address": true, "Service.Port": true,
	"Service.Tags": true, "Service.Meta": true, "Service.Weights": true, "Service.Weights.Passing": true,
	"Checks": true, "Checks.CheckID": true, "Checks.Status": true}

func checksOf(cs api.HealthChecks) []*healthCheck {
	out := make([]*healthCheck, len(cs))
	for i, c := range cs {
		if c != nil {
			out[i] = &healthCheck{CheckID: c.CheckID, Status: c.Status}
		}
	}
	return out
}

// FuzzHealthEntryDecoding holds the two decodings to agreement on any body:
// both fail, or both read the same values (case-insensitive keys, duplicate
// keys, nulls, wrong types and numbers out of range included).
func FuzzHealthEntryDecoding(f *testing.F) {
	for _, seed := range []string{
		`[{"Node":{"Node":"n1","Address":"10.0.0.1"},"Service":{"ID":"a-1","Address":"127.0.0.1","Port":9001,"Tags":["x"],"Meta":{"k":"v"},"Weights":{"Passing":3,"Warning":1}},"Checks":[{"CheckID":"serfHealth","Status":"passing"},{"CheckID":"service:a-1","Status":"warning"}]}]`,
		`[{"node":{"node":"n1"},"service":{"id":"a","port":1,"PORT":2},"checks":null}]`,
		`[null,{"Service":null},{"Service":{"Port":1e3}}]`,
		`[{"Service":{"Port":"80"}}]`,
		`[{"Service":{"Port":99999999999999999999}}]`,
		`[{"Service":{"Tags":null,"Meta":null,"Weights":null}}]`,
		`{"Service":{}}`,
		`[{"Checks":[{"CheckID":"_node_maintenance","Status":"critical"},null]}]`,
		`[]`, `null`, ``, `[{"Service":{"Meta":{"a":1}}}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareHealthDecodings(t, body)
	})
}
