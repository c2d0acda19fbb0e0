package gateway

import (
	"maps"
	"slices"
	"strings"
)

// A registration or deregistration changes one service's label routes. The
// whole merge (mergeRoutes, then rebuild) walks every service's routes; with a
// thousand services that walk was most of the cost of one change. Since two
// routes can only collide when they share host and path, and so a bucket,
// the merge can be done bucket by bucket: applyRouteChanges merges again only
// the buckets that the changed services' old and new routes fall in, and
// leaves every other bucket, its conflicts and its metrics as they were.
// TestIncrementalMergeMatchesTheFullOne holds it to the full merge.

// conflict is a label route skipped because another owner has it, with the
// bucket it was skipped in, so an incremental merge can replace the
// conflicts of the buckets it merges again and keep the others.
type conflict struct {
	key bucketKey
	msg string
}

// mergeIndex is what the incremental merge needs beyond the buckets: the
// file's routes and the services with label routes, by bucket. Both are
// immutable once a table holds them.
type mergeIndex struct {
	file     map[bucketKey][]Route
	services map[bucketKey][]string // sorted
}

// newMergeIndex indexes the file's routes and every view's routes.
func newMergeIndex(file []Route, views map[string]*labelView) *mergeIndex {
	ix := &mergeIndex{file: map[bucketKey][]Route{}, services: map[bucketKey][]string{}}
	for _, r := range file {
		k := bucketOfRoute(r)
		ix.file[k] = append(ix.file[k], r)
	}
	for name, v := range views {
		for i := range v.routes {
			k := v.key(i)
			if list := ix.services[k]; !slices.Contains(list, name) {
				ix.services[k] = append(list, name)
			}
		}
	}
	for _, list := range ix.services {
		slices.Sort(list)
	}
	return ix
}

func bucketOfRoute(r Route) bucketKey { return bucketOf(r.Host, strings.TrimSuffix(r.Path, "/")) }

// key is the bucket of the view's i-th route.
func (v *labelView) key(i int) bucketKey {
	if i < len(v.keys) {
		return v.keys[i]
	}
	return bucketOfRoute(v.routes[i]) // a view made by hand, in tests
}

// applyRouteChanges is mergeRoutes and rebuild for a change of the label
// routes of the services in moved (their views in views are the new ones,
// old.labels the old): only the buckets their old and new routes fall in are
// merged and compiled again.
func applyRouteChanges(old *state, views map[string]*labelView, moved []string) (t *table, conflicts map[string][]conflict, added, removed []*route) {
	ot, ix := old.table, old.table.index
	next := &mergeIndex{file: ix.file, services: maps.Clone(ix.services)}
	affected := map[bucketKey]bool{}
	for _, name := range moved {
		if v := old.labels[name]; v != nil {
			for i := range v.routes {
				k := v.key(i)
				affected[k] = true
				if list := next.services[k]; slices.Contains(list, name) {
					next.services[k] = slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == name })
					if len(next.services[k]) == 0 {
						delete(next.services, k)
					}
				}
			}
		}
		if v := views[name]; v != nil {
			for i := range v.routes {
				k := v.key(i)
				affected[k] = true
				list := next.services[k]
				if j, found := slices.BinarySearch(list, name); !found {
					next.services[k] = slices.Insert(slices.Clone(list), j, name)
				}
			}
		}
	}

	t = &table{buckets: maps.Clone(ot.buckets), count: ot.count, exact: ot.exact, wild: ot.wild, index: next}
	skipped := map[string][]conflict{} // the affected buckets' conflicts, by service
	touched := map[string]bool{}       // services whose conflicts may differ
	for k := range affected {
		for _, s := range ix.services[k] {
			touched[s] = true
		}
		src := mergeBucket(k, next.file[k], next.services[k], views, skipped)
		for _, s := range next.services[k] {
			touched[s] = true
		}
		ob := ot.buckets[k]
		if ob != nil {
			t.count -= len(ob.routes)
		}
		t.count += len(src)
		switch {
		case ob != nil && slices.EqualFunc(ob.src, src, identical):
			continue
		case len(src) == 0:
			delete(t.buckets, k)
		default:
			b := newBucket(src)
			t.buckets[k] = b
			added = append(added, b.routes...)
			t.exact = t.exact || (k.host != "" && !k.wild)
			t.wild = t.wild || k.wild
		}
		if ob != nil {
			removed = append(removed, ob.routes...)
		}
	}

	conflicts = maps.Clone(old.conflicts)
	for s := range touched {
		var list []conflict
		for _, c := range old.conflicts[s] {
			if !affected[c.key] {
				list = append(list, c)
			}
		}
		list = append(list, skipped[s]...)
		if len(list) == 0 {
			delete(conflicts, s)
			continue
		}
		sortConflicts(list)
		conflicts[s] = list
	}
	t.services, t.changed = indexServices(ot, added, removed)
	t.base = ot
	ot.base = nil
	return t, conflicts, added, removed
}

// mergeBucket is mergeRoutes for the routes of one bucket: the file's first,
// then each service's in name order, a route whose identity is taken being
// skipped and recorded in skipped.
func mergeBucket(k bucketKey, file []Route, names []string, views map[string]*labelView, skipped map[string][]conflict) []Route {
	src := slices.Clone(file)
	owner := make(map[string]string, len(file)+len(names)) // identity → service; "" for the file
	for _, r := range file {
		owner[routeIdentity(r)] = ""
	}
	for _, name := range names {
		v := views[name]
		for i, r := range v.routes {
			if v.key(i) != k {
				continue
			}
			id := v.id(i)
			if o, taken := owner[id]; taken {
				if o != name {
					skipped[name] = append(skipped[name], conflict{key: k, msg: conflictMessage(r, o)})
				}
				continue
			}
			owner[id] = name
			src = append(src, r)
		}
	}
	return src
}

func conflictMessage(r Route, owner string) string {
	return "route " + describeRoute(r) + " is already taken by " + describeOwner(owner) + "; skipped"
}

// sortConflicts orders a service's conflicts by message, so that the full
// and the incremental merge list them alike.
func sortConflicts(list []conflict) {
	slices.SortFunc(list, func(a, b conflict) int { return strings.Compare(a.msg, b.msg) })
}
