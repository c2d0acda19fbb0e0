package ratelimit

import (
	"context"
	"errors"
	"net"
	"runtime"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/bulwark-gw/bulwark/internal/idleconn"
)

// newPool is the pool NewRedis builds from an address. Every wait is
// bounded by timeout: the dial, each read and write. Commands are not
// retried: a retry would double what a failing Redis costs a request.
//
// The pool itself does not wait for a free connection (Redis.decide
// does, on a semaphore of its size): redigo's waiting (Pool.Wait) panics
// with "send on closed channel" when Close meets a waiter whose context
// ends (v1.9.3, waitVacantConn), and the pool is closed on every renew
// and Close; the race test
// TestReviewPausedRedisWithAnExhaustedPoolBoundsEveryRequest hit it.
//
// A connection is checked before it is lent (alive): a Redis that
// restarted, or closed connections idle past its own "timeout" setting,
// leaves the pool holding dead ones, and each would fail one decision and
// open a skip window, so that one restart kept the gateway on its local
// fallback for as many windows as the pool held connections.
func newPool(addr, password string, db int, timeout time.Duration) *redis.Pool {
	size := 10 * runtime.GOMAXPROCS(0)
	return &redis.Pool{
		DialContext: func(ctx context.Context) (redis.Conn, error) {
			var nc net.Conn
			c, err := redis.DialContext(ctx, "tcp", addr,
				redis.DialContextFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
					d := net.Dialer{Timeout: timeout}
					var err error
					nc, err = d.DialContext(ctx, network, addr)
					return nc, err
				}),
				redis.DialPassword(password), redis.DialDatabase(db),
				redis.DialReadTimeout(timeout), redis.DialWriteTimeout(timeout))
			if err != nil {
				return nil, err
			}
			cwt, ok := c.(redis.ConnWithTimeout)
			if !ok { // redigo's own connections have timeouts
				c.Close()
				return nil, errors.New("ratelimit: a redigo connection without timeouts")
			}
			return &pooledConn{ConnWithTimeout: cwt, idle: idleconn.New(nc)}, nil
		},
		TestOnBorrow: func(c redis.Conn, _ time.Time) error {
			if pc, ok := c.(*pooledConn); ok && !pc.alive() {
				return errConnGone
			}
			return nil
		},
		MaxActive:   size,
		MaxIdle:     size,
		Wait:        false, // see above
		IdleTimeout: 5 * time.Minute,
	}
}

// errConnGone makes the pool drop a connection that alive found spoken on.
var errConnGone = errors.New("ratelimit: pooled redis connection closed by the server")

// pooledConn is a connection with its idle check; idle is nil when the
// socket cannot be checked (a test's pipe), and the connection is then
// lent unchecked.
type pooledConn struct {
	redis.ConnWithTimeout
	idle *idleconn.Check
}

// alive reports whether Redis has sent nothing on an idle connection since
// its last reply: no EOF, no reset, and no stray bytes (which would be read
// as the next reply).
func (pc *pooledConn) alive() bool { return pc.idle == nil || pc.idle.Quiet() }
