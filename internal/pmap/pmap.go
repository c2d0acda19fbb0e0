// Package pmap is an immutable hash map that shares structure between
// versions: setting or deleting one key of a map of a thousand copies the
// few nodes on that key's path (a hash array mapped trie, 32 ways per
// level), not the thousand entries. bulwark's state is rebuilt on every
// discovery change and must never be written while requests read it, so
// without sharing each change copied every service's entry several times
// over, and at a thousand services that garbage, not the change, was most
// of the work (bench/RESULTS.md, issue 20).
//
// A Map is a value: the zero Map is empty, and every method that changes it
// returns a new Map and leaves the receiver as it was, safe to read from any
// number of goroutines. A Builder makes many changes without copying a node
// twice, for building a map whole or applying a batch.
package pmap

import (
	"encoding/json"
	"hash/maphash"
	"iter"
	"math/bits"
)

// Map is an immutable map from K to V. The zero Map is empty.
type Map[K comparable, V any] struct {
	root *node[K, V]
	n    int
}

const (
	width = 5                  // hash bits per level
	fan   = 1 << width         // children per node
	depth = 64 / width * width // shift past which every hash bit is used: collisions
)

// node is one level of the trie: slots holds the present children of its
// 32 ways in order, bitmap says which ways they are. Past the last hash bit
// a node is a collision list: its slots are leaves whose hashes are equal
// and bitmap is unused.
type node[K comparable, V any] struct {
	bitmap uint32
	slots  []slot[K, V]
	// edit is the Builder that made this node and may still change it in
	// place; a node reachable from a Map that was handed out never has the
	// edit of a Builder still in use.
	edit *editToken
}

// slot is a subtree (child set) or a leaf.
type slot[K comparable, V any] struct {
	child *node[K, V]
	hash  uint64
	key   K
	val   V
}

type editToken struct{ _ byte } // non-zero size: each new one is a distinct pointer

var seed = maphash.MakeSeed()

// hashMask is all ones; tests narrow it to force collisions.
var hashMask = ^uint64(0)

func hashOf[K comparable](k K) uint64 { return maphash.Comparable(seed, k) & hashMask }

// Len is the number of entries.
func (m Map[K, V]) Len() int { return m.n }

// Get returns the value for k and whether it is present.
func (m Map[K, V]) Get(k K) (V, bool) {
	h := hashOf(k)
	n := m.root
	for shift := uint(0); n != nil; shift += width {
		if shift >= depth {
			for i := range n.slots {
				if n.slots[i].key == k {
					return n.slots[i].val, true
				}
			}
			break
		}
		bit := uint32(1) << ((h >> shift) & (fan - 1))
		if n.bitmap&bit == 0 {
			break
		}
		s := &n.slots[bits.OnesCount32(n.bitmap&(bit-1))]
		if s.child == nil {
			if s.hash == h && s.key == k {
				return s.val, true
			}
			break
		}
		n = s.child
	}
	var zero V
	return zero, false
}

// Same reports whether m and o are one version: what one holds, the other
// does. It is false for equal maps built apart, and true for two maps that
// came from one another by no change (a Delete of an absent key, a Builder
// that changed nothing), so a consumer can skip what did not change without
// comparing entries.
func (m Map[K, V]) Same(o Map[K, V]) bool { return m.root == o.root && m.n == o.n }

// Has reports whether k is present.
func (m Map[K, V]) Has(k K) bool {
	_, ok := m.Get(k)
	return ok
}

// Set returns m with k mapped to v.
func (m Map[K, V]) Set(k K, v V) Map[K, V] {
	root, added := set(m.root, hashOf(k), 0, k, v, nil)
	if added {
		return Map[K, V]{root, m.n + 1}
	}
	return Map[K, V]{root, m.n}
}

// Delete returns m without k (m itself when k is absent).
func (m Map[K, V]) Delete(k K) Map[K, V] {
	root, removed := del(m.root, hashOf(k), 0, k, nil)
	if !removed {
		return m
	}
	return Map[K, V]{root, m.n - 1}
}

// All yields every entry, in no particular order.
func (m Map[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) { walk(m.root, yield) }
}

// Keys yields every key, in no particular order.
func (m Map[K, V]) Keys() iter.Seq[K] {
	return func(yield func(K) bool) {
		walk(m.root, func(k K, _ V) bool { return yield(k) })
	}
}

// From makes a Map of a Go map's entries.
func From[K comparable, V any](src map[K]V) Map[K, V] {
	var b Builder[K, V]
	for k, v := range src {
		b.Set(k, v)
	}
	return b.Map()
}

// Clone returns the entries as a Go map, for code that wants one (JSON,
// tests); it costs what copying a Go map costs.
func (m Map[K, V]) Clone() map[K]V {
	out := make(map[K]V, m.n)
	for k, v := range m.All() {
		out[k] = v
	}
	return out
}

// MarshalJSON encodes the map as encoding/json encodes a Go map of the same
// types (keys sorted), for the admin API.
func (m Map[K, V]) MarshalJSON() ([]byte, error) { return json.Marshal(m.Clone()) }

// UnmarshalJSON decodes what MarshalJSON encodes.
func (m *Map[K, V]) UnmarshalJSON(b []byte) error {
	var src map[K]V
	if err := json.Unmarshal(b, &src); err != nil {
		return err
	}
	*m = From(src)
	return nil
}

func walk[K comparable, V any](n *node[K, V], yield func(K, V) bool) bool {
	if n == nil {
		return true
	}
	for i := range n.slots {
		s := &n.slots[i]
		if s.child != nil {
			if !walk(s.child, yield) {
				return false
			}
		} else if !yield(s.key, s.val) {
			return false
		}
	}
	return true
}
