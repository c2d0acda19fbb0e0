package discovery

import (
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/internal/labels"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/hashicorp/consul/api"
)

// entry builds one health answer entry: a service instance on a node, with
// checks given as "status" or "status:checkID".
func entry(node, id, addr string, port int, tags []string, meta map[string]string, checks ...string) *healthEntry {
	e := &healthEntry{
		Node:    &healthNode{Node: node, Address: "10.0.0." + node[len(node)-1:]},
		Service: &healthService{ID: id, Address: addr, Port: port, Tags: tags, Meta: meta},
	}
	for i, c := range checks {
		status, checkID, _ := strings.Cut(c, ":")
		if checkID == "" {
			checkID = "check" + string(rune('a'+i))
		}
		e.Checks = append(e.Checks, &healthCheck{CheckID: checkID, Status: status})
	}
	return e
}

// consulWith is a Consul source reading weights with bulwark's label parser,
// as the command wires it.
func consulWith(t *testing.T, w WarningPolicy) *Consul {
	t.Helper()
	c, err := NewConsul(ConsulConfig{Address: "127.0.0.1:1", Warning: w, Weight: labels.InstanceWeight})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addrs(ins []Instance) string {
	var s []string
	for _, in := range ins {
		s = append(s, in.Addr)
	}
	return strings.Join(s, " ")
}

func TestConsulConvertRoutesOnlyHealthyInstances(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  WarningPolicy
		entries []*healthEntry
		want    string
		counts  HealthCounts
	}{
		{"a passing instance is routed", WarningExclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing")},
			"127.0.0.1:9001", HealthCounts{Passing: 1}},
		{"a critical check on the node or the service excludes it", WarningExclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing", "critical")},
			"", HealthCounts{Critical: 1}},
		{"warning is excluded by default", WarningExclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "warning")},
			"", HealthCounts{Warning: 1}},
		{"warning is routed under include", WarningInclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "warning")},
			"127.0.0.1:9001", HealthCounts{Warning: 1}},
		{"service maintenance is excluded and counted apart", WarningInclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing", "critical:"+api.ServiceMaintPrefix+"a")},
			"", HealthCounts{Maintenance: 1}},
		{"node maintenance is excluded", WarningInclude,
			[]*healthEntry{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "critical:"+api.NodeMaint)},
			"", HealthCounts{Maintenance: 1}},
		{"a service without an address uses its node's", WarningExclude,
			[]*healthEntry{entry("n7", "a", "", 9001, nil, nil, "passing")},
			"10.0.0.7:9001", HealthCounts{Passing: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, problems := consulWith(t, tc.policy).convert("svc", "", tc.entries)
			if got := addrs(u.instances); got != tc.want {
				t.Errorf("instances = %q, want %q", got, tc.want)
			}
			if u.counts != tc.counts {
				t.Errorf("counts = %+v, want %+v", u.counts, tc.counts)
			}
			if len(problems) != 0 {
				t.Errorf("problems = %q", problems)
			}
			if !u.registered {
				t.Error("registered = false for a service with entries")
			}
		})
	}
}

func TestConsulConvertReportsBadRegistrationsAndKeepsTheRest(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bad     *healthEntry
		problem string
		want    string // routed addresses, the good instance included
	}{
		{"a port out of range is skipped", entry("n1", "bad", "127.0.0.1", 70000, nil, nil, "passing"),
			"port 70000 out of range", "127.0.0.1:9001"},
		{"a zero port is skipped", entry("n1", "bad", "127.0.0.1", 0, nil, nil, "passing"),
			"port 0 out of range", "127.0.0.1:9001"},
		{"a second instance at the same address is skipped", entry("n2", "dup", "127.0.0.1", 9001, nil, nil, "passing"),
			"also instance", "127.0.0.1:9001"},
		{"a bad weight tag keeps the instance at its default weight", entry("n1", "w", "127.0.0.1", 9002, []string{"bulwark.weight=heavy"}, nil, "passing"),
			`tag bulwark.weight="heavy"`, "127.0.0.1:9001 127.0.0.1:9002"},
		{"a weight out of range in meta is reported", entry("n1", "w", "127.0.0.1", 9002, nil, map[string]string{"bulwark-weight": "0"}, "passing"),
			`meta bulwark-weight="0"`, "127.0.0.1:9001 127.0.0.1:9002"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := entry("n1", "good", "127.0.0.1", 9001, nil, nil, "passing")
			u, problems := consulWith(t, WarningExclude).convert("svc", "", []*healthEntry{good, tc.bad})
			if got := addrs(u.instances); got != tc.want {
				t.Errorf("instances = %q, want %q", got, tc.want)
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.problem) {
				t.Errorf("problems = %q, want one containing %q", problems, tc.problem)
			}
		})
	}
	t.Run("an instance without any address is skipped", func(t *testing.T) {
		e := entry("n1", "none", "", 9001, nil, nil, "passing")
		e.Node.Address = ""
		u, problems := consulWith(t, WarningExclude).convert("svc", "", []*healthEntry{e})
		if len(u.instances) != 0 || len(problems) != 1 || !strings.Contains(problems[0], "no address") {
			t.Errorf("instances %v problems %q", u.instances, problems)
		}
	})
}

func TestConsulConvertWeights(t *testing.T) {
	tagged := entry("n1", "a", "127.0.0.1", 9001, []string{"bulwark.weight=5"}, nil, "passing")
	warned := entry("n1", "b", "127.0.0.1", 9002, nil, nil, "warning")
	native := entry("n1", "c", "127.0.0.1", 9003, nil, nil, "passing")
	native.Service.Weights = healthWeights{Passing: 3}
	u, _ := consulWith(t, WarningReduced).convert("svc", "", []*healthEntry{tagged, warned, native})
	got := map[string]int{}
	for _, in := range u.instances {
		got[in.Addr] = in.Weight
	}
	// Under reduced, passing instances are scaled by 10 over warning ones.
	want := map[string]int{"127.0.0.1:9001": 50, "127.0.0.1:9002": 1, "127.0.0.1:9003": 30}
	for addr, w := range want {
		if got[addr] != w {
			t.Errorf("weight of %s = %d, want %d (all: %v)", addr, got[addr], w, got)
		}
	}
}

// Without ConsulConfig.Weight the source reads no weight label: an instance
// has its registration's Consul weight whatever its tags say.
func TestConsulConvertWithoutAWeightReaderUsesTheConsulWeight(t *testing.T) {
	c, err := NewConsul(ConsulConfig{Address: "127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	tagged := entry("n1", "a", "127.0.0.1", 9001, []string{"bulwark.weight=heavy"}, map[string]string{"bulwark-weight": "5"}, "passing")
	tagged.Service.Weights = healthWeights{Passing: 3}
	u, problems := c.convert("svc", "", []*healthEntry{tagged})
	if len(u.instances) != 1 || u.instances[0].Weight != 3 || len(problems) != 0 {
		t.Errorf("instances %+v, problems %q: want weight 3 and no problem", u.instances, problems)
	}
}

func TestConsulConvertLabelsIgnoreHealth(t *testing.T) {
	a := entry("n1", "a", "127.0.0.1", 9001, []string{"bulwark.route=/inv", "x"}, map[string]string{"bulwark-timeout": "2s"}, "critical")
	b := entry("n1", "b", "127.0.0.1", 9002, []string{"bulwark.route=/inv", "y"}, map[string]string{"bulwark-timeout": "9s"}, "critical")
	u, _ := consulWith(t, WarningExclude).convert("svc", "", []*healthEntry{b, a})
	if len(u.instances) != 0 {
		t.Fatalf("critical instances routed: %v", u.instances)
	}
	if got := strings.Join(u.labels.Tags, " "); got != "bulwark.route=/inv x y" {
		t.Errorf("tags = %q: want the union over every registered instance", got)
	}
	if got := u.labels.Meta["bulwark-timeout"]; got != "2s" {
		t.Errorf("meta from %q: want the instance with the lowest ID (n1/a)", got)
	}
}

func TestAggregatorFailsOverInOrderAndBack(t *testing.T) {
	cfg := ConsulConfig{Failover: map[string][]string{"svc": {"dc1", "dc2"}}}
	cfg.setDefaults()
	a := newAggregator(cfg)
	local := []Instance{{ID: "l", Addr: "127.0.0.1:1", Health: Passing}}
	remote := []Instance{{ID: "r", Addr: "127.0.0.2:1", Health: Passing}}
	labels := Labels{Tags: []string{"bulwark.route=/svc"}}
	a.apply(update{service: "svc", dc: "dc1", instances: local, registered: true, labels: labels})
	a.apply(update{service: "svc", dc: "dc2", instances: remote, registered: true})
	step := func(what, want string) {
		t.Helper()
		s := a.snapshot(1, time.Time{})
		if got := addrs(s.Instances("svc")); got != want {
			t.Fatalf("%s: instances = %q, want %q", what, got, want)
		}
		if got := s.LabelsOf("svc").Tags; len(got) != 1 {
			t.Fatalf("%s: labels = %v, want the local registration's", what, got)
		}
	}
	step("the local datacenter serves while healthy", "127.0.0.1:1")
	a.apply(update{service: "svc", dc: "dc1", registered: true, labels: labels})
	step("with no healthy local instance the next datacenter serves", "127.0.0.2:1")
	a.apply(update{service: "svc", dc: "dc1", instances: local, registered: true, labels: labels})
	step("the local datacenter serves again once it recovers", "127.0.0.1:1")
	// Deregistered (its health answer lists nothing) before the catalog says
	// so: it leaves the snapshot now, and the catalog's word changes nothing.
	a.apply(update{service: "svc", dc: "dc1"})
	a.apply(update{service: "svc", dc: "dc2"})
	if s := a.snapshot(2, time.Time{}); s.Services.Len() != 0 || s.Labels.Len() != 0 || len(s.Changed) != 1 {
		t.Fatalf("a service registered nowhere is still in the snapshot: %+v", s)
	}
	if changed := a.forget(map[string]bool{"svc": false}); changed {
		t.Fatal("forget reported a change for a service already gone")
	}
	if s := a.snapshot(2, time.Time{}); s.Services.Len() != 0 || s.Labels.Len() != 0 {
		t.Fatalf("a service gone from the catalog is still in the snapshot: %+v", s)
	}
}

func TestMergeJoinsSourcesWithoutDuplicates(t *testing.T) {
	static := &Snapshot{Source: "static", Services: pmap.From(map[string][]Instance{
		"a": {{ID: "x", Addr: "127.0.0.1:1"}}, "s": {{ID: "s", Addr: "127.0.0.1:9"}}})}
	consul := &Snapshot{Source: "consul", Services: pmap.From(map[string][]Instance{
		"a": {{ID: "n/x", Addr: "127.0.0.1:1"}, {ID: "n/y", Addr: "127.0.0.1:2"}}, "c": {}}),
		Labels: pmap.From(map[string]Labels{"c": {Tags: []string{"t"}}})}
	m := Merge(7, static, nil, consul)
	if got := addrs(m.Instances("a")); got != "127.0.0.1:1 127.0.0.1:2" {
		t.Errorf("a = %q", got)
	}
	if ok := m.Services.Has("c"); !ok || len(m.LabelsOf("c").Tags) != 1 || m.Version != 7 || m.Source != "merged" {
		t.Errorf("merged = %+v", m)
	}
	if got := addrs(static.Instances("a")); got != "127.0.0.1:1" {
		t.Errorf("Merge modified its input: %q", got)
	}
}

// A registration problem is logged when it appears, not again with each
// later answer that still has it (another instance's health flapping), and
// a new one is logged when it comes.
func TestRegistrationProblemsAreLoggedWhenTheyAppear(t *testing.T) {
	var log strings.Builder
	c, err := NewConsul(ConsulConfig{Address: "127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sw := &serviceWatch{c: c, w: c.status.watch("service svc"), service: "svc", out: make(chan update, 8)}
	dup := entry("n2", "b", "127.0.0.1", 9001, nil, nil, "passing") // a's address again
	answers := [][]*healthEntry{
		{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing"), dup, entry("n3", "c", "127.0.0.3", 9003, nil, nil, "passing")},
		{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing"), dup, entry("n3", "c", "127.0.0.3", 9003, nil, nil, "critical")},
		{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing"), dup, entry("n3", "c", "127.0.0.3", 9003, nil, nil, "passing")},
		{entry("n1", "a", "127.0.0.1", 9001, nil, nil, "passing"), dup, entry("n3", "c", "127.0.0.3", 0, nil, nil, "passing")},
	}
	for i, entries := range answers {
		sw.answer(t.Context(), entries, uint64(10+i), uint64(9+i))
	}
	if n := strings.Count(log.String(), "is also instance"); n != 1 {
		t.Errorf("the duplicate address was logged %d times over 4 answers, want once:\n%s", n, log.String())
	}
	if n := strings.Count(log.String(), "out of range"); n != 1 {
		t.Errorf("the new bad port was logged %d times, want once:\n%s", n, log.String())
	}
	if got := len(sw.out); got != 4 {
		t.Errorf("%d updates sent for 4 answers that each changed routing, want 4", got)
	}
}

// The instances of one service share their tags and meta when they are
// equal, rather than each keeping its decoded copy (issue 20); an
// instance with labels of its own keeps them.
func TestConvertSharesEqualLabels(t *testing.T) {
	c := &Consul{cfg: ConsulConfig{Warning: WarningExclude}}
	c.cfg.setDefaults()
	var entries []*healthEntry
	for i := range 5 {
		meta := map[string]string{"version": "1"}
		tags := []string{"bulwark.route=/web", "v1"}
		if i == 4 {
			meta = map[string]string{"version": "2"}
		}
		entries = append(entries, entry("n1", fmt.Sprint("web-", i), "127.0.0.1", 9000+i, tags, meta, "passing"))
	}
	u, problems := c.convert("web", "", entries)
	if len(u.instances) != 5 || len(problems) != 0 {
		t.Fatalf("%d instances, problems %v", len(u.instances), problems)
	}
	first := u.instances[0]
	for _, in := range u.instances[1:4] {
		if &in.Tags[0] != &first.Tags[0] || reflect.ValueOf(in.Meta).UnsafePointer() != reflect.ValueOf(first.Meta).UnsafePointer() {
			t.Errorf("instance %s keeps its own copy of equal labels", in.ID)
		}
	}
	if last := u.instances[4]; last.Meta["version"] != "2" || !reflect.DeepEqual(last.Tags, first.Tags) {
		t.Errorf("the instance with its own meta has %v %v", last.Tags, last.Meta)
	}
}
