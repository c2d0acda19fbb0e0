package routing

import (
	"iter"
	"maps"
	"slices"
)

// Table is the route table: immutable once Build returns it, so readers never
// lock, and a table may be read for as long as anyone holds it while later
// ones are built from it. The zero Table (or a nil *Table) routes nothing.
type Table[M any] struct {
	buckets map[Key]*bucket[M]
	count   int
	// exact and wild count the buckets with an exact and with a wildcard
	// host: without any, a request skips those lookups.
	exact, wild int
	// routed is each service's entries, in match order.
	routed map[string][]*Entry[M]

	// What the next Build needs to merge one bucket again (merge.go): the
	// file's routes and the services with label routes, by bucket, and each
	// service's label routes that another owner holds.
	file      map[Key][]Route
	claims    map[Key][]string // sorted
	conflicts map[string][]Conflict
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
	return t.routed[service]
}

// Services are the services that some route sends requests to, in no order.
func (t *Table[M]) Services() iter.Seq[string] {
	if t == nil {
		return func(func(string) bool) {}
	}
	return maps.Keys(t.routed)
}

// Conflicts are a service's label routes that another owner holds, each
// skipped, sorted by message.
func (t *Table[M]) Conflicts(service string) []Conflict {
	if t == nil {
		return nil
	}
	return t.conflicts[service]
}

// All is every route in match order, sorted on each call: it is for the
// admin API, off the request path, and a table keeps no cache that a reader
// would write.
func (t *Table[M]) All() []*Entry[M] {
	if t == nil {
		return nil
	}
	out := make([]*Entry[M], 0, t.count)
	for _, b := range t.buckets {
		out = append(out, b.entries...)
	}
	slices.SortFunc(out, matchOrder)
	return out
}
