package ratelimit

import (
	"context"
	"fmt"
	"time"
)

// Limit is a token bucket: it holds Burst tokens, refills at N per Per, and
// each request takes one. Burst 0 means N, so that "100/s" alone allows 100
// requests at once and then 100 a second; a Burst below N smooths traffic
// (Burst 1 spaces requests Per/N apart). The zero Limit is invalid: check
// configured limits with Validate when loading them.
type Limit struct {
	N     int           // requests per Per; at least 1
	Per   time.Duration // the period N is counted over; positive
	Burst int           // the bucket's size; 0 means N
}

// Validate reports whether l can be enforced. Limiters refuse every request
// under an invalid Limit (a configuration error should be caught here, at load
// time, rather than silently admitting everything).
func (l Limit) Validate() error {
	switch {
	case l.N < 1:
		return fmt.Errorf("%w: N is %d, want at least 1", ErrInvalidLimit, l.N)
	case l.Per <= 0:
		return fmt.Errorf("%w: Per is %v, want a positive duration", ErrInvalidLimit, l.Per)
	case l.Burst < 0:
		return fmt.Errorf("%w: Burst is %d, want 0 (meaning N) or more", ErrInvalidLimit, l.Burst)
	}
	return nil
}

// burst is the bucket's size, with the zero value's default applied.
func (l Limit) burst() int {
	if l.Burst == 0 {
		return l.N
	}
	return l.Burst
}

// perSecond is the refill rate in tokens per second.
func (l Limit) perSecond() float64 { return float64(l.N) / l.Per.Seconds() }

// Limiter decides one request under a key. Implementations are safe for
// concurrent use.
type Limiter interface {
	Allow(ctx context.Context, key string, l Limit) Decision
}

var _ Limiter = (*Local)(nil)
