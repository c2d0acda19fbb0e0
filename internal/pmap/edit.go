package pmap

import "math/bits"

// set and del are the trie's two changes. Each returns the node to put in
// place of n: n itself, changed in place, when edit owns it (a Builder's
// own node, never reachable from a Map handed out), else a copy with the
// change, so that every Map holding n still sees it as it was.

// owned returns n when edit may change it in place, else a copy made for edit.
func owned[K comparable, V any](n *node[K, V], edit *editToken) *node[K, V] {
	if edit != nil && n.edit == edit {
		return n
	}
	c := &node[K, V]{bitmap: n.bitmap, edit: edit, slots: make([]slot[K, V], len(n.slots), len(n.slots)+1)}
	copy(c.slots, n.slots)
	return c
}

func set[K comparable, V any](n *node[K, V], h uint64, shift uint, k K, v V, edit *editToken) (*node[K, V], bool) {
	if n == nil {
		n = &node[K, V]{edit: edit}
		if shift >= depth {
			n.slots = []slot[K, V]{{hash: h, key: k, val: v}}
			return n, true
		}
		n.bitmap = 1 << ((h >> shift) & (fan - 1))
		n.slots = []slot[K, V]{{hash: h, key: k, val: v}}
		return n, true
	}
	if shift >= depth { // a collision list
		for i := range n.slots {
			if n.slots[i].key == k {
				n = owned(n, edit)
				n.slots[i].val = v
				return n, false
			}
		}
		n = owned(n, edit)
		n.slots = append(n.slots, slot[K, V]{hash: h, key: k, val: v})
		return n, true
	}
	bit := uint32(1) << ((h >> shift) & (fan - 1))
	i := bits.OnesCount32(n.bitmap & (bit - 1))
	if n.bitmap&bit == 0 {
		n = owned(n, edit)
		n.bitmap |= bit
		n.slots = append(n.slots, slot[K, V]{})
		copy(n.slots[i+1:], n.slots[i:])
		n.slots[i] = slot[K, V]{hash: h, key: k, val: v}
		return n, true
	}
	s := n.slots[i]
	switch {
	case s.child != nil:
		child, added := set(s.child, h, shift+width, k, v, edit)
		if child != s.child {
			n = owned(n, edit)
			n.slots[i].child = child
		}
		return n, added
	case s.hash == h && s.key == k:
		n = owned(n, edit)
		n.slots[i].val = v
		return n, false
	default: // another key in this way: both go one level down
		child, _ := set(nil, s.hash, shift+width, s.key, s.val, edit)
		child, _ = set(child, h, shift+width, k, v, edit)
		n = owned(n, edit)
		n.slots[i] = slot[K, V]{child: child}
		return n, true
	}
}

// del removes k below n. It returns nil for a node left empty, and a node
// left with a single leaf is pulled up into its parent, so that a trie's
// shape depends on its keys alone, not on its history.
func del[K comparable, V any](n *node[K, V], h uint64, shift uint, k K, edit *editToken) (*node[K, V], bool) {
	if n == nil {
		return nil, false
	}
	if shift >= depth {
		for i := range n.slots {
			if n.slots[i].key == k {
				if len(n.slots) == 1 {
					return nil, true
				}
				n = owned(n, edit)
				n.slots = append(n.slots[:i], n.slots[i+1:]...)
				clear(n.slots[len(n.slots):cap(n.slots)][:1])
				return n, true
			}
		}
		return n, false
	}
	bit := uint32(1) << ((h >> shift) & (fan - 1))
	if n.bitmap&bit == 0 {
		return n, false
	}
	i := bits.OnesCount32(n.bitmap & (bit - 1))
	s := n.slots[i]
	if s.child == nil {
		if s.hash != h || s.key != k {
			return n, false
		}
		if len(n.slots) == 1 {
			return nil, true
		}
		n = owned(n, edit)
		n.bitmap &^= bit
		n.slots = append(n.slots[:i], n.slots[i+1:]...)
		clear(n.slots[len(n.slots):cap(n.slots)][:1]) // drop the removed leaf's references
		return n, true
	}
	child, removed := del(s.child, h, shift+width, k, edit)
	if !removed {
		return n, false
	}
	n = owned(n, edit)
	switch {
	case child == nil:
		n.bitmap &^= bit
		n.slots = append(n.slots[:i], n.slots[i+1:]...)
		clear(n.slots[len(n.slots):cap(n.slots)][:1])
		if len(n.slots) == 0 {
			return nil, true
		}
	case len(child.slots) == 1 && child.slots[0].child == nil:
		n.slots[i] = child.slots[0] // a lone leaf moves up
	default:
		n.slots[i].child = child
	}
	return n, true
}
