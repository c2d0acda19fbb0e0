package httpcache

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// generous bounds a wait that must not give out; the tests assert what
// happened, never how long it took.
const generous = time.Minute

func TestFlightsCoalesce(t *testing.T) {
	fs := NewFlights()
	const n = 100
	var leaders atomic.Int32
	var got sync.Map
	start := make(chan struct{})
	joined := make(chan struct{}, n)
	var wg sync.WaitGroup
	want := stored("Cache-Control: max-age=60")
	for i := range n {
		wg.Go(func() {
			<-start
			f, leader := fs.Join("k")
			if leader {
				leaders.Add(1)
				// Finish only after every follower has joined.
				deadline := time.After(generous)
			wait:
				for range n - 1 {
					select {
					case <-joined:
					case <-deadline:
						t.Error("followers never joined the leader's flight")
						break wait
					}
				}
				f.Done(want)
				got.Store(i, want)
				return
			}
			joined <- struct{}{}
			e, ok := f.Wait(context.Background(), generous)
			if ok {
				got.Store(i, e)
			}
		})
	}
	close(start)
	wg.Wait()
	if leaders.Load() != 1 {
		t.Fatalf("%d leaders, want exactly 1", leaders.Load())
	}
	count := 0
	got.Range(func(_, v any) bool {
		count++
		if v.(*Entry) != want {
			t.Error("a follower got another entry")
		}
		return true
	})
	if count != n {
		t.Errorf("%d requests got the leader's entry, want %d", count, n)
	}
	if fs.Coalesced() != n-1 {
		t.Errorf("coalesced %d, want %d", fs.Coalesced(), n-1)
	}
}

func TestFlightsUncacheableReleasesFollowers(t *testing.T) {
	fs := NewFlights()
	f, leader := fs.Join("k")
	g, follower := fs.Join("k")
	if !leader || follower || f != g {
		t.Fatal("second Join did not follow the first")
	}
	f.Done(nil)
	if e, ok := g.Wait(context.Background(), generous); ok || e != nil {
		t.Error("a follower got an entry from an uncacheable response")
	}
	// The flight is over: the next Join leads a new one.
	if _, leader := fs.Join("k"); !leader {
		t.Error("the key stayed in flight after Done")
	}
}

func TestFlightsWaitIsBounded(t *testing.T) {
	fs := NewFlights()
	fs.Join("k") // a leader that never finishes
	f, _ := fs.Join("k")
	if _, ok := f.Wait(context.Background(), time.Millisecond); ok {
		t.Error("Wait on a stuck leader succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := f.Wait(ctx, generous); ok {
		t.Error("Wait ignored a cancelled context")
	}
}

func TestFlightsOneBackgroundRefreshPerKey(t *testing.T) {
	fs := NewFlights()
	release, ok := fs.TryBackground("k")
	if !ok {
		t.Fatal("first claim refused")
	}
	if _, ok := fs.TryBackground("k"); ok {
		t.Error("second refresh for the same key allowed")
	}
	if _, ok := fs.TryBackground("other"); !ok {
		t.Error("another key refused")
	}
	release()
	release() // idempotent
	if _, ok := fs.TryBackground("k"); !ok {
		t.Error("claim refused after release")
	}
}
