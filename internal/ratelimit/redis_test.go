package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomodule/redigo/redis"

	"github.com/bulwark-gw/bulwark/internal/redistest"
)

// testTimeout is the Redis round-trip bound in tests that expect no
// fallback: generous, so a busy machine running -race never falls back.
const testTimeout = 5 * time.Second

func TestRedisCountsExactlyForOneClient(t *testing.T) {
	srv := redistest.New(t)
	own := &redis.Pool{Dial: func() (redis.Conn, error) { return redis.Dial("tcp", srv.Addr()) }}
	t.Cleanup(func() { own.Close() })
	for _, tc := range []struct {
		name string
		opts RedisOptions
	}{
		{"a client built from Addr", RedisOptions{Addr: srv.Addr(), Timeout: testTimeout}},
		{"a pool the caller owns", RedisOptions{Pool: own, Timeout: testTimeout, Prefix: "own:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRedis(tc.opts)
			defer r.Close()
			// 10 an hour: one token comes back every 6 minutes, so
			// nothing refills while the test runs.
			lim := Limit{N: 10, Per: time.Hour}
			first := r.Allow(context.Background(), "client", lim)
			if !first.Allowed || first.Remaining != 9 || first.Limit != 10 || first.Fallback ||
				first.RetryAfter != 0 || first.ResetAfter <= 5*time.Minute || first.ResetAfter > 6*time.Minute {
				t.Fatalf("first request: %+v; want allowed, Remaining 9, ResetAfter just under 6m", first)
			}
			n, last := allowN(r, "client", lim, 19)
			if n != 9 {
				t.Fatalf("%d of the next 19 allowed, want exactly 9", n)
			}
			if last.Allowed || last.Remaining != 0 || last.Fallback ||
				last.RetryAfter <= 5*time.Minute || last.RetryAfter > 6*time.Minute ||
				last.ResetAfter <= 59*time.Minute || last.ResetAfter > time.Hour {
				t.Fatalf("refused request: %+v; want RetryAfter just under 6m and ResetAfter just under 1h", last)
			}
			if r.Fallbacks() != 0 || r.Errors() != 0 {
				t.Fatalf("Fallbacks %d, Errors %d; want 0, 0", r.Fallbacks(), r.Errors())
			}
		})
	}
	c := own.Get()
	defer c.Close()
	if _, err := c.Do("PING"); err != nil {
		t.Fatalf("Close closed the caller's pool: %v", err)
	}
}

func TestRedisHoldsOneLimitAcrossThreeGateways(t *testing.T) {
	srv := redistest.New(t)
	lim := Limit{N: 200, Per: time.Hour} // 1 token per 18 s: no refill during the test
	const gateways, workers, each = 3, 4, 100
	var allowed atomic.Int64
	var wg sync.WaitGroup
	limiters := make([]*Redis, gateways)
	for g := range limiters {
		limiters[g] = NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
		defer limiters[g].Close()
		for range workers {
			wg.Go(func() {
				for range each {
					if limiters[g].Allow(context.Background(), "route:/api", lim).Allowed {
						allowed.Add(1)
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
	// Each gateway alone would admit 200, so a limit that is not shared
	// shows as about 600.
	if got := allowed.Load(); got < 190 || got > 210 {
		t.Fatalf("%d of %d requests allowed across %d gateways; want 200 (within 5%%)", got, gateways*workers*each, gateways)
	}
}

func TestRedisFallsBackWhileRedisIsDownAndResumesAfter(t *testing.T) {
	srv := redistest.New(t)
	clock := newFakeClock()
	var reports []error
	var mu sync.Mutex
	const window = time.Second // on the fake clock
	r := NewRedis(RedisOptions{
		Addr: srv.Addr(), Timeout: testTimeout, RetryAfterFailure: window, Now: clock.Now,
		OnFallback: func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() },
	})
	defer r.Close()
	reported := func() int { mu.Lock(); defer mu.Unlock(); return len(reports) }
	lim := Limit{N: 5, Per: time.Hour}

	if d := r.Allow(context.Background(), "k", lim); !d.Allowed || d.Fallback {
		t.Fatalf("with Redis up: %+v; want allowed, not a fallback", d)
	}

	srv.Stop()
	// The local fallback enforces the same limit: 5 of 50, not 50, not 0.
	n, last := allowN(r, "k", lim, 50)
	if n != 5 || !last.Fallback || last.RetryAfter <= 0 {
		t.Fatalf("with Redis down: %d of 50 allowed, last %+v; want 5 allowed by the fallback", n, last)
	}
	if r.Fallbacks() != 50 || r.Errors() != 1 || reported() != 1 {
		t.Fatalf("Fallbacks %d, Errors %d, OnFallback calls %d; want 50, 1, 1 (Redis skipped within the window)",
			r.Fallbacks(), r.Errors(), reported())
	}
	var se *StoreError
	if !errors.As(reports[0], &se) {
		t.Fatalf("OnFallback got %T %v, want a *StoreError", reports[0], reports[0])
	}

	clock.Advance(window) // one request probes Redis, finds it still down
	if d := r.Allow(context.Background(), "k", lim); !d.Fallback {
		t.Fatalf("probe with Redis down: %+v; want a fallback", d)
	}
	if r.Errors() != 2 || reported() != 2 {
		t.Fatalf("after a failed probe: Errors %d, OnFallback calls %d; want 2, 2", r.Errors(), reported())
	}

	srv.Start(t)
	resumed := false
	for range 100 { // bounded: the restarted server already answered PING
		clock.Advance(window)
		if d := r.Allow(context.Background(), "k", lim); !d.Fallback {
			resumed = true
			break
		}
	}
	if !resumed {
		t.Fatalf("no shared decision after Redis came back (Errors %d)", r.Errors())
	}
	// The restarted Redis is empty: its bucket for k holds 5 again, less
	// the probe that just went through.
	if n, _ := allowN(r, "k", lim, 10); n != 4 {
		t.Fatalf("after Redis came back: %d of 10 allowed, want 4 from the shared bucket", n)
	}
	if got := reported(); got > int(r.Errors()) {
		t.Fatalf("OnFallback called %d times for %d errors", got, r.Errors())
	}
}

func TestRedisFallsBackWhenRedisIsSlow(t *testing.T) {
	srv := redistest.New(t)
	admin, err := redis.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	clock := newFakeClock()
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: 50 * time.Millisecond, Now: clock.Now})
	defer r.Close()
	lim := Limit{N: 5, Per: time.Hour}

	// Every client (but replicas) waits while the server is paused.
	if _, err := admin.Do("CLIENT", "PAUSE", "1000", "ALL"); err != nil {
		t.Fatal(err)
	}
	d := r.Allow(context.Background(), "k", lim)
	if !d.Fallback || !d.Allowed || r.Errors() != 1 {
		t.Fatalf("with Redis paused: %+v, Errors %d; want an allowed fallback and 1 error", d, r.Errors())
	}
	resumed := false
	for range 200 { // bounded: the pause ends after a second
		clock.Advance(time.Second)
		if d := r.Allow(context.Background(), "k", lim); !d.Fallback {
			resumed = true
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !resumed {
		t.Fatalf("no shared decision after the pause ended (Errors %d)", r.Errors())
	}
}

func TestRedisCallerGivingUpIsNotARedisFailure(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := r.Allow(ctx, "k", Limit{N: 5, Per: time.Hour})
	if !d.Fallback || r.Errors() != 0 {
		t.Fatalf("cancelled request: %+v, Errors %d; want a local decision and no error", d, r.Errors())
	}
	if d := r.Allow(context.Background(), "k", Limit{N: 5, Per: time.Hour}); d.Fallback {
		t.Fatalf("next request: %+v; want a shared decision (Redis was never skipped)", d)
	}
}

func TestRedisWithoutAnAddressDecidesLocally(t *testing.T) {
	opts := RedisOptions{}
	if !errors.Is(opts.Validate(), ErrNoRedis) {
		t.Fatalf("Validate() = %v, want ErrNoRedis", opts.Validate())
	}
	r := NewRedis(opts)
	if n, last := allowN(r, "k", Limit{N: 3, Per: time.Hour}, 5); n != 3 || !last.Fallback {
		t.Fatalf("%d of 5 allowed, last %+v; want 3, decided locally", n, last)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRedisAfterCloseDecidesLocally(t *testing.T) {
	srv := redistest.New(t)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: testTimeout})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if d := r.Allow(context.Background(), "k", Limit{N: 1, Per: time.Hour}); !d.Allowed || !d.Fallback {
		t.Fatalf("after Close: %+v; want a local decision", d)
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	srv := redistest.New(b)
	r := NewRedis(RedisOptions{Addr: srv.Addr(), Timeout: time.Second})
	defer r.Close()
	lim := Limit{N: 1_000_000, Per: time.Second}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "10.0.0." + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.Allow(context.Background(), keys[i%len(keys)], lim)
			i++
		}
	})
	b.StopTimer()
	if r.Fallbacks() != 0 {
		b.Fatalf("%d fallbacks (errors %d)", r.Fallbacks(), r.Errors())
	}
}
