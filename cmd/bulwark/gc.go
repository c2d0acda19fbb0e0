package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// defaultGCPercent is the garbage collector's pacing for a gateway whose
// live heap is small: Go's own default, so the heap may grow by as much as
// is live (with the stacks and globals) between collections.
//
// It was 400 until issue 19 measured the price of each: on the bench's
// one-service gateway under the 64-connection load (bench/RESULTS.md,
// "peak RSS and the collector's pacing"), 400 let the heap grow by 16 MiB
// and made the peak RSS ~43 MiB; 100 grows it by ~4 MiB, for a peak of
// ~30 MiB, and costs ~8% of requests per core. A request allocates ~7 KiB
// now, half what it did when 400 was chosen for 20–30% more requests per
// core, so the collector runs half as often as it did then at any
// percentage. An operator who would rather spend the memory for those 8%
// sets GOGC=400.
const defaultGCPercent = 100

// But the percentage is of the live heap, and at a thousand services the live
// heap is tens of MiB (issue 20): 100% would let the heap grow by as much
// again between collections, most of the gateway's peak RSS. So after every
// collection the percentage is set for a growth that keeps base and growth
// within headroomBudget, down to minHeadroom, and never below minGCPercent:
// a small heap keeps Go's pacing, a large one collects more often. At
// 1,000 services (a base of ~23 MiB) the heap may grow by 9 MiB, not 23,
// which is 14 MiB less peak RSS (issue 20's 64 MiB).
//
// The price: the collector's CPU per request goes as 1/headroom, so a
// gateway with a large live heap (thousands of services) under full load
// spends more of its core collecting. Measured with 20 MiB of live heap and
// 6 KiB allocated per request (bench/cmd/gcheadroom), GC took 1.1 µs per
// request at 16 MiB of headroom and 2.0 µs at 9, against the ~36 µs a
// proxied request costs: ~2.5% of req/s at that size. An operator who would
// rather spend the memory sets GOGC (and GOMEMLIMIT as a ceiling), which
// turns this off.
const (
	minHeadroom    = 8 << 20
	headroomBudget = 32 << 20
	minGCPercent   = 25
)

// headroomFor is how much the heap may grow over base before the next
// collection: what defaultGCPercent gives, cut so that base and growth stay
// within headroomBudget, but never below minHeadroom.
func headroomFor(base uint64) uint64 {
	own := base * defaultGCPercent / 100
	if base >= headroomBudget-minHeadroom {
		return min(own, minHeadroom)
	}
	return min(own, headroomBudget-base)
}

// gcPercentFor is the percentage for base bytes of what the percentage is
// of. That base is not the live heap alone: since Go 1.18 the heap may grow
// by GOGC% of the live heap plus the stacks and globals the collector scans,
// and at a thousand services the watches' stacks are as large as the heap.
// Counting the live heap alone let the heap goal pass 59 MiB with 7 MiB live
// when Consul's first answers came in, which made the gateway's peak RSS.
func gcPercentFor(base uint64) int {
	if base == 0 {
		return defaultGCPercent
	}
	p := uint64(100) * headroomFor(base) / base
	return int(max(minGCPercent, min(defaultGCPercent, p)))
}

// tuneGC applies the gateway's pacing unless GOGC is set, and reports whether
// it did; GOMEMLIMIT, when set, still bounds the heap as usual.
func tuneGC() bool {
	if _, set := os.LookupEnv("GOGC"); set {
		return false
	}
	debug.SetGCPercent(defaultGCPercent)
	return true
}

// gcPacer re-reads the live heap after each collection, until stopped.
type gcPacer struct {
	last    atomic.Int64
	stopped atomic.Bool
}

// gcSentinel is an object made to die in the next collection: its cleanup
// is the pacer's hook into every GC cycle. It holds a pointer so that it is
// not a tiny allocation (those may share a block and outlive a cycle).
type gcSentinel struct{ _ *byte }

func pace(p *gcPacer) {
	runtime.AddCleanup(&gcSentinel{}, func(p *gcPacer) {
		if !p.stopped.Load() {
			p.tune()
			pace(p)
		}
	}, p)
}

func (p *gcPacer) tune() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	var base uint64
	for _, v := range s {
		if v.Value.Kind() == metrics.KindUint64 {
			base += v.Value.Uint64()
		}
	}
	if pct := int64(gcPercentFor(base)); p.last.Swap(pct) != pct {
		debug.SetGCPercent(int(pct))
	}
}
