package gateway

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// bulkhead caps the requests a service may have in flight. A request over the
// cap waits in a short queue (bounded in length and time) and is refused with
// 503 when the queue is full or its wait runs out: a hung upstream can hold at
// most its bulkhead's slots and queue, never the gateway's goroutines, memory
// or the other services' capacity.
type bulkhead struct {
	policy  policies.Bulkhead
	slots   chan struct{} // a token per request in flight
	waiting atomic.Int64
}

func newBulkhead(p policies.Bulkhead) *bulkhead {
	if p.MaxConcurrent <= 0 {
		return nil // unlimited
	}
	return &bulkhead{policy: p, slots: make(chan struct{}, p.MaxConcurrent)}
}

// acquire takes a slot, waiting in the queue if there is room; the returned
// release gives it back and reports how long the request queued.
func (b *bulkhead) acquire(ctx context.Context) (release func(), queued time.Duration, err error) {
	if b == nil {
		return func() {}, 0, nil
	}
	select {
	case b.slots <- struct{}{}:
		return b.release, 0, nil
	default:
	}
	if b.waiting.Add(1) > int64(b.policy.MaxQueue) {
		b.waiting.Add(-1)
		return nil, 0, ErrBulkheadFull
	}
	defer b.waiting.Add(-1)
	start := time.Now()
	t := time.NewTimer(b.policy.QueueTimeout)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return b.release, time.Since(start), nil
	case <-t.C:
		return nil, time.Since(start), ErrBulkheadFull
	case <-ctx.Done():
		return nil, time.Since(start), ErrClientGone
	}
}

func (b *bulkhead) release() { <-b.slots }

// inUse is the number of requests holding a slot.
func (b *bulkhead) inUse() int { return len(b.slots) }
