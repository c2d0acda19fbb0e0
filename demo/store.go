package demo

import (
	"maps"
	"slices"
	"sync"
)

// store is the in-memory table behind one sample service; both instances of the service
// share it, as two replicas share a database. Ids are increasing integers that are
// never reused, so a deleted resource stays gone (404) instead of being replaced.
//
// Values are copied in and out. A value holding a slice must not be modified in place
// after it is stored: update replaces it (see orders' notes).
type store[T any] struct {
	mu    sync.RWMutex
	last  int64
	items map[int64]T
}

func newStore[T any]() *store[T] {
	return &store[T]{items: make(map[int64]T)}
}

// list returns every value in id order.
func (s *store[T]) list() []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := slices.Sorted(maps.Keys(s.items))
	out := make([]T, len(ids))
	for i, id := range ids {
		out[i] = s.items[id]
	}
	return out
}

func (s *store[T]) get(id int64) (T, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.items[id]
	return v, ok
}

// create stores the value that build returns for the next id.
func (s *store[T]) create(build func(id int64) T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last++
	v := build(s.last)
	s.items[s.last] = v
	return v
}

// update replaces the value of an existing id with what change returns for the current
// one, atomically; it reports false when there is no such id.
func (s *store[T]) update(id int64, change func(old T) T) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.items[id]
	if !ok {
		var zero T
		return zero, false
	}
	v := change(old)
	s.items[id] = v
	return v, true
}

// delete removes an id and returns the value it had.
func (s *store[T]) delete(id int64) (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.items[id]
	delete(s.items, id)
	return v, ok
}
