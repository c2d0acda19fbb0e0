package routing

import (
	"iter"
	"maps"
	"slices"
)

// Source is what a table is built from.
type Source struct {
	// File is the config file's routes, in file order; all of them are kept.
	File []Route
	// Labels gives a service's label routes (the zero Owned when it has
	// none). It is asked about the services Dirty names and those that claim
	// a bucket merged again; nil means no service has any.
	Labels func(service string) Owned
}

// Dirty says which parts of the Source may differ from those the previous
// table was built from: the file's routes, and the label routes of the
// services named. A service not named must have the label routes it had. A
// first build, or a rebuild of everything, is File with every service named
// (the previous table's and the Source's): then nothing is assumed.
type Dirty struct {
	File     bool
	Services []string
}

// Delta is what a Build changed, returned rather than kept: a table does not
// know its predecessor.
type Delta[M any] struct {
	// Added are the entries of the buckets compiled anew, whose Data is to be
	// set before the table is published; Removed are the entries of the
	// buckets those replaced or that went away. A route in both, with the
	// same config value, did not change for anyone outside the table.
	Added, Removed []*Entry[M]
	// Services are the services whose entries differ, sorted.
	Services []string
	// Conflicted are the services whose conflicts may differ, in no order.
	Conflicted []string
}

// Build makes the table for src from prev (nil: the empty table), merging
// again only the buckets that what dirty names fell in or falls in, and
// compiling only those whose routes changed; every other bucket, its
// entries and its conflicts are shared with prev. It writes nothing that
// prev holds: prev stays valid for anyone reading it. When dirty names
// nothing, prev itself is returned.
func Build[M any](prev *Table[M], src Source, dirty Dirty) (*Table[M], Delta[M]) {
	if prev == nil {
		prev = &Table[M]{}
	}
	if src.Labels == nil {
		src.Labels = func(string) Owned { return Owned{} }
	}
	affected := map[Key]bool{}
	file, claims := prev.file, prev.claims
	if dirty.File {
		for k := range prev.file {
			affected[k] = true
		}
		file = byKey(src.File)
		for k := range file {
			affected[k] = true
		}
	}
	if len(dirty.Services) > 0 {
		claims = maps.Clone(prev.claims)
		if claims == nil {
			claims = map[Key][]string{}
		}
		for _, name := range dirty.Services {
			for k := range prev.keysOf(name) {
				affected[k] = true
				unclaim(claims, k, name)
			}
			o := src.Labels(name)
			for i := range o.Routes {
				k := o.key(i)
				affected[k] = true
				claim(claims, k, name)
			}
		}
	}
	if len(affected) == 0 {
		return prev, Delta[M]{}
	}

	t := &Table[M]{count: prev.count, exact: prev.exact, wild: prev.wild, file: file, claims: claims}
	var d Delta[M]
	t.buckets = maps.Clone(prev.buckets)
	if t.buckets == nil {
		t.buckets = map[Key]*bucket[M]{}
	}
	skipped := map[string][]Conflict{} // the affected buckets' conflicts, by service
	touched := map[string]bool{}       // services whose conflicts may differ
	for k := range affected {
		for _, s := range prev.claims[k] {
			touched[s] = true
		}
		for _, s := range t.claims[k] {
			touched[s] = true
		}
		merged := mergeBucket(k, t.file[k], t.claims[k], src.Labels, skipped)
		ob := prev.buckets[k]
		if ob != nil && slices.EqualFunc(ob.src, merged, Identical) {
			continue
		}
		if ob != nil {
			delete(t.buckets, k)
			t.count -= len(ob.entries)
			t.countKey(k, -1)
			d.Removed = append(d.Removed, ob.entries...)
		}
		if len(merged) > 0 {
			b := newBucket[M](merged)
			t.buckets[k] = b
			t.count += len(b.entries)
			t.countKey(k, +1)
			d.Added = append(d.Added, b.entries...)
		}
	}
	t.conflicts = replaceConflicts(prev.conflicts, touched, affected, skipped)
	d.Conflicted = slices.Collect(maps.Keys(touched))
	t.routed, d.Services = reindex(prev.routed, d.Added, d.Removed)
	return t, d
}

// keysOf are the buckets a service's label routes fell in: each is in the
// table, and so among the service's entries (a label route sends requests
// to its owner), or skipped, and so among its conflicts. The file's routes
// to the service come along; merging their buckets again changes nothing.
func (t *Table[M]) keysOf(service string) iter.Seq[Key] {
	return func(yield func(Key) bool) {
		for _, e := range t.routed[service] {
			if !yield(e.key) {
				return
			}
		}
		for _, c := range t.conflicts[service] {
			if !yield(c.Key) {
				return
			}
		}
	}
}

// byKey groups the file's routes by bucket, in file order.
func byKey(file []Route) map[Key][]Route {
	out := make(map[Key][]Route, len(file))
	for _, r := range file {
		k := KeyOf(r)
		out[k] = append(out[k], r)
	}
	return out
}

// claim and unclaim add a service to a bucket's sorted claims and take it
// out. The lists are shared with earlier tables: they are copied, never
// written.
func claim(claims map[Key][]string, k Key, name string) {
	list := claims[k]
	if i, found := slices.BinarySearch(list, name); !found {
		claims[k] = slices.Insert(slices.Clone(list), i, name)
	}
}

func unclaim(claims map[Key][]string, k Key, name string) {
	list := claims[k]
	i, found := slices.BinarySearch(list, name)
	switch {
	case !found:
	case len(list) == 1:
		delete(claims, k)
	default:
		claims[k] = slices.Delete(slices.Clone(list), i, i+1)
	}
}

// countKey keeps the counts of buckets with exact and wildcard hosts as a
// bucket comes (+1) or goes (-1).
func (t *Table[M]) countKey(k Key, n int) {
	switch {
	case k.wild:
		t.wild += n
	case k.exact():
		t.exact += n
	}
}

// replaceConflicts is prev with the conflicts the touched services had in
// the affected buckets replaced by those skipped there now.
func replaceConflicts(prev map[string][]Conflict, touched map[string]bool, affected map[Key]bool, skipped map[string][]Conflict) map[string][]Conflict {
	if len(touched) == 0 {
		return prev
	}
	out := maps.Clone(prev)
	if out == nil {
		out = map[string][]Conflict{}
	}
	for s := range touched {
		var list []Conflict
		for _, c := range prev[s] {
			if !affected[c.Key] {
				list = append(list, c)
			}
		}
		list = append(list, skipped[s]...)
		if len(list) == 0 {
			delete(out, s)
			continue
		}
		sortConflicts(list)
		out[s] = list
	}
	return out
}

// reindex brings prev's per-service entries up to date with the entries
// added and removed: only the services those name are looked at, and they
// are returned, sorted, as the services whose routes changed.
func reindex[M any](prev map[string][]*Entry[M], added, removed []*Entry[M]) (map[string][]*Entry[M], []string) {
	if len(added) == 0 && len(removed) == 0 {
		return prev, nil
	}
	fresh := make(map[string][]*Entry[M])
	for _, e := range added {
		fresh[e.Service] = append(fresh[e.Service], e)
	}
	gone := make(map[*Entry[M]]bool, len(removed))
	for _, e := range removed {
		gone[e] = true
		if _, ok := fresh[e.Service]; !ok {
			fresh[e.Service] = nil
		}
	}
	out := maps.Clone(prev)
	if out == nil {
		out = make(map[string][]*Entry[M], len(fresh))
	}
	changed := make([]string, 0, len(fresh))
	for svc, list := range fresh {
		changed = append(changed, svc)
		for _, e := range prev[svc] {
			if !gone[e] {
				list = append(list, e)
			}
		}
		if len(list) == 0 {
			delete(out, svc)
			continue
		}
		slices.SortFunc(list, matchOrder)
		out[svc] = list
	}
	slices.Sort(changed)
	return out, changed
}
