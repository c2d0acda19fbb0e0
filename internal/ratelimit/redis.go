package ratelimit

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/gomodule/redigo/redis"
)

// Defaults for the zero fields of RedisOptions.
const (
	DefaultPrefix            = "bulwark:rl:"
	DefaultTimeout           = 50 * time.Millisecond
	DefaultRetryAfterFailure = time.Second
)

// RedisOptions configures NewRedis. Give either Pool or Addr.
type RedisOptions struct {
	// Pool is used when set, and left open by Close (its owner closes it).
	// Give its connections read and write timeouts no longer than Timeout.
	Pool *redis.Pool
	// Addr, Password and DB build a pool when Pool is nil: connect, read and
	// write timeouts of Timeout, at most 10 connections per CPU, and a
	// request that finds them all busy waits for one no longer than its
	// decision's Timeout. Close closes it. With neither, every decision is
	// local (Validate reports ErrNoRedis).
	Addr     string
	Password string
	DB       int

	// Prefix goes before every key; "" means DefaultPrefix: key k is
	// stored as Prefix+k.
	Prefix string
	// Timeout bounds each decision's round trip to Redis; 0 means
	// DefaultTimeout (50 ms: a healthy Redis on the same network answers in
	// well under a millisecond, and a request should not wait longer than
	// that for its admission when Redis is in trouble).
	Timeout time.Duration
	// Fallback decides when Redis fails; nil means a NewLocal with Now and
	// default MaxKeys. Do not share it with a Local used for other limits
	// under the same keys.
	Fallback *Local
	// RetryAfterFailure is how long Redis is skipped after a failure; 0
	// means DefaultRetryAfterFailure. Then one request probes Redis again.
	RetryAfterFailure time.Duration
	// OnFallback, if set, is called with a *StoreError when Redis fails,
	// at most once per RetryAfterFailure window (not once per request), on
	// the request's goroutine: it should be quick.
	OnFallback func(err error)
	// Now is the clock for the failure window only (the limit itself runs
	// on Redis's clock); nil means time.Now.
	Now func() time.Time
}

// Redis is a Limiter whose state lives in Redis, so that every gateway
// sharing the Redis enforces one limit between them. When Redis fails it
// decides locally; see the package comment for the policy.
type Redis struct {
	pool    *redis.Pool // nil: no Redis configured
	owned   bool        // pool was built here, so Close closes it
	prefix  string
	timeout time.Duration
	retry   time.Duration
	local   *Local
	report  func(error)
	now     func() time.Time

	// downUntil is 0 while Redis is trusted, else the UnixNano time (by
	// now) until which decisions skip it. The request that moves it
	// forward once it has passed is the one that probes.
	downUntil atomic.Int64
	closed    atomic.Bool
	fallbacks atomic.Uint64
	errors    atomic.Uint64
}

var _ Limiter = (*Redis)(nil)

// Validate reports a configuration that cannot reach any Redis.
func (o RedisOptions) Validate() error {
	if o.Pool == nil && o.Addr == "" {
		return ErrNoRedis
	}
	return nil
}

// NewRedis returns a Redis limiter. It does not contact Redis: an
// unreachable one shows up as fallbacks, not as an error here.
func NewRedis(opts RedisOptions) *Redis {
	r := &Redis{
		prefix:  opts.Prefix,
		timeout: opts.Timeout,
		retry:   opts.RetryAfterFailure,
		local:   opts.Fallback,
		report:  opts.OnFallback,
		now:     opts.Now,
	}
	if r.prefix == "" {
		r.prefix = DefaultPrefix
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.retry <= 0 {
		r.retry = DefaultRetryAfterFailure
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.local == nil {
		r.local = NewLocal(LocalOptions{Now: r.now})
	}
	switch {
	case opts.Pool != nil:
		r.pool = opts.Pool
	case opts.Addr != "":
		r.pool = newPool(opts.Addr, opts.Password, opts.DB, r.timeout)
		r.owned = true
	}
	return r
}

// Allow decides one request under key in Redis, or locally (Fallback set)
// when Redis has failed within RetryAfterFailure, fails now, or ctx ends
// first.
func (r *Redis) Allow(ctx context.Context, key string, lim Limit) Decision {
	if lim.Validate() != nil {
		return refuse(lim)
	}
	switch {
	case r.closed.Load():
		return r.fallback(ctx, key, lim)
	case r.pool == nil: // misconfigured; RedisOptions.Validate says so
		return r.fallback(ctx, key, lim)
	}
	now := r.now().UnixNano()
	probing := false
	if until := r.downUntil.Load(); until != 0 {
		// Skip Redis until the window passes; then exactly one request
		// (the one whose swap wins) probes, and the rest keep skipping.
		if now < until || !r.downUntil.CompareAndSwap(until, now+int64(r.retry)) {
			return r.fallback(ctx, key, lim)
		}
		probing = true
	}

	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	d, err := decideInRedis(cctx, r.pool, r.prefix+key, lim)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up (the client went away): that says
			// nothing about Redis, so it is neither an error nor a
			// reason to skip Redis.
			return r.fallback(ctx, key, lim)
		}
		r.fail(err, probing)
		return r.fallback(ctx, key, lim)
	}
	if probing {
		r.downUntil.CompareAndSwap(now+int64(r.retry), 0)
	}
	return d
}

// fail counts a Redis failure, opens the skip window, and reports the
// failure if this request is the one that opened the window (or probed).
func (r *Redis) fail(err error, probing bool) {
	r.errors.Add(1)
	opened := probing
	if !probing {
		opened = r.downUntil.CompareAndSwap(0, r.now().UnixNano()+int64(r.retry))
	}
	if opened && r.report != nil {
		r.report(&StoreError{Err: err})
	}
}

func (r *Redis) fallback(ctx context.Context, key string, lim Limit) Decision {
	r.fallbacks.Add(1)
	d := r.local.Allow(ctx, key, lim)
	d.Fallback = true
	return d
}

// Fallbacks is the number of decisions made locally because Redis could not
// be used (failed, skipped after a failure, or closed).
func (r *Redis) Fallbacks() uint64 { return r.fallbacks.Load() }

// Errors is the number of Redis calls that failed.
func (r *Redis) Errors() uint64 { return r.errors.Load() }

// Close closes the Redis pool if NewRedis built it; later decisions are
// local. It is safe to call more than once.
func (r *Redis) Close() error {
	if r.closed.Swap(true) || !r.owned {
		return nil
	}
	return r.pool.Close()
}

// newPool is the pool NewRedis builds from an address. Every wait is
// bounded by timeout: the dial, each read and write, and (through the
// decision's context) the wait for a free connection when all are busy.
// Commands are not retried: a retry would double what a failing Redis
// costs a request.
func newPool(addr, password string, db int, timeout time.Duration) *redis.Pool {
	size := 10 * runtime.GOMAXPROCS(0)
	return &redis.Pool{
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			return redis.DialContext(ctx, "tcp", addr,
				redis.DialPassword(password), redis.DialDatabase(db),
				redis.DialConnectTimeout(timeout),
				redis.DialReadTimeout(timeout), redis.DialWriteTimeout(timeout))
		},
		MaxActive:   size,
		MaxIdle:     size,
		Wait:        true,
		IdleTimeout: 5 * time.Minute,
	}
}
