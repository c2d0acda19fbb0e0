// Package typo suggests the name a user probably meant: config keys in the
// YAML file and label keys on Consul registrations are both checked against a
// list of known names, and both answer a misspelling with the same "did you
// mean" (Cargo, kubectl and Traefik's own CLI do this too).
//
// It lives under internal/ and imports nothing from bulwark, so config and
// gateway can share it without importing each other.
package typo

import (
	"slices"
	"strings"
)

// MaxDistance is how far a typo may be from a known name and still be
// suggested: two edits catch "tiemout", "servce" and "hash-on".
const MaxDistance = 2

// Suggest returns the known name closest to s (case-insensitively, counting a
// swap of two neighbouring letters as one edit), or "" when none is within
// MaxDistance or s is too short for a guess to mean anything. Ties go to the
// name that sorts first, so the suggestion is stable.
func Suggest(s string, known []string) string {
	known = slices.Sorted(slices.Values(known))
	s = strings.ToLower(s)
	best, bestDist := "", MaxDistance+1
	for _, k := range known {
		if d := Distance(s, strings.ToLower(k)); d < bestDist && d < len(s) {
			best, bestDist = k, d
		}
	}
	return best
}

// Distance is the optimal-string-alignment distance between a and b (in
// bytes), or a number above MaxDistance when their lengths alone rule a match
// out, which keeps a pathological key of a megabyte cheap to reject.
func Distance(a, b string) int {
	if diff := len(a) - len(b); diff > MaxDistance || -diff > MaxDistance {
		return MaxDistance + 1
	}
	// prev2, prev and cur are three rows of the dynamic-programming table.
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
