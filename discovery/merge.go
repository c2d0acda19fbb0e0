package discovery

// Merge combines the snapshots of several sources (static config and Consul)
// into the one the gateway routes with. A service found by more than one
// source gets the instances of all, the first source's first; an address
// listed twice keeps its first entry. Labels are merged the same way, the first
// source winning. Nil snapshots are skipped. Observed is the latest of the
// inputs', so the convergence metric times the change that caused the merge.
// Changed survives only when one source has services: a merge of several
// cannot say what changed relative to the gateway's last view.
func Merge(version uint64, snaps ...*Snapshot) *Snapshot {
	if one := onlyOne(snaps); one != nil {
		// The common case (Consul alone, or static alone) shares the maps: a
		// change then costs no copy of every other service.
		out := *one
		out.Version = version
		return &out
	}
	out := &Snapshot{Services: map[string][]Instance{}, Source: "merged", Version: version}
	var sources []string
	for _, s := range snaps {
		if s == nil {
			continue
		}
		sources = append(sources, s.Source)
		if s.Observed.After(out.Observed) {
			out.Observed = s.Observed
		}
		for name, ins := range s.Services {
			have, ok := out.Services[name]
			if !ok {
				out.Services[name] = ins // shared, never modified
				continue
			}
			out.Services[name] = mergeInstances(have, ins)
		}
		for name, l := range s.Labels {
			if out.Labels == nil {
				out.Labels = map[string]Labels{}
			}
			if _, ok := out.Labels[name]; !ok {
				out.Labels[name] = l
			}
		}
	}
	if len(sources) == 1 {
		out.Source = sources[0]
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
		if s == nil || (len(s.Services) == 0 && len(s.Labels) == 0) {
			continue
		}
		if one != nil {
			return nil
		}
		one = s
	}
	return one
}
