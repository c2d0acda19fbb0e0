package policies

import (
	"fmt"
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

// ParseRate reads a rate as the file and labels write it; "" is no limit.
func ParseRate(s string) (Rate, error) {
	if strings.TrimSpace(s) == "" {
		return Rate{}, nil
	}
	count, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not a rate (write it as 100/s, 6000/m or 5/10s)", s)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return Rate{}, fmt.Errorf("%q: the count before / must be a whole number of at least 1", s)
	}
	var d time.Duration
	switch per {
	case "s":
		d = time.Second
	case "m":
		d = time.Minute
	case "h":
		d = time.Hour
	default:
		d, err = time.ParseDuration(per)
		if err != nil || d < time.Millisecond {
			return Rate{}, fmt.Errorf("%q: the period after / must be s, m, h or a duration of at least 1ms", s)
		}
	}
	return Rate{N: n, Per: d}, nil
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
