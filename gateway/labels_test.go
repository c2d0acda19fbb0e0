package gateway

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// checkProblems fails unless there is exactly one problem per wanted substring,
// each containing it (in any order).
func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("problems = %q, want %d containing %q", got, len(want), want)
		return
	}
	left := slices.Clone(got)
	for _, w := range want {
		i := slices.IndexFunc(left, func(p string) bool { return strings.Contains(p, w) })
		if i < 0 {
			t.Errorf("no problem mentions %q; problems = %q", w, got)
			continue
		}
		left = slices.Delete(left, i, i+1)
	}
}

func tags(ts ...string) discovery.Labels { return discovery.Labels{Tags: ts} }

func TestMergeRoutes(t *testing.T) {
	t.Parallel()
	view := func(service string, paths ...string) *labelView {
		v := &labelView{}
		for _, p := range paths {
			v.routes = append(v.routes, Route{Service: service, Path: p})
		}
		return v
	}
	describe := func(rs []Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s%s %s→%s", r.Host, r.Path, strings.Join(r.Methods, ","), r.Service))
		}
		return out
	}

	tests := []struct {
		name      string
		file      []Route
		views     map[string]*labelView
		routes    []string            // describe() of the merged routes, in order
		conflicts map[string][]string // substrings of each service's conflicts
	}{
		{name: "the file's routes come first and label routes follow by service name",
			file:   []Route{{Path: "/f", Service: "file"}},
			views:  map[string]*labelView{"b": view("b", "/b"), "a": view("a", "/a")},
			routes: []string{"/f →file", "/a →a", "/b →b"}},
		{name: "a label route identical to a file route is skipped and the file keeps it",
			file:      []Route{{Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": view("inv", "/x", "/y")},
			routes:    []string{"/x →file", "/y →inv"},
			conflicts: map[string][]string{"inv": {"route /x is already taken by the config file; skipped"}}},
		{name: "a trailing slash does not make a label route different from a file route",
			file:      []Route{{Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": view("inv", "/x/")},
			routes:    []string{"/x →file"},
			conflicts: map[string][]string{"inv": {"the config file"}}},
		{name: "a label host differing only in case from a file host is the same route",
			file:      []Route{{Host: "API.example.com", Path: "/x", Service: "file"}},
			views:     map[string]*labelView{"inv": {routes: []Route{{Host: "api.example.com", Path: "/x", Service: "inv"}}}},
			routes:    []string{"API.example.com/x →file"},
			conflicts: map[string][]string{"inv": {"the config file"}}},
		{name: "two services claiming the same route: the lexically first keeps it",
			views:     map[string]*labelView{"zeta": view("zeta", "/x"), "alpha": view("alpha", "/x")},
			routes:    []string{"/x →alpha"},
			conflicts: map[string][]string{"zeta": {"route /x is already taken by service alpha; skipped"}}},
		{name: "the loser of a claimed route keeps its other routes",
			views:     map[string]*labelView{"b": view("b", "/x", "/only-b"), "a": view("a", "/x")},
			routes:    []string{"/x →a", "/only-b →b"},
			conflicts: map[string][]string{"b": {"service a"}}},
		{name: "routes differing in methods do not collide",
			file: []Route{{Path: "/x", Methods: []string{"GET"}, Service: "file"}},
			views: map[string]*labelView{"inv": {routes: []Route{
				{Path: "/x", Methods: []string{"POST"}, Service: "inv"},
				{Path: "/x", Service: "inv"},
			}}},
			routes: []string{"/x GET→file", "/x POST→inv", "/x →inv"}},
		{name: "the same methods in another order collide",
			file:      []Route{{Path: "/x", Methods: []string{"GET", "HEAD"}, Service: "file"}},
			views:     map[string]*labelView{"inv": {routes: []Route{{Path: "/x", Methods: []string{"HEAD", "GET"}, Service: "inv"}}}},
			routes:    []string{"/x GET,HEAD→file"},
			conflicts: map[string][]string{"inv": {"route /x (HEAD,GET) is already taken by the config file"}}},
		{name: "routes differing in host do not collide",
			views: map[string]*labelView{
				"a": {routes: []Route{{Host: "a.example.com", Path: "/x", Service: "a"}}},
				"b": {routes: []Route{{Host: "b.example.com", Path: "/x", Service: "b"}}},
			},
			routes: []string{"a.example.com/x →a", "b.example.com/x →b"}},
		{name: "a file route with header conditions does not shadow a label route without",
			file:   []Route{{Path: "/x", Headers: map[string]string{"X-V": "2"}, Service: "file"}},
			views:  map[string]*labelView{"inv": view("inv", "/x")},
			routes: []string{"/x →file", "/x →inv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			routes, conflicts := mergeRoutes(tt.file, tt.views, slices.Sorted(maps.Keys(tt.views)))
			if got := describe(routes); !slices.Equal(got, tt.routes) {
				t.Errorf("routes = %q, want %q", got, tt.routes)
			}
			for name := range tt.views {
				checkProblems(t, messages(conflicts[name]), tt.conflicts[name])
			}
			for name := range conflicts {
				if tt.views[name] == nil {
					t.Errorf("conflict for %q, which has no labels: %q", name, messages(conflicts[name]))
				}
			}
		})
	}
}

// A service that names one route twice (a Fabio tag kept next to the bulwark
// tag it is migrating to, or "/x" and "/x/") routes it once and is not in
// conflict with itself.
func TestMergeRoutesSameServiceTwice(t *testing.T) {
	t.Parallel()
	v := readLabels("inv", tags("urlprefix-/inventory", "bulwark.route=/inventory"))
	if len(v.problems) != 0 {
		t.Fatalf("readLabels problems = %q", v.problems)
	}
	routes, conflicts := mergeRoutes(nil, map[string]*labelView{"inv": v}, []string{"inv"})
	if len(routes) != 1 || routes[0].Path != "/inventory" || routes[0].Service != "inv" {
		t.Errorf("routes = %+v, want /inventory to inv once", routes)
	}
	if len(conflicts["inv"]) != 0 {
		t.Errorf("inv is reported in conflict with itself: %q", messages(conflicts["inv"]))
	}
}

// messages are the texts of conflicts.
func messages(cs []conflict) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.msg)
	}
	return out
}
