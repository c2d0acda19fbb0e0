package routing

import (
	"iter"
	"slices"

	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// Table is the route table: immutable once Build returns it, so readers never
// lock, and a table may be read for as long as anyone holds it while later
// ones are built from it. The zero Table (or a nil *Table) routes nothing.
type Table[M any] struct {
	// buckets, routed, claims and conflicts are persistent maps
	// (internal/pmap): a Build shares every entry it does not change, so a
	// change to one of a thousand services copies no other's.
	buckets pmap.Map[Key, *bucket[M]]
	count   int
	// exact and wild count the buckets with an exact and with a wildcard
	// host: without any, a request skips those lookups.
	exact, wild int
	// routed is each service's entries, in match order.
	routed pmap.Map[string, []*Entry[M]]

	// What the next Build needs to merge one bucket again (merge.go): the
	// file's routes and the services with label routes, by bucket, and each
	// service's label routes that another owner holds.
	file      map[Key][]Route
	claims    pmap.Map[Key, []string] // each sorted
	conflicts pmap.Map[string, []Conflict]
}

// Len is the number of routes in the table.
func (t *Table[M]) Len() int {
	if t == nil {
		return 0
	}
	return t.count
}

// Routes are a service's routes in match order; nil when it has none.
func (t *Table[M]) Routes(service string) []*Entry[M] {
	if t == nil {
		return nil
	}
	r, _ := t.routed.Get(service)
	return r
}

// Services are the services that some route sends requests to, in no order.
func (t *Table[M]) Services() iter.Seq[string] {
	if t == nil {
		return func(func(string) bool) {}
	}
	return t.routed.Keys()
}

// Conflicts are a service's label routes that another owner holds, each
// skipped, sorted by message.
func (t *Table[M]) Conflicts(service string) []Conflict {
	if t == nil {
		return nil
	}
	c, _ := t.conflicts.Get(service)
	return c
}

// All is every route in match order, sorted on each call: it is for the
// admin API, off the request path, and a table keeps no cache that a reader
// would write.
func (t *Table[M]) All() []*Entry[M] {
	if t == nil {
		return nil
	}
	out := make([]*Entry[M], 0, t.count)
	for _, b := range t.buckets.All() {
		out = append(out, b.entries...)
	}
	slices.SortFunc(out, matchOrder)
	return out
}
