package httpcache

import "sync/atomic"

// counters are the Store's monotonic counts; Stats reads a snapshot.
type counters struct {
	hits, staleMaxStale, staleWhileRevalidate, staleIfError atomic.Uint64
	revalidations, uriMisses, varyMisses                    atomic.Uint64
	stores, refused, evictions                              atomic.Uint64
}

// Stats is a snapshot of the Store's counters, for the gateway to export.
type Stats struct {
	Hits                 uint64 // fresh responses served
	StaleMaxStale        uint64 // stale served because the client allowed it
	StaleWhileRevalidate uint64 // stale served while refreshing
	StaleIfError         uint64 // stale served in place of an origin error
	Revalidations        uint64 // conditional requests needed
	URIMisses            uint64 // lookups with nothing under the key
	VaryMisses           uint64 // lookups whose request matched no variant
	Coalesced            uint64 // requests that waited on another's origin fetch
	Stores               uint64 // entries put
	Refused              uint64 // entries over the per-entry limit
	Evictions            uint64 // entries evicted for the byte budget
	Bytes                uint64 // weight currently held
	Keys                 int    // primary keys currently held (approximate)
}

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	return Stats{
		Hits:                 s.c.hits.Load(),
		StaleMaxStale:        s.c.staleMaxStale.Load(),
		StaleWhileRevalidate: s.c.staleWhileRevalidate.Load(),
		StaleIfError:         s.c.staleIfError.Load(),
		Revalidations:        s.c.revalidations.Load(),
		URIMisses:            s.c.uriMisses.Load(),
		VaryMisses:           s.c.varyMisses.Load(),
		Coalesced:            s.flights.Coalesced(),
		Stores:               s.c.stores.Load(),
		Refused:              s.c.refused.Load(),
		Evictions:            s.c.evictions.Load(),
		Bytes:                s.cache.WeightedSize(),
		Keys:                 s.cache.EstimatedSize(),
	}
}

// Record counts what the gateway did with a Decision.
func (s *Store) Record(d Decision) {
	switch d.Action {
	case ServeFresh:
		s.c.hits.Add(1)
	case ServeStale:
		s.c.staleMaxStale.Add(1)
	case StaleWhileRevalidate:
		s.c.staleWhileRevalidate.Add(1)
	case Revalidate:
		s.c.revalidations.Add(1)
	}
}

// RecordStaleIfError counts a stale response served for an origin error.
func (s *Store) RecordStaleIfError() { s.c.staleIfError.Add(1) }
