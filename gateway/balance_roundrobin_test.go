package gateway

import (
	"slices"
	"sync"
	"testing"
)

// balanceCounts picks n times and counts the picks per upstream index.
func balanceCounts(t testing.TB, b Balancer, ups []*Upstream, n int) []int {
	t.Helper()
	counts := make([]int, len(ups))
	for range n {
		u := b.Pick(nil)
		i := slices.Index(ups, u)
		if i < 0 {
			t.Fatalf("Pick returned %v, not an instance of the pool", u)
		}
		counts[i]++
	}
	return counts
}

func TestRoundRobinShares(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		cycles  int
	}{
		{"weighted round robin gives equal instances one turn each per cycle", []int{1, 1, 1}, 1},
		{"weighted round robin gives each instance its weight's share over one full cycle", []int{5, 1, 1}, 1},
		{"weighted round robin gives each instance its weight's share over many cycles", []int{5, 1, 1}, 1000},
		{"weighted round robin keeps exact shares for uneven weights", []int{3, 2, 7, 1}, 37},
		{"weighted round robin reduces weights by their common divisor", []int{100, 200, 300}, 50},
		{"weighted round robin serves a single instance every time", []int{4}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			rr := newRoundRobin(ups)
			g, sum := 0, 0
			for _, w := range tt.weights {
				g = weightGCD(g, w)
				sum += w
			}
			cycle := sum / g
			if len(rr.schedule) != cycle {
				t.Errorf("schedule has %d slots, want %d", len(rr.schedule), cycle)
			}
			got := balanceCounts(t, rr, ups, cycle*tt.cycles)
			for i, w := range tt.weights {
				if want := w / g * tt.cycles; got[i] != want {
					t.Errorf("instance %d (weight %d) got %d picks, want %d", i, w, got[i], want)
				}
			}
		})
	}
}

func TestRoundRobinInterleaves(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		want    []int // indices of one cycle, from the start
	}{
		{"weighted round robin interleaves heavy instances", []int{5, 1, 1}, []int{0, 0, 1, 0, 2, 0, 0}},
		{"weighted round robin alternates a 2:1 pair", []int{2, 1}, []int{0, 1, 0}},
		{"weighted round robin rotates equal instances in address order", []int{1, 1, 1}, []int{0, 1, 2}},
		{"weighted round robin never repeats one of two heavy instances", []int{3, 3, 1}, []int{0, 1, 2, 0, 1, 0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			rr := newRoundRobin(ups)
			var got []int
			for range tt.want {
				got = append(got, slices.Index(ups, rr.Pick(nil)))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("one cycle = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRoundRobinBoundsTheSchedule(t *testing.T) {
	tests := []struct {
		name    string
		weights []int
		wantLen int // 0: at most maxRoundRobinSchedule plus one slot per instance
	}{
		{"weighted round robin reduces large weights with a common divisor", []int{1 << 30, 1 << 29}, 3},
		{"weighted round robin scales down weights that sum beyond the bound", []int{1 << 20, 3 << 19, 1}, 0},
		{"weighted round robin survives weights near the int limit", []int{1<<62 - 1, 1<<62 - 3}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ups := balanceTestUpstreams(tt.weights...)
			rr := newRoundRobin(ups)
			n := len(rr.schedule)
			if tt.wantLen != 0 && n != tt.wantLen {
				t.Fatalf("schedule has %d slots, want %d", n, tt.wantLen)
			}
			if n > maxRoundRobinSchedule+len(ups) {
				t.Fatalf("schedule has %d slots, want at most %d", n, maxRoundRobinSchedule+len(ups))
			}
			// Shares stay within a slot of the weights, and everyone keeps a turn.
			got := balanceCounts(t, rr, ups, n)
			var total float64
			for _, w := range tt.weights {
				total += float64(w)
			}
			for i, w := range tt.weights {
				if got[i] < 1 {
					t.Errorf("instance %d got no slot", i)
				}
				if want := float64(w) / total * float64(n); float64(got[i]) < want-2 || float64(got[i]) > want+2 {
					t.Errorf("instance %d got %d of %d slots, want about %.1f", i, got[i], n, want)
				}
			}
		})
	}
}

// Many goroutines share one counter: every index is handed out exactly once, so
// the totals over whole cycles stay exact (run with -race).
func TestRoundRobinConcurrentPicksKeepExactShares(t *testing.T) {
	weights := []int{5, 1, 3, 2}
	ups := balanceTestUpstreams(weights...)
	rr := newRoundRobin(ups)
	const goroutines, cyclesEach = 16, 500
	perGoroutine := len(rr.schedule) * cyclesEach

	counts := make([][]int, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			counts[g] = make([]int, len(ups))
			for range perGoroutine {
				counts[g][slices.Index(ups, rr.Pick(nil))]++
			}
		})
	}
	wg.Wait()

	for i, w := range weights {
		got := 0
		for g := range goroutines {
			got += counts[g][i]
		}
		if want := w * cyclesEach * goroutines; got != want {
			t.Errorf("instance %d (weight %d) got %d picks, want %d", i, w, got, want)
		}
	}
}

func BenchmarkRoundRobin(b *testing.B) {
	rr := newRoundRobin(balanceTestUpstreams(5, 1, 3, 2, 1, 1, 4, 2))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rr.Pick(nil)
		}
	})
}
