package pmap

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// check fails unless m holds exactly want, through every way of reading it.
func check[K comparable, V comparable](t testing.TB, m Map[K, V], want map[K]V) {
	t.Helper()
	if m.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", m.Len(), len(want))
	}
	for k, v := range want {
		if got, ok := m.Get(k); !ok || got != v {
			t.Fatalf("Get(%v) = %v, %v; want %v, true", k, got, ok, v)
		}
	}
	seen := map[K]bool{}
	for k, v := range m.All() {
		if seen[k] {
			t.Fatalf("All yields %v twice", k)
		}
		seen[k] = true
		if w, ok := want[k]; !ok || w != v {
			t.Fatalf("All yields %v=%v, want %v (present %v)", k, v, w, ok)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("All yields %d entries, want %d", len(seen), len(want))
	}
}

// run applies a sequence of operations to a Map, a Builder and a Go map
// alike, keeping every Map version with the Go map it should equal, and
// checks all of them at the end: a change must never show in an earlier
// version.
func run(t testing.TB, ops []byte, keys int) {
	type version struct {
		m    Map[int, int]
		want map[int]int
	}
	var m Map[int, int]
	want := map[int]int{}
	var versions []version
	var b *Builder[int, int]
	bwant := map[int]int{}
	for i := 0; i+1 < len(ops); i += 2 {
		op, k := ops[i], int(ops[i+1])%keys
		switch op % 6 {
		case 0, 1:
			m = m.Set(k, i)
			want[k] = i
		case 2:
			m = m.Delete(k)
			delete(want, k)
		case 3: // a Builder from the current map
			b, bwant = NewBuilder(m), maps.Clone(want)
		case 4, 5:
			if b == nil {
				continue
			}
			if op%6 == 4 {
				b.Set(k, -i)
				bwant[k] = -i
			} else {
				b.Delete(k)
				delete(bwant, k)
			}
			if op&0x40 != 0 { // hand out a Map and keep building
				versions = append(versions, version{b.Map(), maps.Clone(bwant)})
			}
		}
		versions = append(versions, version{m, maps.Clone(want)})
	}
	if b != nil {
		versions = append(versions, version{b.Map(), bwant})
	}
	for _, v := range versions {
		check(t, v.m, v.want)
	}
}

func TestAgainstGoMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, keys := range []int{1, 3, 40, 256} {
		for range 50 {
			ops := make([]byte, 400)
			for i := range ops {
				ops[i] = byte(r.Uint32())
			}
			run(t, ops, keys)
		}
	}
}

// TestCollisions narrows the hash to 3 bits, so that every key shares its
// hash with many others and lands in a collision list past the last level.
func TestCollisions(t *testing.T) {
	defer func(m uint64) { hashMask = m }(hashMask)
	hashMask = 0b111 << 57 // only the top bits vary: every level agrees, the lists differ
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		ops := make([]byte, 300)
		for i := range ops {
			ops[i] = byte(r.Uint32())
		}
		run(t, ops, 64)
	}
	hashMask = 0b11 // the low bits vary: leaves split at the first level, then collide
	for range 50 {
		ops := make([]byte, 300)
		for i := range ops {
			ops[i] = byte(r.Uint32())
		}
		run(t, ops, 64)
	}
}

// TestDeleteRestoresShape: after deleting what was added, the trie has the
// shape it had, so a long-lived map does not keep the nodes of keys gone.
func TestDeleteRestoresShape(t *testing.T) {
	var m Map[string, int]
	for i := range 1000 {
		m = m.Set(fmt.Sprint("svc-", i), i)
	}
	grown := m
	for i := range 1000 {
		grown = grown.Set(fmt.Sprint("probe-", i), i)
	}
	for i := range 1000 {
		grown = grown.Delete(fmt.Sprint("probe-", i))
	}
	if a, b := nodes(m.root), nodes(grown.root); a != b {
		t.Fatalf("after adding and deleting 1000 keys the trie has %d nodes, %d before", b, a)
	}
	var empty Map[string, int]
	for k := range m.Keys() {
		m = m.Delete(k)
	}
	if m.root != nil || m.Len() != 0 || empty.Len() != 0 {
		t.Fatalf("a map emptied by deletes keeps a root: %+v", m.root)
	}
}

func nodes[K comparable, V any](n *node[K, V]) int {
	if n == nil {
		return 0
	}
	c := 1
	for _, s := range n.slots {
		c += nodes(s.child)
	}
	return c
}

// TestChangeCopiesAPath is the reason for the package: one change to a map of
// a thousand allocates a few nodes, not the thousand entries.
func TestChangeCopiesAPath(t *testing.T) {
	var b Builder[string, []int]
	for i := range 1000 {
		b.Set(fmt.Sprint("svc-", i), []int{i})
	}
	m := b.Map()
	v := []int{1}
	allocs := testing.AllocsPerRun(100, func() {
		_ = m.Set("svc-500", v)
		_ = m.Delete("svc-501")
	})
	// Two allocations per node on a path (the node and its slots), three
	// levels at a thousand keys, two changes: 12. A Go map's clone makes
	// one allocation, but of every entry.
	if allocs > 16 {
		t.Errorf("a Set and a Delete on a map of 1000 make %.0f allocations, want a path's worth (≤ 16)", allocs)
	}
}

// TestBuilderLeavesHandedOutMapsAlone: a Builder keeps building after Map,
// and what it handed out does not move.
func TestBuilderLeavesHandedOutMapsAlone(t *testing.T) {
	var b Builder[int, int]
	want := map[int]int{}
	var maps_ []Map[int, int]
	var wants []map[int]int
	for i := range 2000 {
		b.Set(i%300, i)
		want[i%300] = i
		if i%7 == 0 {
			b.Delete(i % 101)
			delete(want, i%101)
		}
		if i%250 == 0 {
			maps_ = append(maps_, b.Map())
			wants = append(wants, maps.Clone(want))
		}
	}
	for i := range maps_ {
		check(t, maps_[i], wants[i])
	}
	check(t, b.Map(), want)
}

func TestJSON(t *testing.T) {
	m := From(map[string][]int{"b": {2}, "a": {1}})
	got, err := json.Marshal(struct{ M Map[string, []int] }{m})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != `{"M":{"a":[1],"b":[2]}}` {
		t.Fatalf("json = %s", got)
	}
	var back struct{ M Map[string, []int] }
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if v, _ := back.M.Get("b"); back.M.Len() != 2 || len(v) != 1 || v[0] != 2 {
		t.Fatalf("decoded %v", back.M.Clone())
	}
}

// FuzzAgainstGoMap runs operation sequences against a Go map, with and
// without forced hash collisions.
func FuzzAgainstGoMap(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 2, 1, 3, 0, 4, 5, 0x45, 2, 5, 1}, uint8(40))
	f.Add([]byte{0, 0, 0, 32, 0, 64, 2, 32, 2, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, ops []byte, keys uint8) {
		if keys&0x80 != 0 {
			defer func(m uint64) { hashMask = m }(hashMask)
			hashMask = uint64(keys&3) << 60
		}
		run(t, ops, int(keys&0x7f)+1)
	})
}

func BenchmarkGet1000(b *testing.B) {
	var bl Builder[string, int]
	var keys []string
	for i := range 1000 {
		k := fmt.Sprint("svc-", i)
		keys = append(keys, k)
		bl.Set(k, i)
	}
	m := bl.Map()
	gm := m.Clone()
	b.Run("pmap", func(b *testing.B) {
		for i := range b.N {
			if _, ok := m.Get(keys[i%1000]); !ok {
				b.Fatal("missing")
			}
		}
	})
	b.Run("go-map", func(b *testing.B) {
		for i := range b.N {
			if _, ok := gm[keys[i%1000]]; !ok {
				b.Fatal("missing")
			}
		}
	})
}
