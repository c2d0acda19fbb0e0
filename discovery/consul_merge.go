package discovery

import (
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// aggregator holds the latest answer of every service watcher and builds
// snapshots from them. It belongs to Consul.Run's goroutine alone.
type aggregator struct {
	cfg   ConsulConfig
	views map[string]map[string]*update // service → datacenter → latest answer

	// services and labels are what the next snapshot holds: persistent
	// maps, so a snapshot takes them as they are and the next change copies
	// only the path to what it changes.
	services pmap.Map[string, []Instance]
	labels   pmap.Map[string, Labels]
	active   map[string]string // service → the datacenter serving it
	changed  map[string]bool   // since the last snapshot
}

func newAggregator(cfg ConsulConfig) *aggregator {
	return &aggregator{cfg: cfg, views: map[string]map[string]*update{},
		active: map[string]string{}, changed: map[string]bool{}}
}

// forget forgets the services changes marks as gone from the catalog. It
// reports whether that changes what routing sees: a deregistered service's
// own health answer (no instances, no labels) usually arrives first, and
// then dropping its name changes nothing worth a snapshot.
func (a *aggregator) forget(changes map[string]bool) (changed bool) {
	for svc, present := range changes {
		if _, ok := a.views[svc]; present || !ok {
			continue
		}
		ins, _ := a.services.Get(svc)
		if a.labels.Has(svc) || len(ins) > 0 {
			changed = true
		}
		delete(a.views, svc)
		a.services = a.services.Delete(svc)
		a.dropLabels(svc)
		delete(a.active, svc)
		a.changed[svc] = true
	}
	return changed
}

// setLabels records a service's labels. Equal labels keep the entry the
// map has, so that a change of instances alone leaves the labels map, and
// so every later snapshot's, the same value (consumers compare entries to
// tell a relabelling).
func (a *aggregator) setLabels(svc string, l Labels) {
	if old, ok := a.labels.Get(svc); ok && slices.Equal(old.Tags, l.Tags) && maps.Equal(old.Meta, l.Meta) &&
		(old.Tags == nil) == (l.Tags == nil) && (old.Meta == nil) == (l.Meta == nil) {
		return
	}
	a.labels = a.labels.Set(svc, l)
}

// dropLabels forgets a service's labels.
func (a *aggregator) dropLabels(svc string) { a.labels = a.labels.Delete(svc) }

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
		had := a.services.Has(svc)
		a.services = a.services.Delete(svc)
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
	a.services = a.services.Set(svc, chosen.instances)
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

// snapshot builds an immutable snapshot. It shares the aggregator's maps,
// which are persistent (the aggregator's next change makes new ones), and
// their instance slices, which an answer never modifies after it arrives.
func (a *aggregator) snapshot(version uint64, observed time.Time) *Snapshot {
	s := &Snapshot{
		Services: a.services,
		Labels:   a.labels,
		Source:   "consul",
		Version:  version,
		Observed: observed,
		// Never nil: nil says "unknown, rebuild everything", and an answer
		// that changed nothing (a watch's late answer, a datacenter not yet
		// heard from) must cost nothing, not a rebuild of every service.
		Changed: slices.AppendSeq(make([]string, 0, len(a.changed)), maps.Keys(a.changed)),
	}
	slices.Sort(s.Changed)
	clear(a.changed)
	return s
}
