package config

import (
	"errors"
	"strings"
	"testing"
)

// problemsOf parses src as "b.yaml" and returns each problem as
// "file:line:column: msg", failing the test when err is not Problems.
func problemsOf(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("b.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse returned %T (%v), want Problems", err, err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// checkProblems asserts that the problems are exactly want, in order.
func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// checkContains asserts that some problem contains each of want.
func checkContains(t *testing.T, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, g := range got {
			if strings.Contains(g, w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("no problem contains %q; problems:\n  %s", w, strings.Join(got, "\n  "))
		}
	}
}

// withPets appends a static service "pets" to a config fragment, so that routes
// to it pass the unknown-service check and the fragment's line numbers hold.
func withPets(src string) string {
	return src + "\ndiscovery:\n  static:\n    - service: pets\n      instances: [\"127.0.0.1:9001\"]\n"
}
