package discovery

import "github.com/bulwark-gw/bulwark/internal/pmap"

// Merge combines the snapshots of several sources (static config and Consul)
// into the one the gateway routes with. A service found by more than one
// source gets the instances of all, the first source's first; an address
// listed twice keeps its first entry. Labels are merged the same way, the first
// source winning. Nil snapshots are skipped. Observed is the latest of the
// inputs', so the convergence metric times the change that caused the merge.
// Changed survives only when one source has services: a merge of several
// cannot say what changed relative to the gateway's last view (MergeChange
// can, when it knows which source moved).
func Merge(version uint64, snaps ...*Snapshot) *Snapshot {
	if one := onlyOne(snaps); one != nil {
		// The common case (Consul alone, or static alone) shares the maps.
		out := *one
		out.Version = version
		return &out
	}
	out := &Snapshot{Source: "merged", Version: version}
	var sources []string
	base := -1 // the largest snapshot: the merge starts from its maps, shared
	for i, s := range snaps {
		if s == nil {
			continue
		}
		sources = append(sources, s.Source)
		if s.Observed.After(out.Observed) {
			out.Observed = s.Observed
		}
		if base < 0 || s.Services.Len()+s.Labels.Len() > snaps[base].Services.Len()+snaps[base].Labels.Len() {
			base = i
		}
	}
	if base < 0 {
		return out
	}
	if len(sources) == 1 {
		out.Source = sources[0]
	}
	// Only the names the other snapshots have can differ from the base's
	// entries; each is merged across every snapshot, in order.
	services := pmap.NewBuilder(snaps[base].Services)
	labels := pmap.NewBuilder(snaps[base].Labels)
	for i, s := range snaps {
		if s == nil || i == base {
			continue
		}
		for name := range s.Services.Keys() {
			services.Set(name, mergedInstances(snaps, name))
		}
		for name := range s.Labels.Keys() {
			for _, t := range snaps {
				if l, ok := t.labels(name); ok {
					labels.Set(name, l)
					break
				}
			}
		}
	}
	out.Services, out.Labels = services.Map(), labels.Map()
	return out
}

// MergeChange is Merge after next, one of snaps, replaced that source's
// previous snapshot while the others stayed as they were at the last merge.
// A name's merged entry depends only on each source's entry for that name,
// so only the names next changed can differ from the last merge: the result's
// Changed is next's. Without it, a gateway with static services beside
// Consul's rebuilt every service on every Consul change (issue 20).
func MergeChange(version uint64, next *Snapshot, snaps ...*Snapshot) *Snapshot {
	out := Merge(version, snaps...)
	if out.Changed == nil && next != nil && next.Changed != nil {
		out.Changed = next.Changed
	}
	return out
}

func (s *Snapshot) labels(name string) (Labels, bool) {
	if s == nil {
		return Labels{}, false
	}
	return s.Labels.Get(name)
}

// mergedInstances are a service's instances from every snapshot, in order.
func mergedInstances(snaps []*Snapshot, name string) []Instance {
	var out []Instance
	found := 0
	for _, s := range snaps {
		if s == nil {
			continue
		}
		ins, ok := s.Services.Get(name)
		if !ok {
			continue
		}
		if found++; found == 1 {
			out = ins // shared, never modified
		} else {
			out = mergeInstances(out, ins)
		}
	}
	return out
}

// mergeInstances appends b's instances whose address a does not have, into a
// new slice.
func mergeInstances(a, b []Instance) []Instance {
	seen := make(map[string]bool, len(a))
	out := make([]Instance, 0, len(a)+len(b))
	for _, in := range a {
		seen[in.Addr] = true
		out = append(out, in)
	}
	for _, in := range b {
		if !seen[in.Addr] {
			seen[in.Addr] = true
			out = append(out, in)
		}
	}
	return out
}

// onlyOne returns the one snapshot with services when all others are nil or
// empty, else nil.
func onlyOne(snaps []*Snapshot) *Snapshot {
	var one *Snapshot
	for _, s := range snaps {
		if s == nil || (s.Services.Len() == 0 && s.Labels.Len() == 0) {
			continue
		}
		if one != nil {
			return nil
		}
		one = s
	}
	return one
}
