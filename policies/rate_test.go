package policies

import (
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		want    Rate
		wantErr string // "" for success; else a part of the reason
	}{
		{"per second", "100/s", Rate{100, time.Second}, ""},
		{"per minute", "6000/m", Rate{6000, time.Minute}, ""},
		{"per hour", "10/h", Rate{10, time.Hour}, ""},
		{"long unit names", "3/min", Rate{3, time.Minute}, ""},
		{"a duration as the unit", "5/10s", Rate{5, 10 * time.Second}, ""},
		{"a sub-second duration", "1/250ms", Rate{1, 250 * time.Millisecond}, ""},
		{"surrounding spaces are ignored", " 7/s ", Rate{7, time.Second}, ""},
		{"empty is no limit", "", Rate{}, ""},
		{"no slash", "100", Rate{}, "no /"},
		{"a zero count", "0/s", Rate{}, "at least 1"},
		{"a negative count", "-1/s", Rate{}, "at least 1"},
		{"a plus sign", "+1/s", Rate{}, "at least 1"},
		{"a fractional count", "1.5/s", Rate{}, "at least 1"},
		{"a count that overflows", "99999999999999999999/s", Rate{}, "at least 1"},
		{"a count past int32", "3000000000/s", Rate{}, "too large"},
		{"a missing unit", "5/", Rate{}, "no unit"},
		{"an unknown unit", "5/d", Rate{}, "the unit must be"},
		{"a unit in capitals", "5/S", Rate{}, "the unit must be"},
		{"a duration that does not parse", "5/10x", Rate{}, "at least 1ms"},
		{"a zero duration", "5/0s", Rate{}, "at least 1ms"},
		{"a duration under a millisecond", "5/10us", Rate{}, "at least 1ms"},
		{"spaces inside", "5 / s", Rate{}, "at least 1"},
		{"two slashes", "5/s/s", Rate{}, "the unit must be"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRate(tc.in)
			if tc.wantErr == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseRate(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				}
				if back, _ := ParseRate(got.String()); back != got {
					t.Errorf("%v written as %q reads back as %v", got, got.String(), back)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != (Rate{}) {
				t.Fatalf("ParseRate(%q) = %v, %v; want an error with %q", tc.in, got, err, tc.wantErr)
			}
		})
	}
}
