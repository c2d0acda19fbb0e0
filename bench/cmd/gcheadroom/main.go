// Command gcheadroom measures what the garbage collector costs per request
// for a given headroom over a live heap the size of a 1,000-service
// gateway's: cmd/bulwark/gc.go shrinks the headroom as the live heap grows
// (issue 20), and this is the price it pays for that, in CPU.
//
// It builds ~20 MiB of pointerful live heap (structs, strings, slices and
// maps, as routes, instances and series are), sets GOGC so the heap may
// grow by -headroom MiB, allocates like -requests proxied requests (~6 KiB
// in 90 objects each), and reports the collector's CPU per request from
// runtime/metrics. Pin it to a core for steady figures:
//
//	taskset -c 0 go run ./bench/cmd/gcheadroom -headroom 16
//	taskset -c 0 go run ./bench/cmd/gcheadroom -headroom 9
package main

import (
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"time"
)

type node struct {
	next *node
	name string
	vals []int
	m    map[string]string
}

var (
	live []*node
	sink [][]byte
)

func main() {
	headroom := flag.Int("headroom", 16, "MiB the heap may grow by between collections")
	nodes := flag.Int("nodes", 44000, "live objects to build (44,000 is ~20 MiB)")
	requests := flag.Int("requests", 400000, "requests to allocate for")
	flag.Parse()
	for i := range *nodes {
		n := &node{name: strconv.Itoa(i), vals: make([]int, 8), m: map[string]string{"a": "b"}}
		if len(live) > 0 {
			n.next = live[len(live)-1]
		}
		live = append(live, n)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pct := int(uint64(100) * uint64(*headroom<<20) / (ms.HeapAlloc + ms.StackInuse))
	debug.SetGCPercent(pct)
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	gc0, cycles0 := s[0].Value.Float64(), s[1].Value.Uint64()
	start := time.Now()
	for range *requests {
		for j := range 90 {
			b := make([]byte, 64)
			if j%30 == 0 {
				sink = append(sink[:0], b)
			}
		}
	}
	wall := time.Since(start)
	metrics.Read(s)
	n := float64(*requests)
	fmt.Printf("headroom %d MiB over %.1f MiB live (GOGC %d): %d collections, GC CPU %.2f µs per request, wall %.2f µs per request\n",
		*headroom, float64(ms.HeapAlloc)/(1<<20), pct, s[1].Value.Uint64()-cycles0,
		(s[0].Value.Float64()-gc0)*1e6/n, float64(wall.Nanoseconds())/1e3/n)
}
