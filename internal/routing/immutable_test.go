package routing

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/bulwark-gw/bulwark/internal/frozentest"
)

// TestBuildNeverWritesAPublishedTable builds chains of tables, each from the
// one before (the file and services changing at random), while another
// goroutine reads and matches against the latest tables, as requests still
// on them do. Every table must render as it did when it was built, however
// many were built from it since; under -race, a write to one while it is
// read is reported too.
func TestBuildNeverWritesAPublishedTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	services := []string{"a", "b", "c", "d"}
	type published struct {
		t     *table
		print string
	}
	check := func(where string, ps []published) {
		t.Helper()
		for _, p := range ps {
			if now := frozentest.Print(p.t, nil); now != p.print {
				t.Fatalf("%s: a table changed after it was built, %s", where, frozentest.Diff(p.print, now))
			}
		}
	}
	for chain := range 30 {
		file := randomRoutes(rng, rng.IntN(3))
		labels := map[string]Owned{}
		tbl, _ := Build[struct{}](nil, sourceOf(file, labels), Dirty{File: true})
		all := []published{{tbl, frozentest.Print(tbl, nil)}}
		for step := range 12 {
			next := maps.Clone(labels)
			dirty := Dirty{}
			if rng.IntN(4) == 0 {
				file, dirty.File = randomRoutes(rng, rng.IntN(3)), true
			}
			for range 1 + rng.IntN(2) {
				s := services[rng.IntN(len(services))]
				if rng.IntN(4) == 0 {
					delete(next, s)
				} else {
					routes := randomRoutes(rng, rng.IntN(4))
					for i := range routes {
						routes[i].Service = s
					}
					next[s] = ownedOf(routes)
				}
				dirty.Services = append(dirty.Services, s)
			}
			recent := all[max(len(all)-3, 0):]
			reading := make(chan struct{})
			go func() {
				defer close(reading)
				for _, p := range recent {
					p.t.Match(httptest.NewRequest("GET", "http://a.example.com/a/b", nil))
					_ = frozentest.Print(p.t, nil)
				}
			}()
			tbl, _ = Build(tbl, sourceOf(file, next), dirty)
			<-reading
			labels = next
			all = append(all, published{tbl, frozentest.Print(tbl, nil)})
			check(fmt.Sprintf("chain %d step %d", chain, step), recent)
		}
		check(fmt.Sprintf("chain %d", chain), all)
	}
}
