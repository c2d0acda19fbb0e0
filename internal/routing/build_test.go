package routing

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http/httptest"
	"slices"
	"testing"
)

// TestRebuildReusesUnchangedBuckets checks the point of the buckets: a
// change compiles the routes of the buckets it touches, and the per-service
// index and the delta's list of changed services follow.
func TestRebuildReusesUnchangedBuckets(t *testing.T) {
	var routes []Route
	for i := range 100 {
		routes = append(routes, Route{Path: fmt.Sprintf("/svc-%d", i), Service: fmt.Sprintf("svc-%d", i)})
	}
	old, _ := fileTable(nil, routes)
	next, d := fileTable(old, append(slices.Clone(routes), Route{Path: "/probe/x", Service: "probe"}))
	if len(d.Added) != 1 || d.Added[0].Service != "probe" || len(d.Removed) != 0 {
		t.Fatalf("adding one route compiled %d and dropped %d", len(d.Added), len(d.Removed))
	}
	nb, _ := next.buckets.Get(Key{seg: "svc-7"})
	ob, _ := old.buckets.Get(Key{seg: "svc-7"})
	if nb == nil || nb != ob {
		t.Error("an untouched bucket was rebuilt")
	}
	if !slices.Equal(d.Services, []string{"probe"}) || next.Routes("probe")[0].Path != "/probe/x" {
		t.Errorf("changed %v, probe's routes %v", d.Services, next.Routes("probe"))
	}
	back, d := fileTable(next, routes)
	if len(d.Added) != 0 || len(d.Removed) != 1 || back.Routes("probe") != nil || !slices.Equal(d.Services, []string{"probe"}) {
		t.Errorf("removing it: added %d, removed %d, probe %v, changed %v", len(d.Added), len(d.Removed), back.Routes("probe"), d.Services)
	}
}

// A build that is told nothing changed returns the table it was given.
func TestBuildWithNothingDirtyIsTheSameTable(t *testing.T) {
	old, _ := fileTable(nil, []Route{{Path: "/a", Service: "a"}})
	if next, d := Build(old, Source{File: []Route{{Path: "/b", Service: "b"}}}, Dirty{}); next != old || len(d.Added)+len(d.Removed) != 0 {
		t.Errorf("a build with nothing dirty made a new table (%d added, %d removed)", len(d.Added), len(d.Removed))
	}
}

// ownedOf is a service's label routes, as the gateway's label reader hands them over.
func ownedOf(routes []Route) Owned {
	o := Owned{Routes: routes}
	for _, r := range routes {
		o.IDs = append(o.IDs, Identity(r))
		o.Keys = append(o.Keys, KeyOf(r))
	}
	return o
}

func sourceOf(file []Route, labels map[string]Owned) Source {
	return Source{File: file, Labels: func(s string) Owned { return labels[s] }}
}

// referenceMerge is ownership written the slow, obvious way, over every
// route at once: the file's routes first, then every service's label routes
// in the order of the services' names, a route whose identity is held being
// skipped.
func referenceMerge(file []Route, labels map[string]Owned) ([]Route, map[string][]Conflict) {
	routes := slices.Clone(file)
	owner := map[string]string{}
	for _, r := range file {
		owner[Identity(r)] = ""
	}
	conflicts := map[string][]Conflict{}
	for _, name := range slices.Sorted(maps.Keys(labels)) {
		for _, r := range labels[name].Routes {
			id := Identity(r)
			if o, taken := owner[id]; taken {
				if o != name {
					conflicts[name] = append(conflicts[name], Conflict{Key: KeyOf(r), Msg: conflictMessage(r, o)})
				}
				continue
			}
			owner[id] = name
			routes = append(routes, r)
		}
	}
	for _, list := range conflicts {
		sortConflicts(list)
	}
	return routes, conflicts
}

// everything is the Dirty of a build from nothing: the file and every service.
func everything(labels map[string]Owned) Dirty {
	return Dirty{File: true, Services: slices.Collect(maps.Keys(labels))}
}

// TestIncrementalMergeMatchesTheFullOne applies random chains of label route
// changes (services registering, leaving, moving and colliding with each
// other and with the file), each step a Build told only the services that
// moved, and after every step compares the table and its conflicts with
// those of a Build of everything from nothing, and with referenceMerge.
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
		labels := map[string]Owned{}
		for _, s := range services[:2+rng.IntN(4)] {
			labels[s] = ownedOf(randomService(s))
		}
		tbl, _ := Build[struct{}](nil, sourceOf(file, labels), everything(labels))
		for step := range 8 {
			next := maps.Clone(labels)
			var moved []string
			for range 1 + rng.IntN(2) {
				s := services[rng.IntN(len(services))]
				if rng.IntN(4) == 0 {
					delete(next, s)
				} else {
					next[s] = ownedOf(randomService(s))
				}
				moved = append(moved, s)
			}
			got, _ := Build(tbl, sourceOf(file, next), Dirty{Services: moved})
			want, _ := Build[struct{}](nil, sourceOf(file, next), everything(next))
			where := fmt.Sprintf("chain %d step %d (moved %v)", chain, step, moved)
			compareTables(t, where, got, want)
			routes, conflicts := referenceMerge(file, next)
			ref, _ := fileTable(nil, routes)
			compareBuckets(t, where+" against the reference", got, ref)
			if !maps.EqualFunc(got.conflicts.Clone(), conflicts, slices.Equal) {
				t.Fatalf("%s: conflicts\n got  %v\n want %v", where, got.conflicts, conflicts)
			}
			tbl, labels = got, next
		}
	}
}

// compareTables fails unless got and want hold the same buckets, claims and
// conflicts, index the same services and answer requests alike.
func compareTables(t *testing.T, where string, got, want *table) {
	t.Helper()
	compareBuckets(t, where, got, want)
	if !maps.EqualFunc(got.claims.Clone(), want.claims.Clone(), slices.Equal) {
		t.Fatalf("%s: services by bucket\n got  %v\n want %v", where, got.claims, want.claims)
	}
	if !maps.EqualFunc(got.conflicts.Clone(), want.conflicts.Clone(), slices.Equal) {
		t.Fatalf("%s: conflicts\n got  %v\n want %v", where, got.conflicts, want.conflicts)
	}
	if got.exact != want.exact || got.wild != want.wild {
		t.Fatalf("%s: %d exact and %d wildcard buckets, want %d and %d", where, got.exact, got.wild, want.exact, want.wild)
	}
}

// compareBuckets fails unless got and want hold the same buckets with the
// same routes, count them alike, index the same services and answer
// requests alike.
func compareBuckets(t *testing.T, where string, got, want *table) {
	t.Helper()
	if got.count != want.count || got.buckets.Len() != want.buckets.Len() {
		t.Fatalf("%s: %d routes in %d buckets, want %d in %d", where, got.count, got.buckets.Len(), want.count, want.buckets.Len())
	}
	for k, wb := range want.buckets.All() {
		gb, _ := got.buckets.Get(k)
		if gb == nil || !slices.EqualFunc(gb.src, wb.src, Identical) {
			t.Fatalf("%s: bucket %+v\n got  %+v\n want %+v", where, k, gb, wb.src)
		}
	}
	if !maps.EqualFunc(got.routed.Clone(), want.routed.Clone(), func(a, b []*entry) bool {
		return slices.EqualFunc(a, b, func(x, y *entry) bool { return Identical(x.Route, y.Route) })
	}) {
		t.Fatalf("%s: the per-service index differs", where)
	}
	for _, host := range []string{"a.example.com", "x.a.example.com", "b.example.com", "other.test"} {
		for _, path := range []string{"/", "/a", "/a/b", "/ab", "/b/c", "/c"} {
			r := httptest.NewRequest("GET", "http://"+host+path, nil)
			g, gerr := got.Match(r)
			w, werr := want.Match(r)
			if gerr != werr || (g == nil) != (w == nil) || g != nil && !Identical(g.Route, w.Route) {
				t.Fatalf("%s: GET %s%s: got %v %v, want %v %v", where, host, path, g, gerr, w, werr)
			}
		}
	}
}
