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
