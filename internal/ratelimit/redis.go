package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
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
	// It is used as it is: no check of idle connections before they are
	// lent and no fresh pool after a failure, unless its owner set those
	// up; ErrPoolExhausted from it is decided locally, not counted.
	Pool *redis.Pool
	// Addr, Password and DB build a pool when Pool is nil: connect, read and
	// write timeouts of Timeout, at most 10 connections per CPU, and a
	// request that finds them all busy waits for one within Timeout.
	// Close closes it. With neither, every decision is local (Validate
	// reports ErrNoRedis).
	Addr     string
	Password string
	DB       int

	// Prefix goes before every key; "" means DefaultPrefix. Key k under
	// limit l is stored as Prefix + l + ":" + k (Redis.key).
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
	// pool is the connection pool; nil: no Redis configured. A pool built
	// here (owned) is replaced by a fresh one after each failure (renew).
	pool    atomic.Pointer[redis.Pool]
	owned   bool // pool was built here, so Close closes it
	dial    func() *redis.Pool
	renewMu sync.Mutex // orders renew and Close
	// slots holds one token per connection of a pool built here, taken
	// for each decision in Redis (decide).
	slots   chan struct{}
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
		r.pool.Store(opts.Pool)
	case opts.Addr != "":
		r.dial = func() *redis.Pool { return newPool(opts.Addr, opts.Password, opts.DB, r.timeout) }
		r.pool.Store(r.dial())
		r.slots = make(chan struct{}, r.pool.Load().MaxActive)
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
	case r.pool.Load() == nil: // misconfigured; RedisOptions.Validate says so
		return r.fallback(ctx, key, lim)
	}
	now := r.now().UnixNano()
	probing := false
	until := r.downUntil.Load()
	if until != 0 {
		// Skip Redis until the window passes; then exactly one request
		// (the one whose swap wins) probes, and the rest keep skipping.
		if now < until || !r.downUntil.CompareAndSwap(until, now+int64(r.retry)) {
			return r.fallback(ctx, key, lim)
		}
		probing = true
	}

	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	d, err := r.decide(cctx, key, lim)
	cancel()
	if err != nil {
		if callerDone(ctx) || r.closed.Load() || errors.Is(err, redis.ErrPoolExhausted) {
			// The caller gave up (the client went away), Close closed
			// the pool under the request, or every connection of the
			// caller's own pool was busy: none says anything about
			// Redis, so it is neither an error nor a reason to skip
			// Redis. A probe that ends so hands the probe on: the next
			// request probes at once, not a window later.
			if probing {
				r.downUntil.CompareAndSwap(now+int64(r.retry), until)
			}
			return r.fallback(ctx, key, lim)
		}
		r.fail(err, probing)
		r.renew()
		return r.fallback(ctx, key, lim)
	}
	if probing {
		r.downUntil.CompareAndSwap(now+int64(r.retry), 0)
	}
	return d
}

// key is where key's bucket under lim lives in Redis: Prefix, the limit,
// then key ("bulwark:rl:10/1m0s/10:ip:192.0.2.1"). The limit is part of the
// name so that a changed limit (a reload) starts a fresh bucket, as Local's
// does, rather than inheriting the debt the old limit left: a limit raised
// during an incident reaches the clients it had already refused. The old
// bucket expires when it would have been full. The limit holds no ':', so
// no two (limit, key) pairs share a name.
func (r *Redis) key(key string, lim Limit) string {
	return r.prefix + strconv.Itoa(lim.N) + "/" + lim.Per.String() + "/" + strconv.Itoa(lim.burst()) + ":" + key
}

// decide asks Redis, on one of the pool's connections. With a pool built
// here it first waits for a free one, within ctx: all busy for a whole
// Timeout says Redis is slow, and fails the decision like a slow answer.
// The wait is a semaphore of the pool's size, not redigo's Pool.Wait,
// which panics when Close meets a waiter (see newPool).
func (r *Redis) decide(ctx context.Context, key string, lim Limit) (Decision, error) {
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
			defer func() { <-r.slots }()
		case <-ctx.Done():
			return Decision{}, fmt.Errorf("ratelimit: waiting for a free redis connection: %w", ctx.Err())
		}
	}
	return decideInRedis(ctx, r.pool.Load(), r.key(key, lim), lim)
}

// callerDone reports whether the request's own context has ended, or its
// deadline passed: a context's deadline is marked by a timer that runs a
// moment after it, while the read that timed out at that same deadline
// returns at once. Either way the caller ran out of time, not Redis.
func callerDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	deadline, ok := ctx.Deadline()
	return ok && !time.Now().Before(deadline)
}

// renew replaces a pool built here with a fresh one after a failure, and
// closes the old one (its connections in use close as they come back). A
// connection can die without a word (a NAT or load balancer that forgot
// an idle flow): it looks alive to the pool's check, and each such
// connection would fail one decision and open one more skip window. After
// renew, the probe that ends the window dials anew.
func (r *Redis) renew() {
	if r.dial == nil {
		return // the caller's pool: its owner decides about its connections
	}
	r.renewMu.Lock()
	defer r.renewMu.Unlock()
	if r.closed.Load() {
		return
	}
	r.pool.Swap(r.dial()).Close()
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
	r.renewMu.Lock()
	defer r.renewMu.Unlock()
	return r.pool.Load().Close()
}
