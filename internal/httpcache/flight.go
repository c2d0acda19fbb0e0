package httpcache

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Flights coalesces concurrent misses for one key into one origin request
// (the leader's), and limits stale-while-revalidate to one background
// refresh per key. The zero value is not usable; use NewFlights.
type Flights struct {
	mu         sync.Mutex
	inflight   map[string]*Flight
	background map[string]struct{}
	coalesced  atomic.Uint64
}

// Flight is one leader's origin request that followers may wait on.
type Flight struct {
	key   string
	done  chan struct{}
	once  sync.Once
	entry *Entry // set before done closes
	f     *Flights
}

// NewFlights returns an empty coalescer.
func NewFlights() *Flights {
	return &Flights{inflight: map[string]*Flight{}, background: map[string]struct{}{}}
}

// Join returns the flight for key. The first caller is the leader and must
// call Done exactly once (defer it, so a panic still releases followers);
// later callers are followers and call Wait.
func (fs *Flights) Join(key string) (f *Flight, leader bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.inflight[key]; ok {
		fs.coalesced.Add(1)
		return f, false
	}
	f = &Flight{key: key, done: make(chan struct{}), f: fs}
	fs.inflight[key] = f
	return f, true
}

// Done publishes the leader's result: the stored entry, or nil when the
// response was not cacheable, so followers go to the origin themselves.
// Calls after the first are ignored.
func (f *Flight) Done(e *Entry) {
	f.once.Do(func() {
		f.f.mu.Lock()
		if f.f.inflight[f.key] == f {
			delete(f.f.inflight, f.key)
		}
		f.f.mu.Unlock()
		f.entry = e
		close(f.done)
	})
}

// Wait blocks until the leader is done, ctx ends, or maxWait passes. ok is
// false when the wait gave out or the leader had nothing to share; the
// follower then goes to the origin alone.
func (f *Flight) Wait(ctx context.Context, maxWait time.Duration) (e *Entry, ok bool) {
	t := time.NewTimer(maxWait)
	defer t.Stop()
	select {
	case <-f.done:
		return f.entry, f.entry != nil
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}

// Coalesced counts followers that joined a leader's flight.
func (fs *Flights) Coalesced() uint64 { return fs.coalesced.Load() }

// TryBackground claims the one background refresh slot for key. ok is
// false while another refresh for key runs; otherwise release must be
// called when the refresh ends.
func (fs *Flights) TryBackground(key string) (release func(), ok bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if _, busy := fs.background[key]; busy {
		return nil, false
	}
	fs.background[key] = struct{}{}
	var once sync.Once
	return func() {
		once.Do(func() {
			fs.mu.Lock()
			delete(fs.background, key)
			fs.mu.Unlock()
		})
	}, true
}
