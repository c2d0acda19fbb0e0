package gateway

import (
	"net/http"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// TestUpdateRebuildsOnlyTheServicesASnapshotNames checks the contract that keeps
// a change's cost independent of the number of services: a snapshot that says
// which services changed is applied to those alone, and the others keep their
// very *service values.
func TestUpdateRebuildsOnlyTheServicesASnapshotNames(t *testing.T) {
	a1, a2 := newUpstream(t, "a1", nil), newUpstream(t, "a2", nil)
	b1 := newUpstream(t, "b1", nil)
	route := func(p string) discovery.Labels { return discovery.Labels{Tags: []string{"bulwark.route=" + p}} }
	h := newHarness(t, Config{}, labelled(t,
		map[string][]string{"a": {a1.Addr()}, "b": {b1.Addr()}},
		map[string]discovery.Labels{"a": route("/a"), "b": route("/b")}))
	before := h.g.state.Load()

	// a gains an instance; the snapshot says only a changed.
	next := labelled(t, map[string][]string{"a": {a1.Addr(), a2.Addr()}, "b": {b1.Addr()}},
		map[string]discovery.Labels{"a": route("/a"), "b": route("/b")})
	next.Changed = []string{"a"}
	h.g.Update(next)
	after := h.g.state.Load()
	if after.service("b") != before.service("b") {
		t.Error("b was rebuilt although the snapshot did not name it")
	}
	if got := len(after.service("a").pool.Upstreams); got != 2 {
		t.Errorf("a has %d upstreams after its change, want 2", got)
	}
	if after.table != before.table {
		t.Error("the route table was rebuilt for an instance change")
	}

	// b registers a new route and c appears: both named, so both apply.
	c1 := newUpstream(t, "c1", nil)
	third := labelled(t, map[string][]string{"a": {a1.Addr(), a2.Addr()}, "b": {b1.Addr()}, "c": {c1.Addr()}},
		map[string]discovery.Labels{"a": route("/a"), "b": route("/bee"), "c": route("/c")})
	third.Changed = []string{"b", "c"}
	h.g.Update(third)
	mustGet(t, h, "/bee", http.StatusOK, "b1")
	mustGet(t, h, "/c", http.StatusOK, "c1")
	if res, _ := h.get(t, "/b"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/b after b moved its route = %d, want 404", res.StatusCode)
	}

	// c is deregistered: gone from the snapshot and named as changed.
	gone := labelled(t, map[string][]string{"a": {a1.Addr(), a2.Addr()}, "b": {b1.Addr()}},
		map[string]discovery.Labels{"a": route("/a"), "b": route("/bee")})
	gone.Changed = []string{"c"}
	h.g.Update(gone)
	if res, _ := h.get(t, "/c"); res.StatusCode != http.StatusNotFound {
		t.Errorf("/c after c left = %d, want 404", res.StatusCode)
	}
	if h.g.state.Load().service("c") != nil {
		t.Error("c's service outlived its last route")
	}
}

// TestAShadowedLabelRouteTakesOverWhenTheOwnerLeaves: when a service leaves,
// another service whose identical route it shadowed becomes routed, although
// the snapshot only names the one that left.
func TestAShadowedLabelRouteTakesOverWhenTheOwnerLeaves(t *testing.T) {
	a1, b1 := newUpstream(t, "a1", nil), newUpstream(t, "b1", nil)
	route := discovery.Labels{Tags: []string{"bulwark.route=/x"}}
	h := newHarness(t, Config{}, labelled(t,
		map[string][]string{"a": {a1.Addr()}, "b": {b1.Addr()}},
		map[string]discovery.Labels{"a": route, "b": route}))
	mustGet(t, h, "/x", http.StatusOK, "a1")
	next := labelled(t, map[string][]string{"b": {b1.Addr()}}, map[string]discovery.Labels{"b": route})
	next.Changed = []string{"a"}
	h.g.Update(next)
	mustGet(t, h, "/x", http.StatusOK, "b1")
}

// A mounted handler (the portal) serves its prefix and everything under it,
// ahead of the routes, and nothing else.
func TestMountServesItsPrefixAheadOfTheRoutes(t *testing.T) {
	up := newUpstream(t, "up", nil)
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "s"}}}, snapshot(t, map[string][]string{"s": {up.Addr()}}))
	h.g.Mount("/portal/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("mounted " + r.URL.Path))
	}))
	for path, want := range map[string]string{
		"/portal/api":          "mounted /portal/api",
		"/portal/api/services": "mounted /portal/api/services",
		"/portal/apix":         "up",
		"/other":               "up",
	} {
		if _, body := h.get(t, path); string(body) != want {
			t.Errorf("GET %s = %q, want %q", path, body, want)
		}
	}
}
