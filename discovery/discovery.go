// Package discovery owns the upstream instances bulwark routes to and the sources
// that find them. A source (the static config, or Consul: a running Source)
// produces immutable Snapshots; consumers (the gateway's pools, the
// documentation catalog) receive a whole Snapshot and never mutate it, so
// readers need no locks.
//
// discovery imports no other bulwark package but two leaves under internal/
// that import nothing of bulwark either (h1, the HTTP/1.1 client its Consul
// watches use; pmap, the persistent map its snapshots share structure
// through): it knows nothing of HTTP routing.
package discovery

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// Health is the state of an instance as its source reports it.
type Health string

const (
	// Passing instances receive traffic.
	Passing Health = "passing"
	// Warning instances are handled by a per-source policy (Consul); static ones never warn.
	Warning Health = "warning"
	// Critical instances receive no traffic.
	Critical Health = "critical"
)

// Instance is one network endpoint of a service.
type Instance struct {
	// ID is unique within the service; static instances use their address.
	ID string `json:"id"`
	// Addr is host:port, as dialled by the gateway.
	Addr string `json:"addr"`
	// Weight scales the instance's share of traffic for weighted balancers. Zero means 1.
	Weight int `json:"weight,omitempty"`
	// Health as reported by the source.
	Health Health `json:"health"`
	// Tags and Meta carry source-specific labels (Consul tags and service meta).
	Tags []string          `json:"tags,omitempty"`
	Meta map[string]string `json:"meta,omitempty"`
}

// EffectiveWeight returns Weight, or 1 when it is unset or negative.
func (i Instance) EffectiveWeight() int {
	if i.Weight <= 0 {
		return 1
	}
	return i.Weight
}

// Snapshot is the complete, immutable set of known services and their instances.
// A Snapshot is never modified after it is published; build a new one instead.
//
// Its maps are persistent (internal/pmap): the next snapshot of a source
// shares every service's entry but the changed ones, so a change to one of
// a thousand services copies a few trie nodes, not a thousand entries.
type Snapshot struct {
	// Services maps a service name to its instances, sorted by ID.
	Services pmap.Map[string, []Instance] `json:"services"`
	// Source names where the snapshot came from ("static", "consul").
	Source string `json:"source"`
	// Version increases with every snapshot a source publishes.
	Version uint64 `json:"version"`
	// Labels holds each service's tags and meta as registered, whatever the
	// health of its instances: routes come from labels, so a service whose every
	// instance fails keeps its route and answers 503 rather than 404. Static
	// services have none.
	Labels pmap.Map[string, Labels] `json:"labels,omitzero"`
	// Changed names the services whose instances or labels differ from the
	// source's previous snapshot (removed ones included), so a consumer can
	// rebuild those alone; nil means unknown: treat every service as changed.
	Changed []string `json:"changed,omitempty"`
	// Observed is when the source learned of the change this snapshot carries
	// (a Consul answer's arrival), for the convergence metric. Zero for static.
	Observed time.Time `json:"observed,omitzero"`
}

// Labels are a service's registration labels, merged over its instances: every
// distinct tag, and the meta of the instance with the lowest ID (Consul keeps
// meta per instance; a service should register the same meta everywhere).
type Labels struct {
	Tags []string          `json:"tags,omitempty"`
	Meta map[string]string `json:"meta,omitempty"`
}

// LabelsOf returns the service's labels (zero when it has none).
func (s *Snapshot) LabelsOf(service string) Labels {
	if s == nil {
		return Labels{}
	}
	l, _ := s.Labels.Get(service)
	return l
}

// Instances returns the service's instances (nil when unknown). The slice is shared: do not modify it.
func (s *Snapshot) Instances(service string) []Instance {
	if s == nil {
		return nil
	}
	ins, _ := s.Services.Get(service)
	return ins
}

// Names returns the service names in lexical order.
func (s *Snapshot) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, 0, s.Services.Len())
	names = slices.AppendSeq(names, s.Services.Keys())
	slices.Sort(names)
	return names
}

// Source finds instances and publishes Snapshots. Run blocks until ctx ends,
// calling publish with every new Snapshot (at least once, promptly, when the
// source has an initial view). publish must not retain or modify the snapshot's
// slices beyond reading them.
type Source interface {
	Run(ctx context.Context, publish func(*Snapshot)) error
}

// sortInstances orders instances by ID so equal sets compare equal.
func sortInstances(in []Instance) {
	slices.SortFunc(in, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
}
