package discovery

// Merge combines the snapshots of several sources (static config and Consul)
// into the one the gateway routes with. A service found by more than one
// source gets the instances of all, the first source's first; an address
// listed twice keeps its first entry. Labels are merged the same way, the first
// source winning. Nil snapshots are skipped. Observed is the latest of the
// inputs', so the convergence metric times the change that caused the merge.
func Merge(version uint64, snaps ...*Snapshot) *Snapshot {
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
