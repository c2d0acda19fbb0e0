package gateway

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/frozentest"
	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/policies"
	"github.com/prometheus/client_golang/prometheus"
)

// world is what a discovery source knows, changed at random one step at a
// time as services register, move, flap and leave.
type world struct {
	rng      *rand.Rand
	addrs    []string
	services map[string][]discovery.Instance
	labels   map[string]discovery.Labels
}

var worldTags = []string{
	"bulwark.route=/a", "bulwark.route=/a/x", "bulwark.route=/b", "bulwark.route=/",
	"bulwark.host=a.example.com", "bulwark.host=*.example.com", "bulwark.methods=GET",
	"bulwark.strip-prefix=true", "urlprefix-/c", "urlprefix-b.example.com/a", "bulwark.rute=/typo",
}

func newWorld(seed uint64, addrs []string) *world {
	return &world{rng: rand.New(rand.NewPCG(seed, seed+1)), addrs: addrs,
		services: map[string][]discovery.Instance{}, labels: map[string]discovery.Labels{}}
}

// step changes one or two services and returns their names.
func (w *world) step() []string {
	var changed []string
	for range 1 + w.rng.IntN(2) {
		name := fmt.Sprintf("s%d", w.rng.IntN(6))
		changed = append(changed, name)
		switch w.rng.IntN(5) {
		case 0: // leaves
			delete(w.services, name)
			delete(w.labels, name)
		case 1, 2: // its instances change
			var ins []discovery.Instance
			for _, a := range w.addrs[:1+w.rng.IntN(len(w.addrs))] {
				ins = append(ins, discovery.Instance{ID: a, Addr: a, Health: discovery.Passing})
			}
			w.services[name] = ins
		default: // its labels change
			var l discovery.Labels
			for range w.rng.IntN(4) {
				l.Tags = append(l.Tags, worldTags[w.rng.IntN(len(worldTags))])
			}
			switch w.rng.IntN(5) {
			case 0:
				l.Meta = map[string]string{"bulwark-timeout": "2s"}
			case 1:
				l.Meta = map[string]string{"bulwark-timeout": "fast"}
			case 2: // valid alone, but not with the file's balancer: a policy problem
				l.Meta = map[string]string{"bulwark-hash-on": "header:X-User"}
			}
			w.labels[name] = l
			if w.services[name] == nil {
				w.services[name] = []discovery.Instance{{ID: w.addrs[0], Addr: w.addrs[0], Health: discovery.Passing}}
			}
		}
	}
	return changed
}

// snapshot is the world now; changed, when not nil, names what changed.
func (w *world) snapshot(changed []string) *discovery.Snapshot {
	return &discovery.Snapshot{Services: pmap.From(w.services), Labels: pmap.From(w.labels), Changed: changed}
}

// config is a random config file: a few routes that label routes may collide with.
func (w *world) config() Config {
	var cfg Config
	for _, p := range []string{"/a", "/b", "/f"} {
		if w.rng.IntN(2) == 0 {
			cfg.Routes = append(cfg.Routes, Route{Path: p, Service: fmt.Sprintf("s%d", w.rng.IntN(6))})
		}
	}
	if w.rng.IntN(2) == 0 {
		pol := policies.Defaults()
		cfg.Policies = map[string]policies.Policy{"s1": pol}
	}
	return cfg
}

// TestIncrementalBuildMatchesTheFullOne feeds two gateways the same chains of
// snapshots and reloads: one is told which services each snapshot changed,
// the other is not, and so builds everything each time. After every step
// both must route alike and explain every service alike.
func TestIncrementalBuildMatchesTheFullOne(t *testing.T) {
	t.Parallel()
	for chain := range 30 {
		w := newWorld(uint64(chain), []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"})
		told := New(Options{Registerer: prometheus.NewRegistry()})
		full := New(Options{Registerer: prometheus.NewRegistry()})
		for step := range 20 {
			if step%7 == 0 {
				cfg := w.config()
				told.Configure(cfg, w.snapshot(nil))
				full.Configure(cfg, w.snapshot(nil))
			}
			changed := w.step()
			told.Update(w.snapshot(changed))
			full.Update(w.snapshot(nil))
			where := fmt.Sprintf("chain %d step %d (changed %v)", chain, step, changed)
			for what, view := range map[string]func(*Gateway) any{
				"routes":   func(g *Gateway) any { return g.routesView() },
				"services": func(g *Gateway) any { return g.servicesView() },
			} {
				got, _ := json.Marshal(view(told))
				want, _ := json.Marshal(view(full))
				if string(got) != string(want) {
					t.Fatalf("%s: %s\n told %s\n full %s", where, what, got, want)
				}
			}
		}
		told.Close()
		full.Close()
	}
}

// live are the parts of a state that requests change by design: counters,
// breakers, balancers, connection pools and metrics. The rest must never be
// written once the state is published.
func live(t reflect.Type) bool {
	switch t {
	case reflect.TypeFor[guard](), reflect.TypeFor[h1.Transport](), reflect.TypeFor[routeMetrics]():
		return true
	}
	return t.Implements(reflect.TypeFor[Balancer]())
}

// TestBuildNeverWritesAPublishedState builds chains of states (discovery
// changes, told and untold, and reloads) while requests are served and
// another goroutine reads the latest states, as requests still on them do.
// Each state must render as it did when it was published; under -race, a
// write to one while it is read is reported too.
func TestBuildNeverWritesAPublishedState(t *testing.T) {
	t.Parallel()
	ups := []*upstream{newUpstream(t, "u1", nil), newUpstream(t, "u2", nil)}
	w := newWorld(7, []string{ups[0].Addr(), ups[1].Addr()})
	h := newHarness(t, w.config(), w.snapshot(nil))
	type published struct {
		st    *state
		print string
	}
	all := []published{{h.g.state.Load(), frozentest.Print(h.g.state.Load(), live)}}
	check := func(step int, ps []published) {
		t.Helper()
		for _, p := range ps {
			if now := frozentest.Print(p.st, live); now != p.print {
				t.Fatalf("step %d: a state changed after it was published, %s", step, frozentest.Diff(p.print, now))
			}
		}
	}
	for step := range 40 {
		recent := all[max(len(all)-3, 0):]
		reading := make(chan struct{})
		go func() {
			defer close(reading)
			for _, p := range recent {
				_ = frozentest.Print(p.st, live)
			}
		}()
		switch {
		case step%10 == 9:
			h.g.Configure(w.config(), nil)
		case step%3 == 0:
			w.step()
			h.g.Update(w.snapshot(nil))
		default:
			h.g.Update(w.snapshot(w.step()))
		}
		<-reading
		all = append(all, published{h.g.state.Load(), frozentest.Print(h.g.state.Load(), live)})
		for _, path := range []string{"/a", "/a/x", "/b", "/c", "/f"} {
			if res, _ := h.get(t, path); res.StatusCode == http.StatusInternalServerError {
				t.Fatalf("step %d: GET %s = 500", step, path)
			}
		}
		check(step, recent)
	}
	check(-1, all)
}
