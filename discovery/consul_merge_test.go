package discovery

import (
	"testing"
	"time"
)

// A change of instances alone publishes a snapshot that shares the previous
// one's labels (no copy of every service's labels per health flap); a change
// of labels publishes a new copy with it, and the old snapshot keeps what it
// had.
func TestSnapshotsShareLabelsUntilTheyChange(t *testing.T) {
	a := newAggregator(ConsulConfig{})
	inst := func(addr string) []Instance { return []Instance{{ID: addr, Addr: addr, Weight: 1, Health: Passing}} }
	web := Labels{Tags: []string{"bulwark.route=/web"}}
	a.apply(update{service: "web", instances: inst("127.0.0.1:1"), labels: web, registered: true})
	a.apply(update{service: "db", instances: inst("127.0.0.1:2"), labels: Labels{Tags: []string{"v1"}}, registered: true})
	first := a.snapshot(1, time.Now())

	a.apply(update{service: "web", instances: inst("127.0.0.1:3"), labels: Labels{Tags: []string{"bulwark.route=/web"}}, registered: true})
	second := a.snapshot(2, time.Now())
	if !second.Labels.Same(first.Labels) {
		t.Error("an instance change copied the labels")
	}
	if got := second.Instances("web")[0].Addr; got != "127.0.0.1:3" {
		t.Errorf("web's instance %s, want the new one", got)
	}

	a.apply(update{service: "db", instances: inst("127.0.0.1:2"), labels: Labels{Tags: []string{"v2"}}, registered: true})
	third := a.snapshot(3, time.Now())
	if third.Labels.Same(second.Labels) {
		t.Fatal("a label change did not make a new copy")
	}
	if got, was := third.LabelsOf("db").Tags[0], second.LabelsOf("db").Tags[0]; got != "v2" || was != "v1" {
		t.Errorf("db's tags: %s now, %s in the earlier snapshot; want v2 and v1", got, was)
	}

	a.forget(map[string]bool{"db": false, "web": true})
	fourth := a.snapshot(4, time.Now())
	if fourth.Labels.Has("db") || third.Labels.Len() != 2 {
		t.Errorf("after db left: labels %v now, %v before", fourth.Labels, third.Labels)
	}
}

// A snapshot after an answer that changed nothing names no service, and
// says so: a nil Changed would tell the gateway to rebuild every service.
func TestSnapshotOfNoChangeNamesNone(t *testing.T) {
	a := newAggregator(ConsulConfig{})
	a.apply(update{service: "web", instances: []Instance{{ID: "a", Addr: "127.0.0.1:1", Health: Passing}}, registered: true})
	if first := a.snapshot(1, time.Now()); len(first.Changed) != 1 {
		t.Fatalf("first snapshot changed %v, want [web]", first.Changed)
	}
	again := a.snapshot(2, time.Now())
	if again.Changed == nil || len(again.Changed) != 0 {
		t.Fatalf("a snapshot with no change has Changed = %#v, want an empty list", again.Changed)
	}
}
