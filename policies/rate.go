package policies

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Rate is the value of a Rate key: N requests per Per, written "100/s",
// "6000/m", "10/h" or "5/10s". The zero Rate is "no limit".
type Rate struct {
	N   int
	Per time.Duration
}

// ParseRate reads a rate as the file and labels write it: "N/unit", N a
// whole number from 1, the unit s, m, h (or sec, min, hour, second, minute)
// or a Go duration from 1ms ("5/10s" is five requests per ten seconds).
// "" is no limit. Surrounding spaces are ignored; nothing else is.
func ParseRate(s string) (Rate, error) {
	if strings.TrimSpace(s) == "" {
		return Rate{}, nil
	}
	fail := func(why string) (Rate, error) {
		return Rate{}, fmt.Errorf("%q is not a rate: %s (write it as 100/s, 6000/m or 5/10s)", s, why)
	}
	count, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return fail("no / between the count and the unit")
	}
	n, err := strconv.Atoi(count)
	switch {
	case err != nil || n < 1 || count[0] == '+':
		return fail("the count must be a whole number of at least 1")
	case n > math.MaxInt32:
		return fail("the count is too large")
	}
	var per time.Duration
	switch unit {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	case "":
		return fail("no unit after /")
	default:
		if unit[0] < '0' || unit[0] > '9' {
			return fail("the unit must be s, m, h or a duration such as 10s")
		}
		if per, err = time.ParseDuration(unit); err != nil || per < time.Millisecond {
			return fail("the period must be a duration of at least 1ms")
		}
	}
	return Rate{N: n, Per: per}, nil
}

// String writes the rate as ParseRate reads it, "" for no limit.
func (r Rate) String() string {
	switch {
	case r.N == 0:
		return ""
	case r.Per == time.Second:
		return strconv.Itoa(r.N) + "/s"
	case r.Per == time.Minute:
		return strconv.Itoa(r.N) + "/m"
	case r.Per == time.Hour:
		return strconv.Itoa(r.N) + "/h"
	}
	return strconv.Itoa(r.N) + "/" + shortDuration(r.Per)
}

// MarshalText writes the rate for the admin API's JSON.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a rate; "" is no limit.
func (r *Rate) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = Rate{}
		return nil
	}
	v, err := ParseRate(string(b))
	*r = v
	return err
}
