package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gomodule/redigo/redis"
)

// gcraScript decides one request under KEYS[1] with GCRA, the token bucket
// kept as one number: the bucket's theoretical arrival time (TAT), the
// moment it would be full again, in microseconds on Redis's clock since
// gcraEpoch. Each
// request moves the TAT one emission interval (ARGV[1], microseconds per
// token) later; a request is refused, taking nothing, when that would put
// the TAT more than the bucket's span (ARGV[2] tokens of intervals) ahead
// of now. The key expires when the bucket is full again, so idle keys cost
// Redis nothing.
//
// It answers {allowed, remaining, retry after, reset after}, the durations
// rounded up to whole microseconds (Lua numbers become integers on the way
// out, and a client that waits the Retry-After it was told must find its
// token), the count with a quarter of a microsecond of slack (half an
// interval when a token is shorter, so that the slack is never a token): the TAT is
// kept to a double's step at its size (1/64 µs in 2026, 1/8 µs by 2059), so
// span - used can fall that much short of a whole number of intervals when
// it is one (a fresh bucket of 21 less one token would read 19.99999 and say
// 19). Slack in time, not in tokens: a fraction of a token is seconds when a
// token is a month's, and Remaining would promise one that is not there. The TAT is stored with %.3f: stock Lua 5.1
// turns a number into a string with %.14g, which would print a 16-digit TAT
// in exponent form and round it (Redis's own build prints %.17g; %.3f is
// exact on both).
//
// The epoch keeps the numbers small, for a double's precision: microseconds
// since 1970 are ~1.8e15, where a double steps by 0.25 µs, so an interval
// of 3.33 µs (300,000 a second under one key) would be added as 3.25, 2.5%
// short every time; since gcraEpoch they are ~1e14 in 2026, where the step
// is 0.016 µs, and reach 1e15 only in 2055.
//
// Redis's TIME is the clock so that gateways whose clocks disagree agree on
// the limit; replicate_commands lets a script write after reading TIME on
// Redis before 5 (from 5 on it is the default, and from 7 a no-op).
const gcraScript = `
if redis.replicate_commands then redis.replicate_commands() end
local interval = tonumber(ARGV[1])
local span = interval * tonumber(ARGV[2])
local t = redis.call('TIME')
local now = (tonumber(t[1]) - 1700000000) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local after = tat + interval
if after - span > now then
  return {0, 0, math.ceil(after - span - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', after), 'PX', math.max(1, math.ceil((after - now) / 1000)))
return {1, math.floor((span - (after - now) + math.min(0.25, interval / 2)) / interval), 0, math.ceil(after - now)}
`

// gcraEpoch is the script's zero, 2023-11-14 22:13:20 UTC (1700000000 in
// it): any moment before every TAT it will store.
var gcraEpoch = time.Unix(1_700_000_000, 0)

var gcra = redis.NewScript(1, gcraScript)

// decideInRedis runs gcraScript for key on a connection from pool, bounded
// by ctx's deadline. The command runs under a read timeout of what is left
// of it rather than with redigo's DoContext, which starts a goroutine per
// command to watch ctx: a caller that leaves mid-command waits for at most
// that timeout (RedisOptions.Timeout), and its decision is discarded.
func decideInRedis(ctx context.Context, pool *redis.Pool, key string, lim Limit) (Decision, error) {
	conn, err := pool.GetContext(ctx)
	if err != nil {
		return Decision{}, err
	}
	defer conn.Close() // back to the pool, or dropped if it failed
	deadline, ok := ctx.Deadline()
	if !ok {
		return Decision{}, errors.New("ratelimit: a decision in Redis needs a deadline")
	}
	left := time.Until(deadline)
	if left <= 0 {
		return Decision{}, context.DeadlineExceeded
	}
	interval := strconv.FormatFloat(float64(lim.Per)/float64(time.Microsecond)/float64(lim.N), 'f', -1, 64)
	v, err := redis.DoWithTimeout(conn, left, "EVALSHA", gcra.Hash(), 1, key, interval, lim.burst())
	if e, ok := err.(redis.Error); ok && strings.HasPrefix(string(e), "NOSCRIPT ") {
		// Redis lost its scripts (restarted): send the source, within what
		// is left of the same deadline.
		if left = time.Until(deadline); left <= 0 {
			return Decision{}, context.DeadlineExceeded
		}
		v, err = redis.DoWithTimeout(conn, left, "EVAL", gcraScript, 1, key, interval, lim.burst())
	}
	reply, err := redis.Int64s(v, err)
	if err != nil {
		return Decision{}, err
	}
	if len(reply) != 4 {
		return Decision{}, fmt.Errorf("ratelimit: the GCRA script answered %d values, want 4", len(reply))
	}
	return Decision{
		Allowed:    reply[0] == 1,
		Limit:      lim.N,
		Remaining:  int(max(reply[1], 0)),
		RetryAfter: micros(reply[2]),
		ResetAfter: micros(reply[3]),
	}, nil
}

// micros is n microseconds as a Duration, within 0 and the longest
// Duration (292 years): a bucket that takes longer to refill would wrap.
func micros(n int64) time.Duration {
	const most = int64(math.MaxInt64 / int64(time.Microsecond))
	return time.Duration(min(max(n, 0), most)) * time.Microsecond
}
