package discovery

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/consul/api"
)

// reducedScale is the factor WarningReduced gives passing instances over
// warning ones of the same weight.
const reducedScale = 10

// HealthCounts counts a service's registered instances by state.
type HealthCounts struct {
	Passing     int `json:"passing"`
	Warning     int `json:"warning"`
	Critical    int `json:"critical"`
	Maintenance int `json:"maintenance"`
}

// convert turns one health answer into the service's routable instances: those
// passing, and those warning unless the policy excludes them. Entries that
// cannot be routed (no address, a bad port, an address listed twice) are
// skipped and reported; a bad weight is reported and the instance kept at its
// default weight. Nothing here drops the rest of the service.
func (c *Consul) convert(service, dc string, entries []*healthEntry) (update, []string) {
	u := update{service: service, dc: dc, observed: time.Now(), registered: len(entries) > 0}
	var problems []string
	var counts HealthCounts
	seen := map[string]string{} // addr → instance ID
	tags := map[string]bool{}
	var shared labelsInterner
	metaFrom := ""
	for _, e := range entries {
		if e == nil || e.Service == nil {
			continue
		}
		s := e.Service
		id := s.ID
		if e.Node != nil {
			id = e.Node.Node + "/" + s.ID // IDs are unique per node only
		}
		for _, t := range s.Tags {
			tags[t] = true
		}
		if metaFrom == "" || id < metaFrom {
			metaFrom, u.labels.Meta = id, s.Meta
		}
		health, maint := aggregateHealth(e.Checks)
		switch {
		case maint:
			counts.Maintenance++
			continue
		case health == Critical:
			counts.Critical++
			continue
		case health == Warning:
			counts.Warning++
			if c.cfg.Warning == WarningExclude {
				continue
			}
		default:
			counts.Passing++
		}
		addr, err := instanceAddr(e)
		if err != nil {
			problems = append(problems, fmt.Sprintf("instance %s: %v; skipped", id, err))
			continue
		}
		if other, dup := seen[addr]; dup {
			problems = append(problems, fmt.Sprintf("instance %s: address %s is also instance %s; skipped", id, addr, other))
			continue
		}
		seen[addr] = id
		weight, err := c.instanceWeight(s)
		if err != nil {
			problems = append(problems, fmt.Sprintf("instance %s: %v; using weight %d", id, err, weight))
		}
		if c.cfg.Warning == WarningReduced && health == Passing {
			weight *= reducedScale
		}
		u.instances = append(u.instances, Instance{ID: id, Addr: addr, Weight: weight, Health: health,
			Tags: shared.tags(s.Tags), Meta: shared.meta(s.Meta)})
	}
	sortInstances(u.instances)
	u.labels.Tags = slices.Sorted(maps.Keys(tags))
	u.counts = counts
	slices.Sort(problems)
	return u, problems
}

// aggregateHealth folds an instance's checks (node and service) into one state:
// any critical check makes it critical, else any warning makes it warning.
// Maintenance mode, of the node or the service, is reported apart: Consul
// implements it as a critical check, but it is a deliberate drain, not a fault.
func aggregateHealth(checks []*healthCheck) (h Health, maintenance bool) {
	h = Passing
	for _, ch := range checks {
		if ch == nil {
			continue
		}
		if ch.CheckID == api.NodeMaint || strings.HasPrefix(ch.CheckID, api.ServiceMaintPrefix) {
			maintenance = true
		}
		switch ch.Status {
		case api.HealthCritical, api.HealthMaint:
			h = Critical
		case api.HealthWarning:
			if h == Passing {
				h = Warning
			}
		}
	}
	return h, maintenance
}

// instanceAddr is the service's address, or its node's when the service has
// none (Consul's own rule), with a port in range.
func instanceAddr(e *healthEntry) (string, error) {
	host := e.Service.Address
	if host == "" && e.Node != nil {
		host = e.Node.Address
	}
	if host == "" {
		return "", fmt.Errorf("no address (neither the service nor its node has one)")
	}
	if p := e.Service.Port; p < 1 || p > 65535 {
		return "", fmt.Errorf("port %d out of range 1-65535", p)
	}
	return net.JoinHostPort(host, strconv.Itoa(e.Service.Port)), nil
}

// instanceWeight is the weight the instance's labels set (ConsulConfig.Weight),
// else the service's Consul passing weight, else 1. A bad label returns the
// fallback with an error saying why.
func (c *Consul) instanceWeight(s *healthService) (int, error) {
	fallback := max(s.Weights.Passing, 1)
	if c.cfg.Weight == nil {
		return fallback, nil
	}
	w, err := c.cfg.Weight(s.Tags, s.Meta)
	if err != nil || w < 1 {
		return fallback, err
	}
	return w, nil
}

// equal reports whether two updates route the same (ignoring when they arrived).
func (u *update) equal(o *update) bool {
	return u.registered == o.registered && u.counts == o.counts &&
		slices.EqualFunc(u.instances, o.instances, instanceEqual) &&
		slices.Equal(u.labels.Tags, o.labels.Tags) && maps.Equal(u.labels.Meta, o.labels.Meta)
}

func instanceEqual(a, b Instance) bool {
	return a.ID == b.ID && a.Addr == b.Addr && a.Weight == b.Weight && a.Health == b.Health &&
		slices.Equal(a.Tags, b.Tags) && maps.Equal(a.Meta, b.Meta)
}

// labelsInterner hands the instances of one answer the same Tags and Meta
// when theirs are equal, as they are for the instances of one service
// almost always. Decoded, each instance carries its own copies: at 1,000
// services of 5 instances, four copies in five of every tag list and meta
// map, ~2 MiB held for nothing (issue 20). Instances are never modified
// after they are published, so sharing is safe.
type labelsInterner struct {
	lastTags []string
	lastMeta map[string]string
}

func (in *labelsInterner) tags(t []string) []string {
	if in.lastTags != nil && slices.Equal(t, in.lastTags) {
		return in.lastTags
	}
	in.lastTags = t
	return t
}

func (in *labelsInterner) meta(m map[string]string) map[string]string {
	if in.lastMeta != nil && maps.Equal(m, in.lastMeta) {
		return in.lastMeta
	}
	in.lastMeta = m
	return m
}
