package gateway

import (
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/policies"
)

// service is one upstream service as the request path sees it: its resolved policy,
// its current pool and the balancer built over that pool. Immutable.
type service struct {
	name     string
	policy   policies.Policy
	why      policies.Explanation // which layer set each policy value
	pool     *Pool
	balancer Balancer
	// guard holds the breaker, bulkhead and retry budget (guard.go).
	guard *guard
	// transport carries every request to the service's instances (see transport.go).
	transport *h1.Transport
	tkey      transportKey
	// byAddr indexes pool.Upstreams so the next build can reuse them.
	byAddr map[string]*Upstream
	// from is the snapshot slice the pool was built from. Sources share an
	// unchanged service's slice between snapshots, so the same slice means the
	// same instances without comparing them: with a thousand services, one
	// change no longer compares every other service's instances.
	from []discovery.Instance
}

// buildServices makes next's service set: one per service a route names, and
// one per service the file gives a policy. A service whose policy and instances
// are unchanged keeps its *service value (and so its balancer state); others are
// rebuilt, reusing Upstreams by address.
//
// Only the services d names and those whose routes moved (routed) can differ
// from prev; every other one is carried over without being looked at, so with
// a thousand services one change costs one service's work. It returns the
// transports of prev that no service of next uses any more.
func (g *Gateway) buildServices(next, prev *state, d dirty, routed []string) (retired []*h1.Transport) {
	cfg := next.cfg
	var names []string
	if d.all {
		set := make(map[string]bool, prev.services.Len()+len(cfg.Policies))
		for n := range prev.services.All() {
			set[n] = true
		}
		for n := range next.table.Services() {
			set[n] = true
		}
		for n := range cfg.Policies {
			set[n] = true
		}
		names = slices.Collect(maps.Keys(set))
	} else if names = d.services; len(routed) > 0 {
		names = slices.Concat(d.services, routed) // a new slice: d.services is the snapshot's
		slices.Sort(names)
		names = slices.Compact(names)
	}
	out := pmap.NewBuilder(prev.services)
	next.policyProblems = maps.Clone(prev.policyProblems)
	if next.policyProblems == nil {
		next.policyProblems = map[string][]string{}
	}
	for _, name := range names {
		delete(next.policyProblems, name)
		if _, policy := cfg.Policies[name]; len(next.table.Routes(name)) == 0 && !policy {
			out.Delete(name)
			continue
		}
		out.Set(name, g.buildService(next, name, prev.service(name)))
	}
	// Only the services looked at above can have lost or changed their transport.
	for _, name := range names {
		if old := prev.service(name); old != nil {
			if s, _ := out.Get(name); s == nil || s.transport != old.transport {
				retired = append(retired, old.transport)
			}
		}
	}
	next.services = out.Map()
	return retired
}

// buildService makes one service, reusing old where nothing it depends on moved.
func (g *Gateway) buildService(next *state, name string, old *service) *service {
	pol, why, problem := g.policyFor(next, name)
	if problem != "" {
		next.policyProblems[name] = []string{problem}
	}
	instances := next.snap.Instances(name)
	utls := next.cfg.UpstreamTLS[name]
	key := keyFor(next.cfg.Transport, pol, utls)
	if old != nil && old.policy.Equal(&pol) && old.tkey == key &&
		(sameSlice(old.from, instances) || sameInstances(old.pool.Upstreams, instances)) {
		if !maps.Equal(old.why, why) || !sameSlice(old.from, instances) {
			// why and from only: policy is equal, so the guard stays.
			o := *old
			o.why, o.from = why, instances
			old = &o
		}
		return old
	}
	tr := (*h1.Transport)(nil)
	if old != nil && old.tkey == key {
		tr = old.transport // same shape: keep its pooled connections
	} else {
		tr = newTransport(key)
	}
	var prevUps map[string]*Upstream
	if old != nil {
		prevUps = old.byAddr
	}
	scheme := "http"
	if utls != nil {
		scheme = "https"
	}
	ups := newUpstreams(name, scheme, instances, prevUps)
	slices.SortFunc(ups, func(a, b *Upstream) int { return strings.Compare(a.Addr, b.Addr) })
	pool := &Pool{Service: name, Upstreams: ups}
	bal, err := NewBalancer(pol.Balancer, pool)
	if err != nil {
		// Policies are validated before they get here; fall back rather than drop the service.
		g.log.Error("building balancer; using round robin", "service", name, "err", err)
		bal, _ = NewBalancer(policies.Balancer{Kind: policies.RoundRobin}, pool)
	}
	byAddr := make(map[string]*Upstream, len(ups))
	for _, u := range ups {
		byAddr[u.Addr] = u
	}
	gd := (*guard)(nil)
	if old != nil && old.guard.sameShape(pol) {
		gd = old.guard
	} else {
		gd = newGuard(name, pol, g.metrics, g.log)
	}
	return &service{name: name, policy: pol, why: why, pool: pool, balancer: bal, byAddr: byAddr,
		transport: tr, tkey: key, from: instances, guard: gd}
}

// policyFor resolves a service's policy: the file's layers, then the policy
// keys of its labels (Consul meta) on top. Labels that make the policy invalid
// as a whole (say, hash-on without consistent hashing) are reported and the
// file's policy is used.
func (g *Gateway) policyFor(st *state, name string) (policies.Policy, policies.Explanation, string) {
	cfg := st.cfg
	pol, ok := cfg.Policies[name]
	why := cfg.PolicySources[name]
	if !ok {
		pol = policies.Defaults()
		if cfg.DefaultPolicy != nil {
			pol = *cfg.DefaultPolicy
		}
	}
	v := st.label(name)
	if v == nil || v.policy.Empty() {
		return pol, why, ""
	}
	layers := cfg.Layers[name]
	if layers == nil {
		layers = cfg.DefaultLayers
	}
	layers = append(slices.Clip(layers), policies.Layer{Name: "labels", Set: v.policy})
	lp, lwhy, err := policies.Resolve(layers...)
	if err != nil {
		return pol, why, "policy from labels: " + err.Error() + "; the file's policy applies"
	}
	return lp, lwhy, ""
}

// sameSlice reports whether a and b are the same slice (not merely equal).
func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
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
func serviceNames(s pmap.Map[string, *service]) []string {
	return slices.Sorted(s.Keys())
}
