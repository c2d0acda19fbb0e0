package catalog

import (
	"log/slog"
	"slices"
	"strings"
)

// view is what one refresh leaves for readers: every entry, sorted by
// service, each carrying its own search items. Readers load it with one
// atomic load and never lock; a refresh makes a new view and swaps it in, so
// a reader sees the entries and the search index of the same refresh.
//
// A refresh touches only the services that changed: with's work is those
// entries' indexing plus one copy of the sorted slice of pointers, which at
// 1,000 services is 8 KiB. A map copy and an index rebuilt over every
// service's operations, what a change cost before, was about 2.7 MiB and
// 20 ms at that size (issue 20).
type view struct {
	entries []*Entry
}

// find returns one service's entry by binary search.
func (v *view) find(service string) (*Entry, bool) {
	i, ok := slices.BinarySearchFunc(v.entries, service, byService)
	if !ok {
		return nil, false
	}
	return v.entries[i], true
}

func byService(e *Entry, service string) int { return strings.Compare(e.Service, service) }

// with is v with the changed entries in place of the ones they name. An
// entry without a kind or an error (a service no longer routed, with no
// instances, or with no document found) removes the service. Each new entry
// is indexed here, on its own (indexSafely); the changed entries must not be
// shared with readers yet.
func (v *view) with(log *slog.Logger, changed []*Entry) *view {
	next := slices.Clone(v.entries)
	for _, e := range changed {
		i, found := slices.BinarySearchFunc(next, e.Service, byService)
		switch {
		case e.Kind == "" && e.Error == "":
			if found {
				next = slices.Delete(next, i, i+1)
			}
		case found:
			next[i] = indexSafely(log, e)
		default:
			next = slices.Insert(next, i, indexSafely(log, e))
		}
	}
	return &view{entries: next}
}
