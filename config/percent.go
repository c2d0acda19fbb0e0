package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Fraction reads "20%" as 0.2, and a bare number as a fraction ("0.2"), within 0..1.
func (p Percent) Fraction() (float64, error) {
	s := strings.TrimSpace(string(p))
	num, pct := strings.CutSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil {
		return 0, fmt.Errorf("expected a percentage such as \"20%%\", found %q", string(p))
	}
	if pct {
		f /= 100
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%q is not between 0%% and 100%%", string(p))
	}
	return f, nil
}
