package policies

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseShare reads "20%" as 0.2, and a bare number as a fraction ("0.2"),
// from 0 to 1: the budgets and caps given as shares, in the file and in labels.
func ParseShare(s string) (float64, error) {
	num, pct := strings.CutSuffix(strings.TrimSpace(s), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("expected a percentage such as \"20%%\", found %q", s)
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not between 0%% and 100%%", s)
	}
	return f, nil
}
