package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestTuneGC(t *testing.T) {
	tests := []struct {
		name string
		gogc *string // nil means unset
		want int
	}{
		{
			name: "GOGC set by the operator leaves the percentage alone",
			gogc: new("50"),
			want: 123, // the value set before tuneGC
		},
		{
			name: "GOGC=off set by the operator leaves the percentage alone",
			gogc: new("off"),
			want: 123,
		},
		{
			name: "GOGC unset applies the gateway's default",
			gogc: nil,
			want: defaultGCPercent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keepGCPercent(t)
			t.Setenv("GOGC", "") // restores the variable after the test
			if tt.gogc == nil {
				if err := os.Unsetenv("GOGC"); err != nil {
					t.Fatal(err)
				}
			} else {
				t.Setenv("GOGC", *tt.gogc)
			}
			debug.SetGCPercent(123)
			tuneGC()
			if got := gcPercent(); got != tt.want {
				t.Errorf("GC percent after tuneGC = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestGCPercentFor(t *testing.T) {
	for _, tt := range []struct {
		live uint64
		want int
	}{
		{0, defaultGCPercent},
		{2 << 20, defaultGCPercent}, // a small gateway keeps Go's own pacing
		{4 << 20, defaultGCPercent}, // the bench's one-service gateway: ~4 MiB of growth
		{8 << 20, defaultGCPercent},
		{16 << 20, defaultGCPercent}, // the last base that may double: 32 MiB in all
		{20 << 20, 60},               // past it, base and growth stay within 32 MiB
		{23 << 20, 39},               // 1,000 services: 9 MiB of headroom
		{24 << 20, 33},               // the floor: 8 MiB
		{32 << 20, minGCPercent},
		{64 << 20, minGCPercent},
		{1 << 30, minGCPercent}, // never collecting all the time
	} {
		if got := gcPercentFor(tt.live); got != tt.want {
			t.Errorf("gcPercentFor(%d MiB) = %d, want %d", tt.live>>20, got, tt.want)
		}
	}
}

// TestTheGCPacerFollowsTheLiveHeap: with 64 MiB live, a collection makes the
// pacer lower the percentage (a real GC cycle, the real hook).
func TestTheGCPacerFollowsTheLiveHeap(t *testing.T) {
	keepGCPercent(t)
	debug.SetGCPercent(defaultGCPercent)
	p := new(gcPacer)
	pace(p)
	t.Cleanup(func() { p.stopped.Store(true) })
	live := make([][]byte, 64)
	for i := range live {
		live[i] = make([]byte, 1<<20)
	}
	deadline := 200
	for gcPercent() > 60 {
		if deadline--; deadline == 0 {
			t.Fatalf("GC percent %d after 200 collections with 64 MiB live, want about 50", gcPercent())
		}
		runtime.GC()
		runtime.Gosched()
	}
	runtime.KeepAlive(live)
	if got := gcPercent(); got < minGCPercent {
		t.Errorf("GC percent %d, below the floor %d", got, minGCPercent)
	}
}

// TestASmallGatewaysHeapGrowsByItsOwnSize: with the gateway's pacing, the
// runtime's heap goal for a small heap is what is live plus as much again,
// from the first collection on. At 400% a heap of a few MiB could grow by
// 16 MiB before each collection, which was two fifths of a one-service
// gateway's peak RSS under load (issue 19).
func TestASmallGatewaysHeapGrowsByItsOwnSize(t *testing.T) {
	keepGCPercent(t)
	t.Setenv("GOGC", "")
	if err := os.Unsetenv("GOGC"); err != nil {
		t.Fatal(err)
	}
	if !tuneGC() {
		t.Fatal("tuneGC did not apply the gateway's pacing with GOGC unset")
	}
	runtime.GC()
	s := []metrics.Sample{
		{Name: "/gc/heap/goal:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/gc/scan/stack:bytes"},
		{Name: "/gc/scan/globals:bytes"},
	}
	metrics.Read(s)
	goal, live := s[0].Value.Uint64(), s[1].Value.Uint64()
	base := live + s[2].Value.Uint64() + s[3].Value.Uint64()
	if base > 16<<20 {
		t.Skipf("this test binary's base is %d MiB, past the small-heap range", base>>20)
	}
	// Go never aims below 4 MiB at 100%; above that the goal is live + base.
	want := max(4<<20, live+base)
	const slack = 1 << 20 // rounding and the heap's fragments between reads
	if goal > want+slack {
		t.Errorf("heap goal %.1f MiB with %.1f MiB live (base %.1f MiB), want at most %.1f MiB",
			mib(goal), mib(live), mib(base), mib(want))
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
