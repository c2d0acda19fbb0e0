package config

import "github.com/bulwark-gw/bulwark/policies"

// Fraction reads "20%" as 0.2, and a bare number as a fraction ("0.2"), within 0..1.
func (p Percent) Fraction() (float64, error) { return policies.ParseShare(string(p)) }
