package main

import (
	"os"
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
