package ratelimit

import (
	"sync"
	"time"
)

// evictScan is how many of the least recently used buckets an insertion into
// a full shard looks at for ones that are full again, before it drops the
// least recently used one regardless.
const evictScan = 8

// shard is a part of Local's key space: a map for lookup and a list ordered
// by last use (head is the newest) for eviction.
type shard struct {
	mu   sync.Mutex
	m    map[string]*bucket
	head bucket // sentinel: head.next is the newest, head.prev the oldest
	max  int
}

func (s *shard) init(maxKeys int) {
	s.m = make(map[string]*bucket)
	s.head.next, s.head.prev = &s.head, &s.head
	s.max = max(maxKeys, 1)
}

// get returns key's bucket for lim, making it (and making room) if needed,
// and marks it the most recently used.
func (s *shard) get(key string, lim Limit, now time.Time) *bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[key]
	switch {
	case ok && b.lim == lim:
		s.unlink(b)
	case ok: // the limit changed (a reload): start afresh
		s.unlink(b)
		b = newBucket(key, lim)
		s.m[key] = b
	default:
		if len(s.m) >= s.max {
			s.evict(now)
		}
		b = newBucket(key, lim)
		s.m[key] = b
	}
	s.pushFront(b)
	return b
}

// evict drops the buckets among the evictScan oldest that are full again;
// when none is, it drops the oldest.
func (s *shard) evict(now time.Time) {
	dropped := false
	b := s.head.prev
	for i := 0; i < evictScan && b != &s.head; i++ {
		older := b.prev
		if b.full(now) {
			s.remove(b)
			dropped = true
		}
		b = older
	}
	if !dropped && s.head.prev != &s.head {
		s.remove(s.head.prev)
	}
}

func (s *shard) remove(b *bucket) {
	s.unlink(b)
	delete(s.m, b.key)
}

func (s *shard) unlink(b *bucket) {
	b.prev.next, b.next.prev = b.next, b.prev
	b.prev, b.next = nil, nil
}

func (s *shard) pushFront(b *bucket) {
	b.prev, b.next = &s.head, s.head.next
	s.head.next.prev = b
	s.head.next = b
}
