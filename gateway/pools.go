package gateway

import (
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// service is one upstream service as the request path sees it: its resolved policy,
// its current pool and the balancer built over that pool. Immutable.
type service struct {
	name     string
	policy   policies.Policy
	pool     *Pool
	balancer Balancer
	// transport carries every request to the service's instances (see transport.go).
	transport *h1Transport
	tkey      transportKey
	// byAddr indexes pool.Upstreams so the next build can reuse them.
	byAddr map[string]*Upstream
}

// buildServices makes the service set for a configuration and a snapshot. A service
// whose policy and instances are unchanged keeps its *service value (and so its
// balancer state); others are rebuilt, reusing Upstreams by address. The cost of a
// change is proportional to the services that changed.
//
// Transports whose shape changed, or whose service is gone, are passed to retire.
func buildServices(cfg *Config, snap *discovery.Snapshot, prev map[string]*service, log *slog.Logger, retire func(*h1Transport)) map[string]*service {
	names := map[string]bool{}
	for _, r := range cfg.Routes {
		names[r.Service] = true
	}
	for n := range cfg.Policies {
		names[n] = true
	}
	out := make(map[string]*service, len(names))
	for name := range names {
		pol, ok := cfg.Policies[name]
		if !ok {
			pol = policies.Defaults()
			if cfg.DefaultPolicy != nil {
				pol = *cfg.DefaultPolicy
			}
		}
		instances := snap.Instances(name)
		old := prev[name]
		key := keyFor(cfg.Transport, pol)
		if old != nil && old.policy == pol && old.tkey == key && sameInstances(old.pool.Upstreams, instances) {
			out[name] = old
			continue
		}
		tr := (*h1Transport)(nil)
		if old != nil && old.tkey == key {
			tr = old.transport // same shape: keep its pooled connections
		} else {
			tr = newTransport(key)
		}
		var prevUps map[string]*Upstream
		if old != nil {
			prevUps = old.byAddr
		}
		ups := newUpstreams(name, instances, prevUps)
		slices.SortFunc(ups, func(a, b *Upstream) int { return strings.Compare(a.Addr, b.Addr) })
		pool := &Pool{Service: name, Upstreams: ups}
		bal, err := NewBalancer(pol.Balancer, pool)
		if err != nil {
			// Policies are validated by config; fall back rather than drop the service.
			log.Error("building balancer; using round robin", "service", name, "err", err)
			bal, _ = NewBalancer(policies.Balancer{Kind: policies.RoundRobin}, pool)
		}
		byAddr := make(map[string]*Upstream, len(ups))
		for _, u := range ups {
			byAddr[u.Addr] = u
		}
		out[name] = &service{name: name, policy: pol, pool: pool, balancer: bal, byAddr: byAddr,
			transport: tr, tkey: key}
	}
	for name, old := range prev {
		if s := out[name]; s == nil || s.transport != old.transport {
			retire(old.transport)
		}
	}
	return out
}

// sameInstances reports whether the routable instances equal the current upstreams.
func sameInstances(ups []*Upstream, instances []discovery.Instance) bool {
	want := map[string]int{}
	for _, in := range instances {
		if in.Health != discovery.Critical {
			want[in.Addr] = in.EffectiveWeight()
		}
	}
	if len(want) != len(ups) {
		return false
	}
	for _, u := range ups {
		if w, ok := want[u.Addr]; !ok || w != u.Weight {
			return false
		}
	}
	return true
}

// serviceNames returns the names in lexical order, for stable admin output.
func serviceNames(s map[string]*service) []string {
	return slices.Sorted(maps.Keys(s))
}
