package gateway

import (
	"net/http"
	"sync/atomic"
)

// maxRoundRobinSchedule bounds the round-robin schedule (one pointer per slot, so
// 512 KiB at most). Weights whose sum exceeds it are scaled down proportionally:
// each share then drifts by at most one slot in 65536, which nobody can observe.
const maxRoundRobinSchedule = 1 << 16

// roundRobin is smooth weighted round robin without locks. The whole cycle is
// computed once when the pool is built, so Pick is one atomic add plus an index;
// a mutex-guarded nginx-style "current weight" update per request would serialize
// every request of a busy service on one lock.
type roundRobin struct {
	schedule []*Upstream
	next     atomic.Uint64
}

func newRoundRobin(ups []*Upstream) *roundRobin {
	return &roundRobin{schedule: smoothSchedule(ups, scheduleWeights(ups))}
}

// Pick returns the next instance of the schedule, skipping those that are not
// Available. When instances are skipped the next available one in the schedule
// takes over their turn; after one full lap without finding any it returns nil.
func (rr *roundRobin) Pick(*http.Request) *Upstream {
	n := uint64(len(rr.schedule))
	if n == 0 {
		return nil
	}
	start := rr.next.Add(1) - 1
	for i := range n {
		if u := rr.schedule[(start+i)%n]; u.Available() {
			return u
		}
	}
	return nil
}

// scheduleWeights returns the weights the schedule is built from: the instances'
// weights divided by their greatest common divisor (weights 100 and 200 need a
// cycle of 3, not 300) and, if they still sum beyond maxRoundRobinSchedule,
// scaled down in proportion. Every instance keeps at least one slot.
func scheduleWeights(ups []*Upstream) []int {
	w := make([]int, len(ups))
	g := 0
	for i, u := range ups {
		w[i] = max(u.Weight, 1)
		g = weightGCD(g, w[i])
	}
	// Summed as float64 so that absurd weights cannot overflow the total.
	var total float64
	for i := range w {
		w[i] /= g
		total += float64(w[i])
	}
	if total > maxRoundRobinSchedule {
		for i := range w {
			w[i] = max(1, int(float64(w[i])*maxRoundRobinSchedule/total))
		}
	}
	return w
}

// smoothSchedule lays out one cycle of nginx's smooth weighted round robin: at
// each step every instance gains its weight, the richest is chosen and pays the
// total. Heavy instances are thereby spread through the cycle (5,1,1 gives
// a a b a c a a) instead of bunched (a a a a a b c), so a burst of requests does
// not land on one instance. Ties go to the earlier instance, which keeps the
// schedule deterministic. It costs O(sum × instances), once per pool.
func smoothSchedule(ups []*Upstream, weights []int) []*Upstream {
	total := 0
	for _, w := range weights {
		total += w
	}
	schedule := make([]*Upstream, 0, total)
	current := make([]int, len(weights))
	for range total {
		best := 0
		for i, w := range weights {
			current[i] += w
			if current[i] > current[best] {
				best = i
			}
		}
		current[best] -= total
		schedule = append(schedule, ups[best])
	}
	return schedule
}

func weightGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
