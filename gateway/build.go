package gateway

import (
	"slices"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/internal/routing"
)

// One function makes every state: build, from the previous state, the
// config, the snapshot and what may have changed (dirty). A reload and a
// first snapshot are "everything changed"; a discovery change names its
// services, and then the work is that of those services alone, with a
// thousand services as with ten. The build writes nothing that the previous
// state holds, so a request goes on reading the state it started with; what
// the change means outside the state (metrics to bind, route changes to log,
// transports to retire, problems to report) is returned as a delta, which
// apply acts on before it publishes the state.

// dirty says what may differ from the previous state: everything, or the
// services named (their instances, their labels or both).
type dirty struct {
	all      bool
	services []string
}

// everything is the dirty of a reload or a first build: nothing is assumed.
var everything = dirty{all: true}

// changedIn is what a snapshot says changed. A snapshot that does not say
// (a source that cannot tell, a merge of several) changed everything.
func changedIn(snap *discovery.Snapshot) dirty {
	if snap == nil || snap.Changed == nil {
		return everything
	}
	return dirty{services: snap.Changed}
}

// labelsToRead are the services whose labels a build reads again: those
// named, or every one that has labels now or had them in prev.
func (d dirty) labelsToRead(prev *state, snap *discovery.Snapshot) []string {
	if !d.all {
		return d.services
	}
	var labels pmap.Map[string, discovery.Labels]
	if snap != nil {
		labels = snap.Labels
	}
	names := slices.Collect(labels.Keys())
	for n := range prev.labels.Keys() {
		if !labels.Has(n) {
			names = append(names, n)
		}
	}
	return names
}

// delta is what a build changed that matters outside the state.
type delta struct {
	// routes are the routes compiled anew and those dropped, and the
	// services whose routes moved.
	routes routing.Delta[*routeMetrics]
	// retired are transports that no service of the new state uses.
	retired []*h1.Transport
	// labels are the services whose labels were read again, whose problems
	// may have changed.
	labels []string
}

// build makes the state for cfg and snap from prev, looking only at what d
// names. It writes nothing reachable from prev, and nothing outside the state
// it returns; prev may be in use by any number of requests.
func (g *Gateway) build(prev *state, cfg *Config, snap *discovery.Snapshot, d dirty) (*state, delta) {
	next := &state{cfg: cfg, snap: snap, mounts: prev.mounts, routePolicies: &routePolicies{}, admissions: &admissions{}}
	var out delta
	out.labels = d.labelsToRead(prev, snap)
	moved := buildLabels(next, prev, out.labels)
	next.table, out.routes = routing.Build(prev.table,
		routing.Source{File: cfg.Routes, Labels: next.ownedRoutes},
		routing.Dirty{File: d.all, Services: moved})
	out.retired = g.buildServices(next, prev, d, out.routes.Services)
	return next, out
}

// apply publishes next, built from prev with the delta d, once the world
// outside the state has heard of it: the new routes get their metrics before
// a request can match them, route changes and label problems are logged,
// and replaced transports are retired. cause ("config", "discovery") is for
// the log.
func (g *Gateway) apply(prev, next *state, d delta, cause string) {
	g.metrics.bindRoutes(d.routes.Added, d.routes.Removed)
	g.logRouteChanges(d.routes, cause)
	for _, t := range d.retired {
		g.retire(t)
	}
	g.reportLabelProblems(next, prev, d)
	if next.cfg != prev.cfg {
		// Before the state is published, so that none of its requests
		// counts with a Redis client the new config replaced.
		g.admitters.retain(next.cfg)
	}
	g.state.Store(next)
	// A cache falls out of use only with a new config, a service's labels
	// (its policy) or its routes: a health check flapping, the common
	// change, does not walk every service and route for it.
	if next.cfg != prev.cfg || !next.labels.Same(prev.labels) || len(d.routes.Added)+len(d.routes.Removed) > 0 {
		g.caches.retain(next)
	}
}
