package discovery

import (
	"log/slog"
	"maps"
	"slices"
	"time"
)

// aggregator holds the latest answer of every service watcher and builds
// snapshots from them. It belongs to Consul.Run's goroutine alone.
type aggregator struct {
	cfg   ConsulConfig
	views map[string]map[string]*update // service → datacenter → latest answer

	services map[string][]Instance
	labels   map[string]Labels
	active   map[string]string // service → the datacenter serving it
	changed  map[string]bool   // since the last snapshot

	// published is the last snapshot's copy of labels, and relabelled says
	// whether labels changed since: most changes are instances coming,
	// going or changing health, and their snapshots share the labels copy
	// rather than copying a thousand services' labels again.
	published  map[string]Labels
	relabelled bool
}

func newAggregator(cfg ConsulConfig) *aggregator {
	return &aggregator{cfg: cfg, views: map[string]map[string]*update{},
		services: map[string][]Instance{}, labels: map[string]Labels{}, active: map[string]string{},
		changed: map[string]bool{}}
}

// retain forgets services no longer in the catalog. It reports whether that
// changes what routing sees: a deregistered service's own health answer (no
// instances, no labels) usually arrives first, and then dropping its name
// changes nothing worth a snapshot.
func (a *aggregator) retain(list serviceNames) (changed bool) {
	for svc := range a.views {
		if _, ok := list[svc]; !ok {
			_, labelled := a.labels[svc]
			if labelled || len(a.services[svc]) > 0 {
				changed = true
			}
			delete(a.views, svc)
			delete(a.services, svc)
			a.dropLabels(svc)
			delete(a.active, svc)
			a.changed[svc] = true
		}
	}
	return changed
}

// setLabels records a service's labels, noting whether they changed.
func (a *aggregator) setLabels(svc string, l Labels) {
	if old, ok := a.labels[svc]; !ok || !slices.Equal(old.Tags, l.Tags) || !maps.Equal(old.Meta, l.Meta) ||
		(old.Tags == nil) != (l.Tags == nil) || (old.Meta == nil) != (l.Meta == nil) {
		a.relabelled = true
	}
	a.labels[svc] = l
}

// dropLabels forgets a service's labels, noting whether it had any.
func (a *aggregator) dropLabels(svc string) {
	if _, ok := a.labels[svc]; ok {
		a.relabelled = true
		delete(a.labels, svc)
	}
}

// apply records one watcher's answer and recomputes that service alone.
func (a *aggregator) apply(u update) {
	dcs := a.views[u.service]
	if dcs == nil {
		dcs = map[string]*update{}
		a.views[u.service] = dcs
	}
	dcs[u.dc] = &u
	a.recompute(u.service)
}

// recompute picks the datacenter that serves a service: the first in its
// failover order with a routable instance, else the first (with none). The
// labels come from the first datacenter where the service is registered, so a
// service failing over keeps its routes.
func (a *aggregator) recompute(svc string) {
	order := a.cfg.Failover[svc]
	if len(order) == 0 {
		order = []string{""}
	}
	dcs := a.views[svc]
	var chosen, labelled *update
	for _, dc := range order {
		u := dcs[dc]
		if u == nil {
			continue
		}
		if labelled == nil && u.registered {
			labelled = u
		}
		if chosen == nil && len(u.instances) > 0 {
			chosen = u
		}
	}
	if chosen == nil {
		chosen = dcs[order[0]]
	}
	if chosen == nil {
		return // no answer yet from the datacenter that matters most
	}
	if labelled == nil {
		// Registered nowhere (a deregistration whose catalog update has not
		// come yet): the service is gone now, not when the catalog says so.
		_, had := a.services[svc]
		delete(a.services, svc)
		a.dropLabels(svc)
		delete(a.active, svc)
		if had {
			a.changed[svc] = true
		}
		return
	}
	if prev, ok := a.active[svc]; ok && prev != chosen.dc && len(order) > 1 {
		a.cfg.Logger.Warn("consul: service changes datacenter", "service", svc,
			"from", dcName(prev), "to", dcName(chosen.dc), slog.Int("instances", len(chosen.instances)))
	}
	a.active[svc] = chosen.dc
	a.services[svc] = chosen.instances
	a.changed[svc] = true
	if labelled != nil {
		a.setLabels(svc, labelled.labels)
	} else {
		a.dropLabels(svc)
	}
}

func dcName(dc string) string {
	if dc == "" {
		return "local"
	}
	return dc
}

// snapshot builds an immutable snapshot. The maps are copied (the aggregator
// keeps changing its own), labels only when they changed since the last
// snapshot (which then shares the last copy); the instance slices are
// shared, which is safe because an answer's slice is never modified after
// it arrives.
func (a *aggregator) snapshot(version uint64, observed time.Time) *Snapshot {
	if a.relabelled || a.published == nil {
		a.published, a.relabelled = maps.Clone(a.labels), false
	}
	s := &Snapshot{
		Services: maps.Clone(a.services),
		Labels:   a.published,
		Source:   "consul",
		Version:  version,
		Observed: observed,
		Changed:  slices.Sorted(maps.Keys(a.changed)),
	}
	clear(a.changed)
	return s
}
