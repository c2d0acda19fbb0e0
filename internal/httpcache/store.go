package httpcache

import (
	"errors"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
)

// StoreConfig sizes a Store. The zero value is a 64 MiB cache.
type StoreConfig struct {
	// MaxBytes is the byte budget over all entries (Entry.Weight).
	// Zero means 64 MiB.
	MaxBytes int64
	// MaxEntryBytes is the largest entry stored; larger ones are refused.
	// Zero means MaxBytes/16, so one response cannot flush the cache.
	MaxEntryBytes int64
	// MaxVariants bounds the variants kept per key, so a Vary on a
	// high-cardinality header cannot crowd a key. Zero means 16.
	MaxVariants int
}

// ErrTooLarge is returned by Put for an entry above MaxEntryBytes.
var ErrTooLarge = errors.New("httpcache: entry exceeds the per-entry size limit")

const defaultMaxBytes = 64 << 20

// variants is the immutable set of stored responses under one primary key,
// newest first. Writers replace the whole set.
type variants struct {
	entries []*Entry
	weight  int64
}

// Store is the bounded, thread-safe response store: an otter cache of
// variant sets, weighted by bytes, with a surrogate-key index for purges.
// Reads take no lock of the Store's own; writes serialise on mu so that a
// purge is never undone by a concurrent Put's read-modify-write.
type Store struct {
	cache       *otter.Cache[string, *variants]
	maxEntry    int64
	maxVariants int
	flights     *Flights

	mu   sync.Mutex
	tags map[string]map[string]struct{} // tag -> keys that had an entry with it

	c counters
}

// NewStore builds a Store.
func NewStore(cfg StoreConfig) (*Store, error) {
	maxBytes := cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = defaultMaxBytes
	}
	s := &Store{
		maxEntry:    cfg.MaxEntryBytes,
		maxVariants: cfg.MaxVariants,
		flights:     NewFlights(),
		tags:        map[string]map[string]struct{}{},
	}
	if s.maxEntry <= 0 {
		s.maxEntry = maxBytes / 16
	}
	if s.maxVariants <= 0 {
		s.maxVariants = 16
	}
	c, err := otter.New(&otter.Options[string, *variants]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(_ string, v *variants) uint32 {
			return uint32(min(v.weight, math.MaxUint32))
		},
		OnDeletion: s.onDeletion,
	})
	if err != nil {
		return nil, err
	}
	s.cache = c
	return s, nil
}

// Flights returns the store's request coalescer.
func (s *Store) Flights() *Flights { return s.flights }

// Fwd is the reason, in RFC 9211 terms, that a lookup found nothing.
type Fwd string

const (
	FwdNone     Fwd = ""          // a stored response was selected
	FwdURIMiss  Fwd = "uri-miss"  // nothing stored under the key
	FwdVaryMiss Fwd = "vary-miss" // stored variants, none matching the request
)

// Lookup selects the stored response for req under key (RFC 9111 §4.1):
// the newest variant whose selecting header values match. It allocates
// nothing on a hit.
func (s *Store) Lookup(key string, req *http.Request) (*Entry, Fwd) {
	v, ok := s.cache.GetIfPresent(key)
	if !ok {
		s.c.uriMisses.Add(1)
		return nil, FwdURIMiss
	}
	for _, e := range v.entries {
		if e.selects(req) {
			return e, FwdNone
		}
	}
	s.c.varyMisses.Add(1)
	return nil, FwdVaryMiss
}

// Put stores e under e.Key. It replaces the variant with the same
// selecting values, and drops variants whose Vary names differ, since the
// origin has changed how it varies.
func (s *Store) Put(e *Entry) error {
	w := e.Weight()
	if w > s.maxEntry {
		s.c.refused.Add(1)
		return ErrTooLarge
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := &variants{entries: []*Entry{e}, weight: w}
	if cur, ok := s.cache.GetIfPresent(e.Key); ok {
		for _, old := range cur.entries {
			if len(next.entries) < s.maxVariants && sameNames(old, e) && !sameValues(old, e) {
				next.entries = append(next.entries, old)
				next.weight += old.Weight()
			}
		}
	}
	s.cache.Set(e.Key, next)
	for _, t := range e.Tags {
		keys := s.tags[t]
		if keys == nil {
			keys = map[string]struct{}{}
			s.tags[t] = keys
		}
		keys[e.Key] = struct{}{}
	}
	s.c.stores.Add(1)
	return nil
}

// Replace swaps old for n under old.Key if old is still stored (after a
// Freshen); it reports whether it did. A concurrent Put or purge wins.
func (s *Store) Replace(old, n *Entry) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.cache.GetIfPresent(old.Key)
	if !ok {
		return false
	}
	next := &variants{entries: make([]*Entry, len(cur.entries))}
	found := false
	for i, e := range cur.entries {
		if e == old {
			e, found = n, true
		}
		next.entries[i] = e
		next.weight += e.Weight()
	}
	if found {
		s.cache.Set(old.Key, next)
	}
	return found
}

func sameNames(a, b *Entry) bool {
	if len(a.VaryNames) != len(b.VaryNames) {
		return false
	}
	for i := range a.VaryNames {
		if a.VaryNames[i] != b.VaryNames[i] {
			return false
		}
	}
	return true
}

func sameValues(a, b *Entry) bool {
	for i := range a.VaryValues {
		if a.VaryValues[i] != b.VaryValues[i] {
			return false
		}
	}
	return true
}

// Variants returns every stored response under key, newest first, e.g. to
// freshen each one a 304 selects (Selects304).
func (s *Store) Variants(key string) []*Entry {
	if v, ok := s.cache.GetIfPresent(key); ok {
		return v.entries
	}
	return nil
}

// onDeletion counts evictions and drops index entries the cache no longer
// backs. otter runs it on its own goroutine, so taking mu here is safe.
func (s *Store) onDeletion(ev otter.DeletionEvent[string, *variants]) {
	if ev.Cause.IsEviction() {
		s.c.evictions.Add(uint64(len(ev.Value.entries)))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, _ := s.cache.GetIfPresent(ev.Key)
	for _, e := range ev.Value.entries {
		for _, t := range e.Tags {
			if cur == nil || !cur.hasTag(t) {
				delete(s.tags[t], ev.Key)
				if len(s.tags[t]) == 0 {
					delete(s.tags, t)
				}
			}
		}
	}
}

func (v *variants) hasTag(tag string) bool {
	for _, e := range v.entries {
		for _, t := range e.Tags {
			if t == tag {
				return true
			}
		}
	}
	return false
}

// FreshenStored applies a 304 to every variant under key that it selects
// (RFC 9111 §4.3.4: the cache MUST update each selected stored response)
// and returns the freshened entries.
func (s *Store) FreshenStored(key string, res *http.Response, reqTime, resTime time.Time) []*Entry {
	vs := s.Variants(key)
	var out []*Entry
	for _, e := range vs {
		if Selects304(e, res, len(vs) == 1) {
			n := Freshen(e, res, reqTime, resTime)
			if s.Replace(e, n) {
				out = append(out, n)
			}
		}
	}
	return out
}
