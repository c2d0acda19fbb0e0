package policies

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// A size is written as a whole number of bytes (65536) or with a binary or
// decimal unit (64KiB, 64MiB, 1GB), as Kubernetes quantities and Caddy's
// sizes are: a cache budget of 67108864 bytes is hard to read and easy to
// get wrong by a digit.

var byteUnits = []struct {
	suffix string
	n      int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1},
}

// ParseBytes reads a size: digits, optionally followed by one of B, KB, MB,
// GB, KiB, MiB, GiB (case-sensitive, so that "mb" is not taken for
// millibits or megabytes by guess). Negative numbers parse, so that a range
// check can say what is wrong with them.
func ParseBytes(s string) (int64, error) {
	num, unit := strings.TrimSpace(s), int64(1)
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, unit = strings.TrimSpace(n), u.n
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, errors.New("not a size (write a whole number of bytes, or one with a unit: 64KiB, 64MiB, 1GB)")
	}
	if n > math.MaxInt64/unit || n < math.MinInt64/unit {
		return 0, errors.New("too large a size")
	}
	return n * unit, nil
}

// FormatBytes writes a size with the largest binary unit that divides it,
// as people write budgets: 65536 is "64KiB", 1000 stays "1000".
func FormatBytes(n int64) string {
	for _, u := range []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
