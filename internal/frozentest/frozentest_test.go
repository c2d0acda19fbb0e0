package frozentest

import (
	"reflect"
	"sync/atomic"
	"testing"
)

type node struct {
	name  string
	next  *node
	tags  map[string][]int
	count atomic.Int64
	live  *live
}

type live struct{ n int }

// Print shows a write anywhere in what a value reaches, and nothing of what
// is live by design.
func TestPrintShowsWritesAndSkipsLiveState(t *testing.T) {
	a := &node{name: "a", tags: map[string][]int{"x": {1, 2}, "y": nil}, live: &live{}}
	a.next = &node{name: "b", next: a}
	opaque := func(t reflect.Type) bool { return t == reflect.TypeFor[live]() }
	before := Print(a, opaque)
	a.count.Add(1)
	a.live.n++
	if after := Print(a, opaque); after != before {
		t.Fatalf("a live counter changed the rendering:\n%s\n%s", before, after)
	}
	for name, write := range map[string]func(){
		"a slice element behind a map": func() { a.tags["x"][1] = 3 },
		"a field behind a cycle":       func() { a.next.name = "c" },
		"a map entry":                  func() { a.tags["z"] = nil },
	} {
		before := Print(a, opaque)
		write()
		if Print(a, opaque) == before {
			t.Errorf("writing %s did not change the rendering", name)
		}
	}
}
