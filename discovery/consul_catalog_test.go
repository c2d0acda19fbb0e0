package discovery

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// serviceList is a service list answer as Consul sends it, with n services.
func serviceList(n int) []byte {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"svc-%d":["bulwark.route=/svc-%d","v1"]`, i, i)
	}
	b.WriteString(`,"consul":[]}`)
	return []byte(b.String())
}

func TestCatalogReportsWhatEachAnswerChanges(t *testing.T) {
	t.Parallel()
	var cat catalog
	for _, step := range []struct {
		answer         string
		added, removed []string
		wantErr        bool
	}{
		{answer: `{"consul": [], "web": ["bulwark.route=/w"], "db": null}`, added: []string{"db", "web"}},
		{answer: `{"consul": [], "web": [], "db": null}`},
		{answer: `{"web": [], "cache": []}`, added: []string{"cache"}, removed: []string{"db"}},
		// A broken answer changes nothing: the next is compared with the last good one.
		{answer: `{"web": [], "cache": [], "x": [}`, wantErr: true},
		{answer: `<html>`, wantErr: true},
		{answer: `{"web": [], "web": [], "caf\u00e9": []}`, added: []string{"café"}, removed: []string{"cache"}},
		{answer: `{}`, removed: []string{"café", "web"}},
	} {
		added, removed, err := cat.read([]byte(step.answer))
		if (err != nil) != step.wantErr {
			t.Fatalf("%s: error %v, want one: %v", step.answer, err, step.wantErr)
		}
		slices.Sort(added)
		slices.Sort(removed)
		if !slices.Equal(added, step.added) || !slices.Equal(removed, step.removed) {
			t.Errorf("%s: added %q removed %q, want %q and %q", step.answer, added, removed, step.added, step.removed)
		}
	}
}

// TestCatalogFollowsRandomLists holds the catalog's changes, and the feed's
// merging of them, to the lists themselves: applying what Run takes, at
// random moments, always leaves Run with the last list's names.
func TestCatalogFollowsRandomLists(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(11, 12))
	var cat catalog
	feed := newCatalogFeed()
	have := map[string]bool{} // what Run knows, from what it took
	want := map[string]bool{}
	for range 2000 {
		list := map[string][]string{}
		for range rng.IntN(12) {
			list[fmt.Sprintf("s%d", rng.IntN(16))] = nil
		}
		raw, _ := json.Marshal(list)
		prev := want
		want = map[string]bool{}
		for name := range list {
			want[name] = true
		}
		added, removed, err := cat.read(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, a := range added {
			if prev[a] || !want[a] {
				t.Fatalf("%s: %q added, but it was listed before or is not now", raw, a)
			}
		}
		for _, r := range removed {
			if !prev[r] || want[r] {
				t.Fatalf("%s: %q removed, but it was not listed before or is now", raw, r)
			}
		}
		if len(prev)+len(added)-len(removed) != len(want) {
			t.Fatalf("%s: %d names before, %d added, %d removed; %d now", raw, len(prev), len(added), len(removed), len(want))
		}
		feed.push(added, removed)
		if rng.IntN(3) == 0 {
			<-feed.ready
			for name, present := range feed.take() {
				if present {
					have[name] = true
				} else {
					delete(have, name)
				}
			}
			if !maps.Equal(have, want) {
				t.Fatalf("Run would know %v; the catalog lists %v", slices.Sorted(maps.Keys(have)), slices.Sorted(maps.Keys(want)))
			}
		}
	}
}

// TestCatalogReadsKnownNamesWithoutAllocating: an answer that lists the
// names the catalog holds costs no allocation, however many there are. At
// a thousand services a fresh map per answer was 62 KiB of each
// registration's garbage.
func TestCatalogReadsKnownNamesWithoutAllocating(t *testing.T) {
	list := serviceList(1000)
	var cat catalog
	if added, _, err := cat.read(list); err != nil || len(added) != 1000 {
		t.Fatalf("first answer: %d added, %v", len(added), err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if added, removed, err := cat.read(list); err != nil || added != nil || removed != nil {
			t.Fatalf("the same answer again: added %d, removed %d, %v", len(added), len(removed), err)
		}
	})
	if allocs != 0 {
		t.Errorf("reading a known list of 1,000 names allocated %v times, want 0", allocs)
	}
}

func TestCatalogFeedWakesForAnAnswerWithoutChanges(t *testing.T) {
	t.Parallel()
	feed := newCatalogFeed()
	feed.push(nil, nil)
	select {
	case <-feed.ready:
	default:
		t.Fatal("the first answer, empty, did not wake Run: start-up waits for it")
	}
	if got := feed.take(); len(got) != 0 {
		t.Errorf("take = %v, want nothing", got)
	}
}

// BenchmarkCatalogRead is what one registration's service list costs to
// read at 1,000 services.
func BenchmarkCatalogRead(b *testing.B) {
	one, two := serviceList(1000), serviceList(1001)
	var cat catalog
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		list := one
		if i%2 == 0 {
			list = two
		}
		if _, _, err := cat.read(list); err != nil {
			b.Fatal(err)
		}
	}
}
