package pmap

// Builder makes a batch of changes to a Map, copying each node it touches
// once rather than once per change: building a map of a thousand entries
// allocates the trie and little else. The zero Builder starts empty; Map
// hands out the result, after which the Builder may go on (it copies again
// what the handed-out Map holds). A Builder is used through one pointer by
// one goroutine at a time; a copy of one would share its nodes.
type Builder[K comparable, V any] struct {
	m    Map[K, V]
	edit *editToken
}

// NewBuilder starts a Builder from m, which it never changes.
func NewBuilder[K comparable, V any](m Map[K, V]) *Builder[K, V] {
	return &Builder[K, V]{m: m}
}

func (b *Builder[K, V]) token() *editToken {
	if b.edit == nil {
		b.edit = new(editToken)
	}
	return b.edit
}

// Set maps k to v.
func (b *Builder[K, V]) Set(k K, v V) {
	root, added := set(b.m.root, hashOf(k), 0, k, v, b.token())
	b.m.root = root
	if added {
		b.m.n++
	}
}

// Delete removes k.
func (b *Builder[K, V]) Delete(k K) {
	root, removed := del(b.m.root, hashOf(k), 0, k, b.token())
	if removed {
		b.m.root, b.m.n = root, b.m.n-1
	}
}

// Get returns the value for k as the Builder has it now.
func (b *Builder[K, V]) Get(k K) (V, bool) { return b.m.Get(k) }

// Len is the number of entries the Builder has now.
func (b *Builder[K, V]) Len() int { return b.m.n }

// Map returns the entries as a Map. The Builder will not change any node
// the Map holds.
func (b *Builder[K, V]) Map() Map[K, V] {
	b.edit = nil
	return b.m
}
