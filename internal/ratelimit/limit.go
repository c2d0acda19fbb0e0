package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
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

// ParseRate parses "N/unit": N a positive integer, unit one of s, m, h (also
// sec, min, hour) or a Go duration such as 10s or 500ms ("5/10s" is five
// requests per ten seconds). Surrounding spaces are ignored.
func ParseRate(s string) (n int, per time.Duration, err error) {
	fail := func(reason string) (int, time.Duration, error) {
		return 0, 0, &RateError{Input: s, Reason: reason}
	}
	count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return fail("no '/' between count and unit")
	}
	n, err = strconv.Atoi(count)
	if err != nil || n < 1 || count[0] == '+' {
		return fail(fmt.Sprintf("count %q must be a positive integer", count))
	}
	switch unit {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "":
		return fail("missing unit after '/'")
	default:
		if unit[0] < '0' || unit[0] > '9' {
			return fail(fmt.Sprintf("unknown unit %q", unit))
		}
		per, err = time.ParseDuration(unit)
		if err != nil {
			return fail(fmt.Sprintf("unit %q is not a duration", unit))
		}
		if per <= 0 {
			return fail(fmt.Sprintf("period %q must be positive", unit))
		}
	}
	if n > math.MaxInt32 {
		return fail(fmt.Sprintf("count %d is too large", n))
	}
	return n, per, nil
}
