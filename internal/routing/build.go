package routing

import (
	"iter"
	"maps"
	"slices"

	"github.com/bulwark-gw/bulwark/internal/pmap"
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
	file := prev.file
	if dirty.File {
		for k := range prev.file {
			affected[k] = true
		}
		file = byKey(src.File)
		for k := range file {
			affected[k] = true
		}
	}
	claims := pmap.NewBuilder(prev.claims)
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
	if len(affected) == 0 {
		return prev, Delta[M]{}
	}

	t := &Table[M]{count: prev.count, exact: prev.exact, wild: prev.wild, file: file, claims: claims.Map()}
	var d Delta[M]
	buckets := pmap.NewBuilder(prev.buckets)
	skipped := map[string][]Conflict{} // the affected buckets' conflicts, by service
	touched := map[string]bool{}       // services whose conflicts may differ
	for k := range affected {
		was, _ := prev.claims.Get(k)
		now, _ := t.claims.Get(k)
		for _, s := range was {
			touched[s] = true
		}
		for _, s := range now {
			touched[s] = true
		}
		merged := mergeBucket(k, t.file[k], now, src.Labels, skipped)
		ob, _ := prev.buckets.Get(k)
		if ob != nil && slices.EqualFunc(ob.src, merged, Identical) {
			continue
		}
		if ob != nil {
			buckets.Delete(k)
			t.count -= len(ob.entries)
			t.countKey(k, -1)
			d.Removed = append(d.Removed, ob.entries...)
		}
		if len(merged) > 0 {
			b := newBucket[M](merged)
			buckets.Set(k, b)
			t.count += len(b.entries)
			t.countKey(k, +1)
			d.Added = append(d.Added, b.entries...)
		}
	}
	t.buckets = buckets.Map()
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
		routed, _ := t.routed.Get(service)
		for _, e := range routed {
			if !yield(e.key) {
				return
			}
		}
		conflicts, _ := t.conflicts.Get(service)
		for _, c := range conflicts {
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
func claim(claims *pmap.Builder[Key, []string], k Key, name string) {
	list, _ := claims.Get(k)
	if i, found := slices.BinarySearch(list, name); !found {
		claims.Set(k, slices.Insert(slices.Clone(list), i, name))
	}
}

func unclaim(claims *pmap.Builder[Key, []string], k Key, name string) {
	list, _ := claims.Get(k)
	i, found := slices.BinarySearch(list, name)
	switch {
	case !found:
	case len(list) == 1:
		claims.Delete(k)
	default:
		claims.Set(k, slices.Delete(slices.Clone(list), i, i+1))
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
func replaceConflicts(prev pmap.Map[string, []Conflict], touched map[string]bool, affected map[Key]bool, skipped map[string][]Conflict) pmap.Map[string, []Conflict] {
	if len(touched) == 0 {
		return prev
	}
	out := pmap.NewBuilder(prev)
	for s := range touched {
		var list []Conflict
		had, _ := prev.Get(s)
		for _, c := range had {
			if !affected[c.Key] {
				list = append(list, c)
			}
		}
		list = append(list, skipped[s]...)
		if len(list) == 0 {
			out.Delete(s)
			continue
		}
		sortConflicts(list)
		out.Set(s, list)
	}
	return out.Map()
}

// reindex brings prev's per-service entries up to date with the entries
// added and removed: only the services those name are looked at, and they
// are returned, sorted, as the services whose routes changed.
func reindex[M any](prev pmap.Map[string, []*Entry[M]], added, removed []*Entry[M]) (pmap.Map[string, []*Entry[M]], []string) {
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
	out := pmap.NewBuilder(prev)
	changed := make([]string, 0, len(fresh))
	for svc, list := range fresh {
		changed = append(changed, svc)
		had, _ := prev.Get(svc)
		for _, e := range had {
			if !gone[e] {
				list = append(list, e)
			}
		}
		if len(list) == 0 {
			out.Delete(svc)
			continue
		}
		slices.SortFunc(list, matchOrder)
		out.Set(svc, list)
	}
	slices.Sort(changed)
	return out.Map(), changed
}
