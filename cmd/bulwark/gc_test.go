package main

import (
	"os"
	"runtime"
	"runtime/debug"
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
		{2 << 20, defaultGCPercent}, // a small gateway keeps the throughput pacing
		{4 << 20, defaultGCPercent}, // 400% of 4 MiB is the 16 MiB headroom exactly
		{8 << 20, 200},
		{16 << 20, 100}, // the last base with the whole 16 MiB
		{23 << 20, 39},  // 1,000 services: 9 MiB of headroom, base and headroom within 32 MiB
		{24 << 20, 33},  // the floor: 8 MiB
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
