package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// allowN asks n times and returns how many were allowed and the last answer.
func allowN(l Limiter, key string, lim Limit, n int) (allowed int, last Decision) {
	for range n {
		last = l.Allow(context.Background(), key, lim)
		if last.Allowed {
			allowed++
		}
	}
	return allowed, last
}

func TestLocalCountsExactlyWithAFakeClock(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	lim := Limit{N: 10, Per: time.Second, Burst: 10}
	ctx := context.Background()

	first := l.Allow(ctx, "k", lim)
	if want := (Decision{Allowed: true, Limit: 10, Remaining: 9, ResetAfter: 100 * time.Millisecond}); first != want {
		t.Fatalf("first request: got %+v, want %+v", first, want)
	}
	if n, last := allowN(l, "k", lim, 9); n != 9 || last.Remaining != 0 || last.ResetAfter != time.Second {
		t.Fatalf("requests 2-10: %d allowed, last %+v; want 9 allowed, Remaining 0, ResetAfter 1s", n, last)
	}
	eleventh := l.Allow(ctx, "k", lim)
	if want := (Decision{Limit: 10, RetryAfter: 100 * time.Millisecond, ResetAfter: time.Second}); eleventh != want {
		t.Fatalf("11th request: got %+v, want %+v", eleventh, want)
	}
	// A refused request takes nothing: the next one is refused the same way.
	if again := l.Allow(ctx, "k", lim); again != eleventh {
		t.Fatalf("12th request: got %+v, want the 11th's %+v", again, eleventh)
	}

	clock.Advance(250 * time.Millisecond) // 2.5 tokens back
	n, last := allowN(l, "k", lim, 3)
	if n != 2 {
		t.Fatalf("after 250ms: %d of 3 allowed, want exactly 2", n)
	}
	if want := (Decision{Limit: 10, RetryAfter: 50 * time.Millisecond, ResetAfter: 950 * time.Millisecond}); last != want {
		t.Fatalf("3rd request after 250ms: got %+v, want %+v", last, want)
	}

	clock.Advance(time.Second)
	if d := l.Allow(ctx, "k", lim); !d.Allowed || d.Remaining != 9 {
		t.Fatalf("after the bucket refilled: got %+v, want allowed with Remaining 9", d)
	}
}

func TestLocalLimits(t *testing.T) {
	for _, tc := range []struct {
		name        string
		lim         Limit
		asks        int
		wantAllowed int
		wantRetry   time.Duration
	}{
		{"burst 0 means a bucket of N", Limit{N: 5, Per: time.Second}, 8, 5, 200 * time.Millisecond},
		{"6000 a minute is 100 a second", Limit{N: 6000, Per: time.Minute, Burst: 100}, 101, 100, 10 * time.Millisecond},
		{"100 a second with burst 100", Limit{N: 100, Per: time.Second, Burst: 100}, 101, 100, 10 * time.Millisecond},
		{"burst 1 spaces requests Per/N apart", Limit{N: 10, Per: time.Second, Burst: 1}, 3, 1, 100 * time.Millisecond},
		{"a burst above N admits the burst at once", Limit{N: 1, Per: time.Minute, Burst: 3}, 4, 3, time.Minute},
		{"an invalid limit refuses everything", Limit{N: 0, Per: time.Second}, 3, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := NewLocal(LocalOptions{Now: newFakeClock().Now})
			n, last := allowN(l, "k", tc.lim, tc.asks)
			if n != tc.wantAllowed || last.Allowed || last.RetryAfter != tc.wantRetry {
				t.Fatalf("%d of %d allowed, last %+v; want %d allowed, then refused with RetryAfter %v",
					n, tc.asks, last, tc.wantAllowed, tc.wantRetry)
			}
		})
	}
}

func TestLocalKeysHaveTheirOwnBucketsAndLimits(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now})
	small := Limit{N: 2, Per: time.Second}
	big := Limit{N: 5, Per: time.Second}
	if n, _ := allowN(l, "a", small, 10); n != 2 {
		t.Fatalf("key a under 2/s: %d allowed, want 2", n)
	}
	if n, _ := allowN(l, "b", big, 10); n != 5 {
		t.Fatalf("key b under 5/s, after a was exhausted: %d allowed, want 5", n)
	}
	// A reload changes a's limit: its bucket starts afresh under the new one.
	if n, _ := allowN(l, "a", big, 10); n != 5 {
		t.Fatalf("key a after its limit changed to 5/s: %d allowed, want 5", n)
	}
	if l.Len() != 2 {
		t.Fatalf("Len is %d, want 2", l.Len())
	}
}

func TestLocalMemoryStaysBoundedUnderAKeySprayingClient(t *testing.T) {
	for _, tc := range []struct{ maxKeys, sprayed int }{
		{100, 20_000},   // one shard
		{2048, 100_000}, // sixteen shards
	} {
		maxKeys := tc.maxKeys
		t.Run(fmt.Sprintf("MaxKeys %d, %d keys sprayed", maxKeys, tc.sprayed), func(t *testing.T) {
			clock := newFakeClock()
			l := NewLocal(LocalOptions{Now: clock.Now, MaxKeys: maxKeys})
			lim := Limit{N: 5, Per: time.Minute}
			// The victim uses its whole bucket, then keeps asking while an
			// attacker sprays distinct keys; eviction must not hand
			// the victim (in steady use) a fresh bucket.
			if n, _ := allowN(l, "victim", lim, 5); n != 5 {
				t.Fatalf("victim: %d allowed, want 5", n)
			}
			for i := range tc.sprayed {
				l.Allow(context.Background(), "spray-"+strconv.Itoa(i), lim)
				if i%(maxKeys/10) == 0 {
					if d := l.Allow(context.Background(), "victim", lim); d.Allowed {
						t.Fatalf("victim allowed again after %d sprayed keys: its bucket was evicted while in use", i)
					}
				}
				if i%1000 == 0 && l.Len() > maxKeys {
					t.Fatalf("Len %d passed MaxKeys %d after %d sprayed keys", l.Len(), maxKeys, i)
				}
			}
			if l.Len() > maxKeys {
				t.Fatalf("Len %d passed MaxKeys %d", l.Len(), maxKeys)
			}
		})
	}
}

func TestLocalDropsIdleBucketsBeforeBusyOnes(t *testing.T) {
	clock := newFakeClock()
	l := NewLocal(LocalOptions{Now: clock.Now, MaxKeys: 3})
	slow := Limit{N: 1, Per: time.Hour}
	fast := Limit{N: 10, Per: time.Second}
	allowN(l, "busy", slow, 1)  // oldest, and empty for an hour
	allowN(l, "idle1", fast, 1) // full again in 100 ms
	allowN(l, "idle2", fast, 1)
	clock.Advance(time.Second)
	l.Allow(context.Background(), "new", fast)
	if l.Len() > 3 {
		t.Fatalf("Len %d passed MaxKeys 3", l.Len())
	}
	if d := l.Allow(context.Background(), "busy", slow); d.Allowed {
		t.Fatal("the oldest key, whose bucket was empty, was dropped before the idle ones")
	}
}

func TestLocalIsExactUnderConcurrency(t *testing.T) {
	l := NewLocal(LocalOptions{Now: newFakeClock().Now, MaxKeys: 2000})
	lim := Limit{N: 100, Per: time.Minute}
	const goroutines, each, keys = 8, 500, 4
	var allowed [keys]atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				k := (g + i) % keys
				if l.Allow(context.Background(), "k"+strconv.Itoa(k), lim).Allowed {
					allowed[k].Add(1)
				}
				// Churn other keys so eviction runs alongside.
				l.Allow(context.Background(), fmt.Sprintf("churn-%d-%d", g, i), lim)
			}
		})
	}
	wg.Wait()
	for k := range keys {
		if got := allowed[k].Load(); got != 100 {
			t.Errorf("key k%d: %d allowed, want exactly 100 (the clock stood still)", k, got)
		}
	}
	if l.Len() > 2000 {
		t.Errorf("Len %d passed MaxKeys 2000", l.Len())
	}
}

func BenchmarkLocalAllow(b *testing.B) {
	l := NewLocal(LocalOptions{})
	lim := Limit{N: 1_000_000, Per: time.Second}
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "10.0.0." + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(context.Background(), keys[i%len(keys)], lim)
			i++
		}
	})
}
