package ratelimit

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is LocalOptions.MaxKeys when it is 0.
const DefaultMaxKeys = 100_000

// LocalOptions configures NewLocal.
type LocalOptions struct {
	// Now is the clock; nil means time.Now. Tests pass a fake one.
	Now func() time.Time
	// MaxKeys bounds the buckets held; 0 means DefaultMaxKeys. When a new
	// key would pass it, buckets are dropped: first ones that are full
	// again (forgetting those changes nothing), otherwise the least recently
	// used one, whose next request then starts from a full bucket.
	MaxKeys int
}

// Local is an in-process Limiter: one golang.org/x/time/rate token bucket per
// key. Memory is bounded by MaxKeys, so a client spraying distinct keys
// evicts old buckets rather than growing the map; keys in steady use stay,
// because eviction takes the least recently used. A key's bucket is made
// afresh (full) when the Limit it is asked with changes, e.g. on a reload.
type Local struct {
	now    func() time.Time
	seed   maphash.Seed
	shards []shard
}

// NewLocal returns an empty Local.
func NewLocal(opts LocalOptions) *Local {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxKeys := opts.MaxKeys
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	// Shards cut lock contention between keys; small bounds keep one shard
	// so that each shard's share of MaxKeys stays meaningful.
	n := 1
	if maxKeys >= 16*64 {
		n = 16
	}
	l := &Local{now: now, seed: maphash.MakeSeed(), shards: make([]shard, n)}
	for i := range l.shards {
		l.shards[i].init(maxKeys / n)
	}
	return l
}

// Allow takes one token from key's bucket if it has one. ctx is unused: a
// local decision does not block.
func (l *Local) Allow(_ context.Context, key string, lim Limit) Decision {
	if lim.Validate() != nil {
		return refuse(lim)
	}
	now := l.now()
	b := l.shard(key).get(key, lim, now)
	return b.take(now)
}

// Len is the number of keys held, idle ones included.
func (l *Local) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (l *Local) shard(key string) *shard {
	if len(l.shards) == 1 {
		return &l.shards[0]
	}
	return &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
}

// bucket is one key's token bucket. Its limiter and limit never change; a
// new Limit gets a new bucket.
type bucket struct {
	key string
	lim Limit
	rl  *rate.Limiter
	// mu makes a reservation and its cancellation one step: between them the
	// limiter holds a negative balance that another request must not see,
	// or its own cancellation would restore less than it took.
	mu         sync.Mutex
	prev, next *bucket // recency list, guarded by the shard's mu
}

func newBucket(key string, lim Limit) *bucket {
	return &bucket{key: key, lim: lim, rl: rate.NewLimiter(rate.Limit(lim.perSecond()), lim.burst())}
}

// take decides one request at now.
func (b *bucket) take(now time.Time) Decision {
	b.mu.Lock()
	r := b.rl.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	allowed := r.OK() && delay == 0
	if !allowed {
		r.CancelAt(now) // a refused request consumes nothing
	}
	tokens := b.rl.TokensAt(now)
	b.mu.Unlock()

	d := Decision{Allowed: allowed, Limit: b.lim.N, ResetAfter: b.untilFull(tokens)}
	if allowed {
		d.Remaining = int(math.Max(0, math.Floor(tokens)))
	} else {
		d.RetryAfter = delay
	}
	return d
}

// untilFull is how long the bucket takes to refill from tokens to its size.
func (b *bucket) untilFull(tokens float64) time.Duration {
	missing := float64(b.lim.burst()) - tokens
	if missing <= 0 {
		return 0
	}
	// At most the longest Duration (292 years): a bucket that takes longer
	// to refill would otherwise convert to whatever the platform makes of
	// an overflow, negative on amd64.
	if d := math.Ceil(missing / float64(b.rl.Limit()) * float64(time.Second)); d < math.MaxInt64 {
		return time.Duration(d)
	}
	return math.MaxInt64
}

// full reports whether the bucket has refilled, so forgetting it changes no
// future decision.
func (b *bucket) full(now time.Time) bool {
	return b.rl.TokensAt(now) >= float64(b.lim.burst())
}
