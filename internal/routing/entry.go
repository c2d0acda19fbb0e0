package routing

import (
	"cmp"
	"strings"
)

// Entry is a compiled Route: the config value plus what matching needs, and
// Data, whatever the caller attaches to the route (the gateway: its metrics).
// An entry belongs to one bucket and is shared by every later table that
// keeps the bucket, so Data is set once, on the entries a Delta lists as
// added, before the table is published.
type Entry[M any] struct {
	Route
	// Prefix is Path without a trailing slash ("" for the catch-all).
	Prefix string
	// Data is the caller's, set before the table is published and never after.
	Data M
	// OwnPolicy says the route sets policy keys of its own (Route.Policy is
	// not empty), so a request need not look.
	OwnPolicy bool

	key Key // the entry's bucket
	ord int // its place in the bucket's match order
}

// compile makes an entry from a config value; the name is filled in when
// empty and the host lower-cased. Routes are assumed valid (package config
// validates them, and the label reader checks the labels' routes).
func compile[M any](r Route) *Entry[M] {
	e := &Entry[M]{Route: r, Prefix: PathPrefix(r.Path), OwnPolicy: !r.Policy.Empty()}
	e.Host = strings.ToLower(e.Host)
	if e.Name == "" {
		e.Name = defaultName(r)
	}
	e.key = keyOf(e.Host, e.Prefix)
	return e
}

// specificity orders routes: an exact host beats a wildcard host beats any host;
// then a longer path prefix; then more header conditions; then a method
// restriction; then the order the routes were given in (the sort is stable).
func specificity[M any](a, b *Entry[M]) int {
	return cmp.Or(
		-cmp.Compare(hostRank(a.Host), hostRank(b.Host)),
		-cmp.Compare(len(a.Prefix), len(b.Prefix)),
		-cmp.Compare(len(a.Headers), len(b.Headers)),
		-cmp.Compare(min(len(a.Methods), 1), min(len(b.Methods), 1)),
	)
}

func hostRank(h string) int {
	switch {
	case h == "":
		return 0
	case strings.HasPrefix(h, "*."):
		return 1
	default:
		return 2
	}
}

// matchOrder orders any two entries as a request would try them: by
// specificity, then within a bucket by its order. Entries of different
// buckets that tie never match the same request; they are ordered by path,
// host and name so listings are stable.
func matchOrder[M any](a, b *Entry[M]) int {
	if c := specificity(a, b); c != 0 {
		return c
	}
	if a.key == b.key {
		return cmp.Compare(a.ord, b.ord)
	}
	return cmp.Or(cmp.Compare(a.Prefix, b.Prefix), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Name, b.Name))
}
