package discovery

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// referenceMerge is Merge as it was before snapshots shared structure: every
// service of every source copied into new maps, in source order.
func referenceMerge(snaps ...*Snapshot) (map[string][]Instance, map[string]Labels) {
	services, labels := map[string][]Instance{}, map[string]Labels{}
	for _, s := range snaps {
		if s == nil {
			continue
		}
		for name, ins := range s.Services.All() {
			if have, ok := services[name]; ok {
				services[name] = mergeInstances(have, ins)
			} else {
				services[name] = ins
			}
		}
		for name, l := range s.Labels.All() {
			if _, ok := labels[name]; !ok {
				labels[name] = l
			}
		}
	}
	return services, labels
}

// Merge starts from the largest snapshot and merges only the names the others
// have; whichever is largest, and wherever it stands in the order, the result
// is the copying merge's.
func TestMergeAgreesWithCopyingEverything(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	randomSnapshot := func(src string) *Snapshot {
		if rng.IntN(5) == 0 {
			return nil
		}
		var services pmap.Map[string, []Instance]
		var labels pmap.Map[string, Labels]
		for range rng.IntN(12) {
			name := fmt.Sprint("svc-", rng.IntN(10))
			var ins []Instance
			for range rng.IntN(3) {
				addr := fmt.Sprintf("127.0.0.1:%d", 1+rng.IntN(4))
				ins = append(ins, Instance{ID: src + "/" + addr, Addr: addr})
			}
			services = services.Set(name, ins)
			if rng.IntN(2) == 0 {
				labels = labels.Set(name, Labels{Tags: []string{src}})
			}
		}
		return &Snapshot{Source: src, Services: services, Labels: labels}
	}
	for i := range 500 {
		snaps := []*Snapshot{randomSnapshot("static"), randomSnapshot("consul"), randomSnapshot("other")}
		got := Merge(1, snaps...)
		services, labels := referenceMerge(snaps...)
		if !reflect.DeepEqual(got.Services.Clone(), services) || !reflect.DeepEqual(got.Labels.Clone(), labels) {
			t.Fatalf("case %d: merged\n services %v\n labels %v\nwant\n services %v\n labels %v",
				i, got.Services.Clone(), got.Labels.Clone(), services, labels)
		}
	}
}

// MergeChange names every service whose merged entry moved when one source
// published, as long as that source named its own changes: static services
// beside Consul's no longer make the gateway rebuild everything.
func TestMergeChangeNamesWhatMoved(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	static := &Snapshot{Source: "static"}
	for i := range 4 {
		static.Services = static.Services.Set(fmt.Sprint("svc-", i), []Instance{{ID: "s", Addr: "127.0.0.1:1"}})
	}
	consul := &Snapshot{Source: "consul"}
	last := Merge(1, static, consul)
	for step := range 300 {
		// The next Consul snapshot, and what it says it changed.
		next := &Snapshot{Source: "consul", Services: consul.Services, Labels: consul.Labels, Changed: []string{}}
		for range 1 + rng.IntN(3) {
			name := fmt.Sprint("svc-", rng.IntN(8))
			switch rng.IntN(3) {
			case 0:
				next.Services = next.Services.Delete(name)
				next.Labels = next.Labels.Delete(name)
			case 1:
				next.Services = next.Services.Set(name, []Instance{{ID: "c", Addr: fmt.Sprintf("127.0.0.1:%d", 1+rng.IntN(3))}})
			default:
				next.Labels = next.Labels.Set(name, Labels{Tags: []string{fmt.Sprint(rng.IntN(3))}})
			}
			next.Changed = append(next.Changed, name)
		}
		got := MergeChange(uint64(step+2), next, static, next)
		if got.Changed == nil {
			t.Fatalf("step %d: Changed unknown", step)
		}
		named := map[string]bool{}
		for _, n := range got.Changed {
			named[n] = true
		}
		for i := range 8 {
			name := fmt.Sprint("svc-", i)
			before, _ := last.Services.Get(name)
			after, _ := got.Services.Get(name)
			lb, _ := last.Labels.Get(name)
			la, _ := got.Labels.Get(name)
			if (!reflect.DeepEqual(before, after) || !reflect.DeepEqual(lb, la)) && !named[name] {
				t.Fatalf("step %d: %s moved (%v → %v, %v → %v) but Changed is %v", step, name, before, after, lb, la, got.Changed)
			}
		}
		consul, last = next, got
	}
	// A source that does not know what it changed leaves the merge unknown.
	unknown := &Snapshot{Source: "consul", Services: consul.Services}
	if got := MergeChange(999, unknown, static, unknown); got.Changed != nil {
		t.Fatalf("Changed %v from a source whose changes are unknown", got.Changed)
	}
}
