package gateway

import (
	"slices"
	"testing"
)

// balanceSetInFlight marks n requests in flight on u, as the proxy does with
// Acquire before it sends one.
func balanceSetInFlight(u *Upstream, n int) {
	for range n {
		u.Acquire()
	}
}

func TestLeastRequestPrefersLessLoaded(t *testing.T) {
	tests := []struct {
		name     string
		weights  []int
		inFlight []int
		want     int // index that every pick must return
	}{
		{"least request prefers the instance with fewer requests in flight", []int{1, 1}, []int{3, 1}, 1},
		{"least request prefers an idle instance over a busy one", []int{1, 1}, []int{0, 1}, 0},
		{"least request weighs in-flight requests by weight", []int{3, 1}, []int{2, 1}, 0},
		{"least request lets a heavy instance carry proportionally more", []int{1, 4}, []int{1, 3}, 1},
		{"least request still avoids an overloaded heavy instance", []int{4, 1}, []int{9, 2}, 1},
		{"least request serves a single instance however busy", []int{1}, []int{100}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			for i, n := range tt.inFlight {
				balanceSetInFlight(ups[i], n)
			}
			// With two instances the pair is always both of them, so the choice
			// is deterministic even though the sampling is random.
			lr := newLeastRequest(ups)
			for range 200 {
				if got := slices.Index(ups, lr.Pick(nil)); got != tt.want {
					t.Fatalf("Pick = instance %d, want %d", got, tt.want)
				}
			}
		})
	}
}

// The busiest of three instances loses every comparison it takes part in, so
// it is never picked; the other two share the load.
func TestLeastRequestNeverPicksTheBusiest(t *testing.T) {
	ups := balanceTestUpstreams(1, 1, 1)
	balanceSetInFlight(ups[0], 1)
	balanceSetInFlight(ups[1], 50)
	balanceSetInFlight(ups[2], 2)
	got := balanceCounts(t, newLeastRequest(ups), ups, 3000)
	if got[1] != 0 {
		t.Errorf("the busiest instance got %d picks, want 0", got[1])
	}
	// Instance 0 wins against 1 and 2; instance 2 only against 1: 2/3 vs 1/3.
	if got[0] < 1600 || got[0] > 2400 {
		t.Errorf("the least busy instance got %d of 3000 picks, want about 2000", got[0])
	}
}

func TestLeastRequestSpreadsLoad(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		acquire bool // hold each picked request in flight, as real traffic does
	}{
		{"least request spreads load across equal idle instances", []int{1, 1, 1, 1}, false},
		{"least request spreads load across equal instances under load", []int{1, 1, 1, 1}, true},
		{"least request gives heavier instances more of the load in flight", []int{1, 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			lr := newLeastRequest(ups)
			const picks = 40000
			got := make([]int, len(ups))
			for range picks {
				u := lr.Pick(nil)
				if tt.acquire {
					u.Acquire()
				}
				got[slices.Index(ups, u)]++
			}
			total := 0
			for _, w := range tt.weights {
				total += w
			}
			// Idle picks are binomial (sd about 90 here); under load the counts
			// track the weights to within a request or two. Bounds of ±20% of
			// the expected share are dozens of standard deviations wide.
			for i, w := range tt.weights {
				want := float64(picks) * float64(w) / float64(total)
				if float64(got[i]) < 0.8*want || float64(got[i]) > 1.2*want {
					t.Errorf("instance %d (weight %d) got %d of %d picks, want about %.0f", i, w, got[i], picks, want)
				}
			}
		})
	}
}

func BenchmarkLeastRequest(b *testing.B) {
	lr := newLeastRequest(balanceTestUpstreams(5, 1, 3, 2, 1, 1, 4, 2))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u := lr.Pick(nil)
			u.Acquire()
			u.Release()
		}
	})
}
