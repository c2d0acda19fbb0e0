package gateway

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"testing"
)

// viewOf is a label view with the routes of a service, as readLabels leaves it.
func viewOf(routes []Route) *labelView {
	v := &labelView{routes: routes}
	for _, r := range routes {
		v.ids = append(v.ids, routeIdentity(r))
		v.keys = append(v.keys, bucketOfRoute(r))
	}
	return v
}

// fullMerge is the table and conflicts the whole merge makes of file and views.
func fullMerge(file []Route, views map[string]*labelView) (*table, map[string][]conflict) {
	routes, conflicts := mergeRoutes(file, views, slices.Sorted(maps.Keys(views)))
	t, _, _ := rebuild(nil, routes)
	t.index = newMergeIndex(file, views)
	return t, conflicts
}

// TestIncrementalMergeMatchesTheFullOne applies random chains of label route
// changes (services registering, leaving, moving and colliding with each
// other and with the file) with applyRouteChanges, and after every step
// compares its table and conflicts with those the whole merge makes.
func TestIncrementalMergeMatchesTheFullOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	services := []string{"a", "b", "c", "d", "e", "f"}
	randomService := func(name string) []Route {
		routes := randomRoutes(rng, rng.IntN(4))
		for i := range routes {
			routes[i].Service, routes[i].Name = name, ""
		}
		return routes
	}
	for chain := range 100 {
		file := randomRoutes(rng, rng.IntN(3))
		views := map[string]*labelView{}
		for _, s := range services[:2+rng.IntN(4)] {
			views[s] = viewOf(randomService(s))
		}
		tbl, conflicts := fullMerge(file, views)
		st := &state{table: tbl, labels: views, conflicts: conflicts}
		for step := range 8 {
			next := maps.Clone(st.labels)
			var moved []string
			for range 1 + rng.IntN(2) {
				s := services[rng.IntN(len(services))]
				if rng.IntN(4) == 0 {
					delete(next, s)
				} else {
					next[s] = viewOf(randomService(s))
				}
				moved = append(moved, s)
			}
			got, gotConflicts, _, _ := applyRouteChanges(st, next, moved)
			want, wantConflicts := fullMerge(file, next)
			where := fmt.Sprintf("chain %d step %d (moved %v)", chain, step, moved)
			compareTables(t, where, got, want)
			if !maps.EqualFunc(gotConflicts, wantConflicts, slices.Equal) {
				t.Fatalf("%s: conflicts\n got  %v\n want %v", where, gotConflicts, wantConflicts)
			}
			st = &state{table: got, labels: next, conflicts: gotConflicts}
		}
	}
}

// compareTables fails unless got and want hold the same buckets with the same
// routes, count them alike, index the same services and answer requests alike.
func compareTables(t *testing.T, where string, got, want *table) {
	t.Helper()
	if got.count != want.count || len(got.buckets) != len(want.buckets) {
		t.Fatalf("%s: %d routes in %d buckets, want %d in %d", where, got.count, len(got.buckets), want.count, len(want.buckets))
	}
	for k, wb := range want.buckets {
		gb := got.buckets[k]
		if gb == nil || !slices.EqualFunc(gb.src, wb.src, identical) {
			t.Fatalf("%s: bucket %+v\n got  %+v\n want %+v", where, k, gb, wb.src)
		}
	}
	if !maps.EqualFunc(got.services, want.services, func(a, b []*route) bool {
		return slices.EqualFunc(a, b, func(x, y *route) bool { return identical(x.Route, y.Route) })
	}) {
		t.Fatalf("%s: the per-service index differs", where)
	}
	if !maps.EqualFunc(got.index.services, want.index.services, slices.Equal) {
		t.Fatalf("%s: services by bucket\n got  %v\n want %v", where, got.index.services, want.index.services)
	}
	for _, host := range []string{"a.example.com", "x.a.example.com", "b.example.com", "other.test"} {
		for _, path := range []string{"/", "/a", "/a/b", "/ab", "/b/c", "/c"} {
			r := httptest.NewRequest("GET", "http://"+host+path, nil)
			g, gerr := got.match(r)
			w, werr := want.match(r)
			if gerr != werr || (g == nil) != (w == nil) || g != nil && !identical(g.Route, w.Route) {
				t.Fatalf("%s: GET %s%s: got %v %v, want %v %v", where, host, path, g, gerr, w, werr)
			}
		}
	}
}
