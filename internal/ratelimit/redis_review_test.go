package ratelimit

// An outside review of the Redis limiter (redis.go, gcra.go, pool.go),
// written by a helper that had not written it: every test here is named
// TestReview... Those whose comment says "Found by an outside review" or
// "on the code as first reviewed" failed on commit 0e433b1 (or on the
// working tree the review saw) and guard the fix.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/bulwark-gw/bulwark/internal/nettest"
	"github.com/bulwark-gw/bulwark/internal/redistest"
)

// reviewWindow is RetryAfterFailure in the tests that drive the skip window
// with a fake clock.
const reviewWindow = time.Second

// reviewAdmin is a plain connection to srv for the test's own commands.
func reviewAdmin(t *testing.T, addr string) redis.Conn {
	t.Helper()
	c, err := redis.Dial("tcp", addr,
		redis.DialConnectTimeout(testTimeout), redis.DialReadTimeout(testTimeout), redis.DialWriteTimeout(testTimeout))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// redisNowMicros is Redis's clock in the script's unit: microseconds since
// gcraEpoch.
func redisNowMicros(t *testing.T, c redis.Conn) int64 {
	t.Helper()
	tm, err := redis.Int64s(c.Do("TIME"))
	if err != nil {
		t.Fatal(err)
	}
	return (tm[0]-gcraEpoch.Unix())*1_000_000 + tm[1]
}

// connectedClients asks a fresh connection (closed afterwards) how many
// clients the server holds, itself included.
func connectedClients(t *testing.T, addr string) int {
	t.Helper()
	c, err := redis.Dial("tcp", addr,
		redis.DialConnectTimeout(testTimeout), redis.DialReadTimeout(testTimeout), redis.DialWriteTimeout(testTimeout))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := redis.String(c.Do("INFO", "clients"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "connected_clients:"); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no connected_clients in INFO clients:\n%s", info)
	return 0
}

// onlyKey is the name of the one key the server holds.
func onlyKey(t *testing.T, c redis.Conn) string {
	t.Helper()
	names, err := redis.Strings(c.Do("KEYS", "*"))
	if err != nil || len(names) != 1 {
		t.Fatalf("KEYS *: %q (%v), want one key", names, err)
	}
	return names[0]
}

// fallbackWindows counts the skip windows r spends on its local fallback
// before Redis decides again, moving clock past each; it gives up after
// idle+2, one window per pooled connection and more.
func fallbackWindows(r *Redis, clock *fakeClock, idle int) int {
	lim := Limit{N: 1000, Per: time.Hour}
	windows := 0
	for range idle + 2 {
		if d := r.Allow(context.Background(), "k", lim); !d.Fallback {
			break
		}
		windows++
		clock.Advance(reviewWindow)
	}
	return windows
}

// fillPool leaves n idle connections in r's pool, as n concurrent requests
// would.
func fillPool(t *testing.T, r *Redis, n int) {
	t.Helper()
	conns := make([]redis.Conn, n)
	for i := range conns {
		conns[i] = r.pool.Load().Get()
		if _, err := conns[i].Do("PING"); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	if got := r.pool.Load().IdleCount(); got != n {
		t.Fatalf("pool holds %d idle connections, want %d", got, n)
	}
}

// fakeRedis serves RESP on a loopback port: reply gets each command (its
// name upper-cased, then its arguments) and the connection, and writes what
// it likes; it returns false to close the connection.
func fakeRedis(t *testing.T, reply func(c net.Conn, cmd []string) bool) string {
	return nettest.RawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			cmd, err := readCommand(br)
			if err != nil {
				return
			}
			if !reply(c, cmd) {
				return
			}
		}
	})
}

func readCommand(br *bufio.Reader) ([]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil {
		return nil, err
	}
	cmd := make([]string, n)
	for i := range cmd {
		if line, err = br.ReadString('\n'); err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return nil, err
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return nil, err
		}
		cmd[i] = string(buf[:size])
	}
	if n > 0 {
		cmd[0] = strings.ToUpper(cmd[0])
	}
	return cmd, nil
}

// hang answers nothing and returns when the client closes the connection
// (or the test's cleanup does).
func hang(c net.Conn) bool {
	_, _ = io.Copy(io.Discard, c)
	return false
}

// ---------------------------------------------------------------------------
// Exactness and arithmetic

// Several gateways (limiters with their own pools) hitting one key at once
// admit exactly the limit, and each admitted request is told a different
// Remaining: the script is one atomic step.
func TestReviewSharedKeyIsExactUnderConcurrency(t *testing.T) {
	srv := redistest.New(t)
	lim := Limit{N: 100, Per: 24 * time.Hour} // one token per 864 s: no refill while the test runs
	const gateways, workers, each = 3, 6, 20
	var (
		mu        sync.Mutex
		remaining = map[int]int{}
		allowed   atomic.Int64
		refused   atomic.Int64
		wg        sync.WaitGroup
	)
	limiters := make([]*Redis, gateways)
	for g := range limiters {
		limiters[g] = NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
		defer limiters[g].Close()
	}
	for g := range gateways {
		for range workers {
			wg.Go(func() {
				for range each {
					d := limiters[g].Allow(context.Background(), "shared key", lim)
					if d.Fallback {
						continue
					}
					if d.Allowed {
						allowed.Add(1)
						mu.Lock()
						remaining[d.Remaining]++
						mu.Unlock()
					} else {
						refused.Add(1)
					}
				}
			})
		}
	}
	wg.Wait()
	for g, r := range limiters {
		if r.Fallbacks() != 0 {
			t.Fatalf("gateway %d fell back %d times (errors %d)", g, r.Fallbacks(), r.Errors())
		}
	}
	if got := allowed.Load(); got != 100 {
		t.Fatalf("%d of %d requests allowed across %d gateways, want exactly 100", got, gateways*workers*each, gateways)
	}
	for i := range 100 {
		if remaining[i] != 1 {
			t.Fatalf("Remaining %d was told %d times, want once (each admitted request sees its own count): %v", i, remaining[i], remaining)
		}
	}
}

// Limits at the edges of what Limit allows (the longest Per, a fractional
// interval of centuries, a bucket of thousands, a huge N) decide in Redis as
// Local decides for the same history, with no fallback.
func TestReviewAgreesWithLocalAtExtremeLimits(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	local := NewLocal(LocalOptions{Now: newFakeClock().Now})
	for i, lim := range []Limit{
		{N: 1, Per: 100 * 365 * 24 * time.Hour, Burst: 2},
		{N: 21, Per: 290 * 365 * 24 * time.Hour, Burst: 20}, // a bucket of 276 years
		{N: 7, Per: 10*time.Minute + 7*time.Nanosecond, Burst: 1},
		{N: 10, Per: time.Hour, Burst: 3000},
		{N: 100_000_000, Per: 100_000_000 * 10 * time.Second, Burst: 5}, // 10 s per token
		{N: 1, Per: 30 * 24 * time.Hour, Burst: 1},
	} {
		key := fmt.Sprintf("extreme-%d", i)
		for j := range lim.burst() + 3 {
			shared, alone := r.Allow(context.Background(), key, lim), local.Allow(context.Background(), key, lim)
			if shared.Fallback {
				t.Fatalf("%+v request %d: Redis fell back (errors %d)", lim, j, r.Errors())
			}
			if err := agree(shared, alone); err != nil {
				t.Fatalf("%+v request %d: %v\nRedis %+v\nLocal %+v", lim, j, err, shared, alone)
			}
		}
	}
}

// Found by an outside review, fixed with this test: the script answers durations in microseconds, which decideInRedis
// multiplies into a time.Duration without a bound. A bucket that takes more
// than 292 years to refill (Burst x Per/N; e.g. 1 per 200 years, Burst 2)
// wraps ResetAfter negative (here about -185 years), and SetHeaders then
// writes t=0: "full again now". Local wraps the same way (untilFull). The
// limits are absurd, the damage only a header; negligible in practice.
func TestReviewDurationsNeverWrapNegative(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	lim := Limit{N: 1, Per: 200 * 365 * 24 * time.Hour, Burst: 2}
	for i := range 3 {
		d := r.Allow(context.Background(), "k", lim)
		if d.Fallback || d.ResetAfter < 0 || d.RetryAfter < 0 {
			t.Fatalf("%+v request %d: %+v; want durations that are not negative", lim, i, d)
		}
	}
}

// Found by an outside review, fixed with this test: the script's slack on Remaining is a quarter of a microsecond
// (gcra.go: "+ 0.25"), more than a whole token when a token is shorter
// than that (over 4 million a second under one key). The first request
// on a fresh bucket is then told more Remaining than the bucket holds:
// 5 a microsecond says 5 left of 5 after taking one; 100 million a second
// with Burst 1 says 24. Local says Burst-1. Only the RateLimit header's r
// is wrong, and only at rates no single key sees; negligible in practice.
func TestReviewRemainingNeverExceedsTheBucket(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	for i, lim := range []Limit{
		{N: 5, Per: time.Microsecond},
		{N: 10_000_000, Per: time.Second, Burst: 10},
		{N: 100_000_000, Per: time.Second, Burst: 1},
	} {
		d := r.Allow(context.Background(), fmt.Sprintf("fast-%d", i), lim)
		if d.Fallback || !d.Allowed || d.Remaining != lim.burst()-1 {
			t.Errorf("%+v, first request on a fresh bucket: %+v; want allowed with Remaining %d", lim, d, lim.burst()-1)
		}
	}
}

// A client that waits the RetryAfter it was told is admitted, and one that
// waits ResetAfter finds the bucket full, on real time, with fractional
// intervals.
func TestReviewRetryAfterAndResetAfterCanBeTrusted(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	ctx := context.Background()
	for i, lim := range []Limit{
		{N: 10, Per: time.Second, Burst: 1}, // 100 ms
		{N: 3, Per: time.Second, Burst: 1},  // 333333.33 µs
		{N: 7, Per: 700 * time.Millisecond, Burst: 2},
		{N: 30, Per: 7 * time.Second, Burst: 3}, // 233333.33 µs
	} {
		key := fmt.Sprintf("wait-%d", i)
		for round := range 2 {
			var refused Decision
			for range lim.burst() + 50 { // bounded: the bucket empties in burst requests
				if d := r.Allow(ctx, key, lim); !d.Allowed {
					refused = d
					break
				}
			}
			if refused.Fallback || refused.RetryAfter <= 0 || refused.RetryAfter > lim.Per/time.Duration(lim.N) {
				t.Fatalf("%+v round %d: refusal %+v; want a shared refusal with 0 < RetryAfter <= one interval", lim, round, refused)
			}
			time.Sleep(refused.RetryAfter)
			if d := r.Allow(ctx, key, lim); !d.Allowed {
				t.Fatalf("%+v round %d: waited RetryAfter %v and was refused again: %+v", lim, round, refused.RetryAfter, d)
			}
		}
		d := r.Allow(ctx, key, lim)
		time.Sleep(d.ResetAfter)
		if full := r.Allow(ctx, key, lim); !full.Allowed || full.Remaining != lim.burst()-1 {
			t.Fatalf("%+v: waited ResetAfter %v, then %+v; want allowed with Remaining %d (a full bucket less one)",
				lim, d.ResetAfter, full, lim.burst()-1)
		}
	}
}

// Remaining never promises a request that is then refused: just before a
// token comes back (here 1.5 s before, for a token a month), an admitted
// request is told what Local says for the same history. (Slack of a
// fraction of a token, as the script once had, is seconds here.)
func TestReviewRemainingNeverPromisesARefusedRequest(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout, Prefix: "p:"})
	defer r.Close()
	lim := Limit{N: 1, Per: 30 * 24 * time.Hour, Burst: 2}
	interval := lim.Per / time.Duration(lim.N)
	const early = 1500 * time.Millisecond

	// The history: both tokens taken two intervals ago, less 1.5 s, so the
	// bucket holds a whisker under 2 tokens. That state is the TAT alone,
	// written into the key the limiter uses (found after a first request).
	r.Allow(context.Background(), "k", lim)
	name := onlyKey(t, admin)
	tat := redisNowMicros(t, admin) + early.Microseconds()
	if _, err := admin.Do("SET", name, strconv.FormatInt(tat, 10), "PX", 60_000); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	local := NewLocal(LocalOptions{Now: clock.Now})
	allowN(local, "k", lim, 2)
	clock.Advance(2*interval - early)

	first, alone := r.Allow(context.Background(), "k", lim), local.Allow(context.Background(), "k", lim)
	next := r.Allow(context.Background(), "k", lim)
	if first.Fallback || next.Fallback || !first.Allowed || !alone.Allowed {
		t.Fatalf("setup: Redis %+v then %+v, Local %+v; want both first requests allowed in Redis", first, next, alone)
	}
	if first.Remaining >= 1 && !next.Allowed {
		t.Fatalf("an admitted request was told Remaining %d, and the next one, at once, was refused: %+v (Local said Remaining %d)",
			first.Remaining, next, alone.Remaining)
	}
	if first.Remaining != alone.Remaining {
		t.Fatalf("Remaining %d in Redis, %d in Local for the same history", first.Remaining, alone.Remaining)
	}
}

// Raising a limit (a reload) reaches the clients the old one had refused,
// as in Local, whose bucket starts afresh under a new Limit. (On the code
// as first reviewed, the script kept the old limit's TAT: a client that
// used 2 an hour stayed refused ~59 min after a raise to 100 a minute.)
func TestReviewRaisingALimitTakesEffect(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	local := NewLocal(LocalOptions{Now: newFakeClock().Now})
	before := Limit{N: 2, Per: time.Hour}
	after := Limit{N: 100, Per: time.Minute}
	if n, _ := allowN(r, "client", before, 3); n != 2 {
		t.Fatalf("under %+v: %d of 3 allowed, want 2", before, n)
	}
	allowN(local, "client", before, 3)
	shared, alone := r.Allow(context.Background(), "client", after), local.Allow(context.Background(), "client", after)
	if shared.Fallback {
		t.Fatalf("fell back (errors %d)", r.Errors())
	}
	if !alone.Allowed {
		t.Fatalf("Local refused after the limit was raised: %+v", alone)
	}
	if !shared.Allowed {
		t.Fatalf("after the limit was raised from %+v to %+v: Redis refused, %+v; Local allowed, %+v",
			before, after, shared, alone)
	}
}

// Keys are stored byte for byte under the prefix: spaces, CR/LF, NUL,
// invalid UTF-8, unicode and 64 KiB keys are each their own bucket.
func TestReviewOddKeysAreTheirOwnBuckets(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout, Prefix: "odd:"})
	defer r.Close()
	long := strings.Repeat("k", 64<<10)
	keys := []string{
		"", " ", "a b", "a\nb", "a\r\nb", "a\x00b", "a\x00c", "\x00", "*1\r\n$4\r\nPING\r\n",
		"\xff\xfe", "ü", "u\u0308", "🔑", "{tag}", long + "a", long + "b",
	}
	lim := Limit{N: 2, Per: time.Hour}
	for _, k := range keys {
		n, last := allowN(r, k, lim, 3)
		if n != 2 || last.Fallback {
			t.Fatalf("key %.40q: %d of 3 allowed, last %+v; want 2, shared", k, n, last)
		}
	}
	names, err := redis.Strings(admin.Do("KEYS", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(keys) {
		t.Fatalf("%d keys stored for %d client keys: some collided or were split", len(names), len(keys))
	}
	for _, k := range keys {
		found := false
		for _, name := range names {
			found = found || (strings.HasPrefix(name, "odd:") && strings.HasSuffix(name, k))
		}
		if !found {
			t.Fatalf("no stored key under the prefix ends with the client key %.40q, byte for byte", k)
		}
	}
}

// ---------------------------------------------------------------------------
// Redis restarting, flushing, stalling, misbehaving

// A flushed script cache (SCRIPT FLUSH, or a restarted Redis) costs no
// fallback: EVALSHA's NOSCRIPT is answered with EVAL on the same request,
// and the bucket carries on.
func TestReviewFlushedScriptCacheIsNotAFailure(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	lim := Limit{N: 4, Per: time.Hour}
	allowN(r, "k", lim, 2)
	if _, err := admin.Do("SCRIPT", "FLUSH"); err != nil {
		t.Fatal(err)
	}
	if n, last := allowN(r, "k", lim, 4); n != 2 || last.Fallback {
		t.Fatalf("after SCRIPT FLUSH: %d of 4 allowed, last %+v; want the bucket's last 2, shared", n, last)
	}
	if r.Errors() != 0 || r.Fallbacks() != 0 {
		t.Fatalf("Errors %d, Fallbacks %d; want 0, 0", r.Errors(), r.Fallbacks())
	}
}

// After Redis restarts, the connections the pool held from earlier traffic
// cost at most one failure, not one skip window each. (On the code as
// first reviewed: 8 idle connections, 8 windows on the fallback and 8
// OnFallback reports.)
func TestReviewRedisRestartCostsAtMostOneFailure(t *testing.T) {
	srv := redistest.New(t)
	clock := newFakeClock()
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: testTimeout, RetryAfterFailure: reviewWindow, Now: clock.Now,
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	const idle = 8
	fillPool(t, r, idle)
	srv.Stop()
	srv.Start(t) // answers PING before this returns

	windows := fallbackWindows(r, clock, idle)
	if r.Errors() > 1 || windows > 1 {
		t.Fatalf("after one restart of a Redis that answered at once: %d skip windows on the local fallback, "+
			"%d errors, %d OnFallback reports (the pool held %d idle connections); want at most 1",
			windows, r.Errors(), reports.Load(), idle)
	}
}

// A healthy Redis closing idle clients (redis.conf "timeout", which many
// managed services set) costs no fallback. (On the code as first reviewed
// each closed connection was an error, a report and a skip window.)
func TestReviewServerClosingIdleConnectionsIsNotAnOutage(t *testing.T) {
	srv := redistest.New(t)
	if _, err := reviewAdmin(t, srv.Addr()).Do("CONFIG", "SET", "timeout", "1"); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock()
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: testTimeout, RetryAfterFailure: reviewWindow, Now: clock.Now,
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	const idle = 4
	fillPool(t, r, idle)
	// Redis closes clients idle for more than a second; wait (bounded)
	// until only the asking connection is left.
	deadline := time.Now().Add(15 * time.Second)
	for connectedClients(t, srv.Addr()) > 1 {
		if time.Now().After(deadline) {
			t.Fatal("Redis did not close its idle clients")
		}
		time.Sleep(100 * time.Millisecond)
	}

	lim := Limit{N: 1000, Per: time.Hour}
	fallbacks := 0
	for range idle {
		if r.Allow(context.Background(), "k", lim).Fallback {
			fallbacks++
		}
		clock.Advance(reviewWindow) // so that no request is skipped for an earlier one's failure
	}
	if fallbacks != 0 || r.Errors() != 0 {
		t.Fatalf("a healthy Redis that closed %d idle connections: %d of %d decisions fell back, %d errors, %d OnFallback reports; want none",
			idle, fallbacks, idle, r.Errors(), reports.Load())
	}
}

// forgetfulProxy forwards TCP to upstream, like a NAT or load balancer in
// front of Redis. After forget, it has lost the state of every connection
// made so far: the next bytes a client sends on one are answered with a
// reset (no FIN beforehand, so the client cannot tell until it sends).
// Connections made after forget are forwarded as before.
type forgetfulProxy struct {
	addr       string
	generation atomic.Int64
}

func newForgetfulProxy(t *testing.T, upstream string) *forgetfulProxy {
	p := &forgetfulProxy{}
	p.addr = nettest.RawServer(t, func(c net.Conn) {
		born := p.generation.Load()
		up, err := net.Dial("tcp", upstream)
		if err != nil {
			return
		}
		var wg sync.WaitGroup
		defer wg.Wait()
		defer up.Close()
		wg.Go(func() { _, _ = io.Copy(c, up) })
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			if n > 0 && p.generation.Load() != born {
				c.(*net.TCPConn).SetLinger(0)
				c.Close() // a reset
				return
			}
			if n > 0 {
				if _, err := up.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	return p
}

func (p *forgetfulProxy) forget() { p.generation.Add(1) }

// Found by an outside review, fixed with this test: pooled connections are checked before they are lent (pool.go,
// alive) only for a FIN or reset already received. A connection dropped
// silently in between (a NAT, firewall or load balancer that forgot idle
// flows, e.g. one with an idle timeout under the pool's 5 minutes) looks
// alive, fails on use, and opens a skip window; the probe after it draws
// the next such connection. With 8 of them the gateway stays on its local
// fallback for 8 windows (8 s; the pool keeps up to 10 per CPU) and
// OnFallback reports 8 outages, though Redis is reachable the whole time.
// One failure, at most, should be seen before shared decisions resume (a
// probe on a fresh connection, or dropping the idle connections older than
// one that failed, would do).
func TestReviewSilentlyDroppedConnectionsCostAtMostOneFailure(t *testing.T) {
	srv := redistest.New(t)
	proxy := newForgetfulProxy(t, srv.Addr())
	clock := newFakeClock()
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: proxy.addr, Timeout: testTimeout, RetryAfterFailure: reviewWindow, Now: clock.Now,
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	const idle = 8
	fillPool(t, r, idle)
	proxy.forget()

	windows := fallbackWindows(r, clock, idle)
	if r.Errors() > 1 || windows > 1 {
		t.Fatalf("Redis reachable throughout, %d pooled connections dropped by the network: %d skip windows on the local fallback, "+
			"%d errors, %d OnFallback reports; want at most 1", idle, windows, r.Errors(), reports.Load())
	}
}

// While Redis is down, every gateway still enforces the limit itself,
// exactly, under concurrency; OnFallback is called once for the window.
func TestReviewOutageFallbackIsExactAndReportedOnce(t *testing.T) {
	srv := redistest.New(t)
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: testTimeout, RetryAfterFailure: time.Hour, // no probe while the test runs
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	lim := Limit{N: 20, Per: time.Hour}
	if d := r.Allow(context.Background(), "warm", lim); d.Fallback {
		t.Fatalf("with Redis up: %+v", d)
	}
	srv.Stop()
	const workers, each = 8, 25
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				d := r.Allow(context.Background(), "k", lim)
				if !d.Fallback {
					t.Errorf("a shared decision with Redis down: %+v", d)
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 20 {
		t.Fatalf("with Redis down: %d of %d allowed, want exactly 20 (the fallback enforces the limit)", allowed.Load(), workers*each)
	}
	if reports.Load() != 1 || r.Errors() < 1 || r.Errors() > workers || r.Fallbacks() != workers*each {
		t.Fatalf("OnFallback %d, Errors %d, Fallbacks %d; want 1, 1..%d, %d",
			reports.Load(), r.Errors(), r.Fallbacks(), workers, workers*each)
	}
}

// A paused Redis with more concurrent requests than the pool has
// connections: every request, those holding a connection and those waiting
// for one, is decided locally within the Timeout's order of magnitude, not
// at the end of the pause, and the limit still holds.
func TestReviewPausedRedisWithAnExhaustedPoolBoundsEveryRequest(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	const timeout = 200 * time.Millisecond
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: timeout, RetryAfterFailure: time.Hour,
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	lim := Limit{N: 5, Per: time.Hour}
	const pause = 3 * time.Second
	if _, err := admin.Do("CLIENT", "PAUSE", pause.Milliseconds(), "ALL"); err != nil {
		t.Fatal(err)
	}
	paused := time.Now()
	n := r.pool.Load().MaxActive + 10
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			d := r.Allow(context.Background(), "k", lim)
			// A request held until the pause ended would get Redis's
			// answer: a local one says it was let go within its Timeout.
			if !d.Fallback {
				t.Errorf("a shared decision, so a request waited out the pause: %+v", d)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if allowed.Load() != 5 || reports.Load() != 1 {
		t.Errorf("%d of %d allowed, OnFallback %d; want 5 and 1", allowed.Load(), n, reports.Load())
	}
	time.Sleep(time.Until(paused.Add(pause))) // let the pause end before the server is stopped
}

// Whatever a broken server answers, the request is decided by the local
// fallback under the same limit: never admitted without limit, never all
// refused. Each request here probes (the fake clock passes the window), so
// each meets the bad answer, is counted, and is reported once per window.
func TestReviewMisbehavingServerFallsBackAndStillLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		reply   func(c net.Conn, cmd []string) bool
	}{
		{"an error", 0, raw("-ERR boom\r\n")},
		{"NOSCRIPT, then an error to EVAL", 0, func(c net.Conn, cmd []string) bool {
			if cmd[0] == "EVALSHA" {
				return raw("-NOSCRIPT No matching script.\r\n")(c, cmd)
			}
			return raw("-ERR boom\r\n")(c, cmd)
		}},
		{"NOSCRIPT to both", 0, raw("-NOSCRIPT No matching script.\r\n")},
		{"an integer", 0, raw(":1\r\n")},
		{"a status", 0, raw("+OK\r\n")},
		{"a nil", 0, raw("$-1\r\n")},
		{"a nil array", 0, raw("*-1\r\n")},
		{"an empty array", 0, raw("*0\r\n")},
		{"three values", 0, raw("*3\r\n:1\r\n:5\r\n:0\r\n")},
		{"five values", 0, raw("*5\r\n:1\r\n:5\r\n:0\r\n:0\r\n:0\r\n")},
		{"a word among the values", 0, raw("*4\r\n$3\r\nyes\r\n:5\r\n:0\r\n:0\r\n")},
		{"a nested array", 0, raw("*4\r\n*1\r\n:1\r\n:5\r\n:0\r\n:0\r\n")},
		{"a bulk string too long for its length", 0, raw("$2\r\nabcdef\r\n")},
		{"garbage", 0, raw("hello\r\n")},
		{"half a reply, then close", 0, func(c net.Conn, _ []string) bool { c.Write([]byte("*4\r\n:1\r\n:5")); return false }},
		{"close without a word", 0, func(net.Conn, []string) bool { return false }},
		{"half a reply, then silence", 300 * time.Millisecond, func(c net.Conn, _ []string) bool {
			c.Write([]byte("*4\r\n:1\r\n"))
			return hang(c)
		}},
		{"silence", 300 * time.Millisecond, func(c net.Conn, _ []string) bool { return hang(c) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeRedis(t, tc.reply)
			clock := newFakeClock()
			var reports atomic.Int64
			timeout := tc.timeout
			if timeout == 0 {
				timeout = testTimeout
			}
			r := NewRedis(RedisOptions{
				Addr: addr, Timeout: timeout, RetryAfterFailure: reviewWindow, Now: clock.Now,
				OnFallback: func(error) { reports.Add(1) },
			})
			defer r.Close()
			lim := Limit{N: 2, Per: time.Hour}
			const asks = 4
			allowed := 0
			for range asks {
				start := time.Now()
				d := r.Allow(context.Background(), "k", lim)
				if took := time.Since(start); took > timeout+testTimeout {
					t.Fatalf("a decision took %v with a Timeout of %v", took, timeout)
				}
				if !d.Fallback {
					t.Fatalf("a bad answer was taken as a decision: %+v", d)
				}
				if d.Allowed {
					allowed++
				}
				clock.Advance(reviewWindow)
			}
			if allowed != 2 || r.Errors() != asks || reports.Load() != asks {
				t.Fatalf("%d of %d allowed, Errors %d, OnFallback %d; want 2, %d, %d",
					allowed, asks, r.Errors(), reports.Load(), asks, asks)
			}
		})
	}
}

func raw(s string) func(net.Conn, []string) bool {
	return func(c net.Conn, _ []string) bool { _, err := c.Write([]byte(s)); return err == nil }
}

// A server that answers EVALSHA with NOSCRIPT and then runs the EVAL is
// followed: the EVAL's answer is the decision.
func TestReviewNoScriptThenEvalIsADecision(t *testing.T) {
	var evals atomic.Int64
	addr := fakeRedis(t, func(c net.Conn, cmd []string) bool {
		switch {
		case cmd[0] == "EVALSHA" && len(cmd) == 6 && cmd[5] == "3":
			return raw("-NOSCRIPT No matching script.\r\n")(c, cmd)
		case cmd[0] == "EVAL" && len(cmd) == 6 && cmd[1] == gcraScript && strings.HasPrefix(cmd[3], DefaultPrefix) && cmd[5] == "3":
			evals.Add(1)
			return raw("*4\r\n:1\r\n:2\r\n:0\r\n:1200000000\r\n")(c, cmd)
		}
		return raw("-ERR unexpected\r\n")(c, cmd)
	})
	r := NewRedis(RedisOptions{Addr: addr, Timeout: testTimeout})
	defer r.Close()
	d := r.Allow(context.Background(), "k", Limit{N: 3, Per: time.Hour})
	want := Decision{Allowed: true, Limit: 3, Remaining: 2, ResetAfter: 20 * time.Minute}
	if d != want || evals.Load() != 1 || r.Errors() != 0 {
		t.Fatalf("got %+v after %d EVALs (errors %d), want %+v after 1", d, evals.Load(), r.Errors(), want)
	}
}

// After EVALSHA answers NOSCRIPT, the EVAL gets what is left of the same
// deadline: a slow Redis that lost its scripts holds a request no longer
// than RedisOptions.Timeout. (On the code as first reviewed, up to twice.)
func TestReviewNoScriptRetryStaysWithinTimeout(t *testing.T) {
	const timeout = 2 * time.Second
	addr := fakeRedis(t, func(c net.Conn, cmd []string) bool {
		if cmd[0] == "EVALSHA" {
			time.Sleep(timeout * 85 / 100) // slow, but within the Timeout
			return raw("-NOSCRIPT No matching script.\r\n")(c, cmd)
		}
		return hang(c)
	})
	r := NewRedis(RedisOptions{Addr: addr, Timeout: timeout})
	defer r.Close()
	start := time.Now()
	d := r.Allow(context.Background(), "k", Limit{N: 3, Per: time.Hour})
	took := time.Since(start)
	if !d.Fallback {
		t.Fatalf("got %+v, want a fallback", d)
	}
	if took > timeout+time.Second {
		t.Fatalf("the decision took %v with a Timeout of %v", took.Round(time.Millisecond), timeout)
	}
}

// ---------------------------------------------------------------------------
// Callers and their contexts

// A caller whose deadline is shorter than Timeout is answered by its own
// deadline (locally, under the limit), not by Timeout.
func TestReviewCallerDeadlineBoundsTheWait(t *testing.T) {
	addr := fakeRedis(t, func(c net.Conn, _ []string) bool { return hang(c) })
	r := NewRedis(RedisOptions{Addr: addr, Timeout: 10 * time.Second})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	d := r.Allow(ctx, "k", Limit{N: 3, Per: time.Hour})
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("took %v; the caller's deadline was 200ms and Timeout 10s", took)
	}
	if !d.Fallback || !d.Allowed || d.Remaining != 2 {
		t.Fatalf("got %+v; want an allowed local decision with Remaining 2", d)
	}
}

// Found by an outside review, fixed with this test: Allow tells "the caller gave up" from "Redis failed" by
// ctx.Err(), but a context's deadline is only marked by a timer that runs
// a moment after the deadline, while decideInRedis fails at the deadline
// itself (left <= 0, or the socket's read deadline, set to the same
// instant). A request whose deadline runs out during its Redis call is
// counted as a Redis failure: on a healthy Redis, one request with a
// nearly spent deadline opens the skip window (every key decided locally,
// the global limit loosened to N per gateway for RetryAfterFailure) and
// calls OnFallback. Where request deadlines come from clients (gRPC's
// grpc-timeout, say), one such request a second keeps shared limiting off.
func TestReviewCallerDeadlineIsNotARedisFailure(t *testing.T) {
	srv := redistest.New(t)
	clock := newFakeClock() // never advanced: a window once opened stays open
	var reports atomic.Int64
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: testTimeout, Now: clock.Now,
		OnFallback: func(error) { reports.Add(1) },
	})
	defer r.Close()
	lim := Limit{N: 1_000_000, Per: time.Hour}
	for i := range 100 { // deadlines of 10 µs to 1 ms, shorter than or about one round trip
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(10+10*i)*time.Microsecond)
		r.Allow(ctx, "impatient", lim)
		cancel()
		if r.Errors() != 0 {
			break
		}
	}
	if d := r.Allow(context.Background(), "someone else", lim); d.Fallback || r.Errors() != 0 || reports.Load() != 0 {
		t.Fatalf("Redis healthy throughout; after callers with short deadlines: Errors %d, OnFallback %d, "+
			"and an ordinary request was decided locally (%v); want 0, 0, shared", r.Errors(), reports.Load(), d.Fallback)
	}
}

// A probe whose caller has gone away hands the probe on: Redis, back and
// healthy, is used by the next request rather than skipped for one more
// window. (On the code as first reviewed it was skipped.)
func TestReviewCancelledProbeDoesNotProlongTheOutage(t *testing.T) {
	srv := redistest.New(t)
	clock := newFakeClock()
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout, RetryAfterFailure: reviewWindow, Now: clock.Now})
	defer r.Close()
	lim := Limit{N: 100, Per: time.Hour}
	if d := r.Allow(context.Background(), "k", lim); d.Fallback {
		t.Fatalf("with Redis up: %+v", d)
	}
	srv.Stop()
	if d := r.Allow(context.Background(), "k", lim); !d.Fallback || r.Errors() != 1 {
		t.Fatalf("with Redis down: %+v, Errors %d; want a fallback and 1 error", d, r.Errors())
	}
	srv.Start(t)
	clock.Advance(reviewWindow) // the window has passed: the next request probes

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	r.Allow(gone, "k", lim) // the client went away
	if d := r.Allow(context.Background(), "k", lim); d.Fallback {
		t.Fatalf("Redis is up, its window has passed and nothing failed since, yet the next request was decided locally: %+v (Errors %d)",
			d, r.Errors())
	}
}

// ---------------------------------------------------------------------------
// Close

// Close while requests are in flight on a paused Redis: they all return
// (those already talking to Redis with Redis's answer), and once they have,
// the limiter holds no connection to the server.
func TestReviewCloseWithRequestsInFlightLeavesNoConnection(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	lim := Limit{N: 100, Per: time.Hour}
	if _, err := admin.Do("CLIENT", "PAUSE", "800", "ALL"); err != nil {
		t.Fatal(err)
	}
	const inFlight = 4
	var shared atomic.Int64
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			if d := r.Allow(context.Background(), "k", lim); !d.Fallback && d.Allowed {
				shared.Add(1)
			}
		})
	}
	nettest.Eventually(t, "requests holding connections", func() bool { return r.pool.Load().ActiveCount() == inFlight })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if shared.Load() != inFlight {
		t.Errorf("%d of %d requests in flight at Close got Redis's answer", shared.Load(), inFlight)
	}
	if d := r.Allow(context.Background(), "k", lim); !d.Fallback {
		t.Errorf("after Close: %+v, want a local decision", d)
	}
	nettest.Eventually(t, "the server to see only the test's own connection", func() bool {
		return connectedClients(t, srv.Addr()) == 2 // admin, and the one asking
	})
}

// Requests waiting for a pooled connection when Close is called are
// decided locally without counting a Redis failure or calling OnFallback:
// a shutdown or a limiter swapped on reload is not an outage. (On the code
// as first reviewed, "get on closed pool" was reported as one.)
func TestReviewCloseIsNotReportedAsARedisFailure(t *testing.T) {
	srv := redistest.New(t)
	admin := reviewAdmin(t, srv.Addr())
	var reports atomic.Int64
	var first atomic.Value
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout, OnFallback: func(err error) {
		reports.Add(1)
		first.CompareAndSwap(nil, err.Error())
	}})
	lim := Limit{N: 1000, Per: time.Hour}
	if _, err := admin.Do("CLIENT", "PAUSE", "1500", "ALL"); err != nil {
		t.Fatal(err)
	}
	size := r.pool.Load().MaxActive
	var wg sync.WaitGroup
	for range size + 4 { // the pool's worth in flight, and 4 waiting for a connection
		wg.Go(func() { r.Allow(context.Background(), "k", lim) })
	}
	nettest.Eventually(t, "the pool to be exhausted", func() bool { return r.pool.Load().ActiveCount() == size })
	time.Sleep(200 * time.Millisecond) // the other 4 are now waiting
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if r.Errors() != 0 || reports.Load() != 0 {
		t.Fatalf("Close with requests in flight: Errors %d, OnFallback %d (%v); want 0, 0: Redis never failed",
			r.Errors(), reports.Load(), first.Load())
	}
}
