package typo

import (
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	known := []string{"route", "host", "methods", "strip-prefix", "websocket", "timeout", "try-timeout", "hash-on"}
	for _, tt := range []struct{ in, want string }{
		{"rout", "route"},
		{"ROUTE", "route"},
		{"tiemout", "timeout"},
		{"stripprefix", "strip-prefix"},
		{"hashon", "hash-on"},
		{"websockets", "websocket"},
		{"x", ""},        // too short for a guess to mean anything
		{"zzzzzzzz", ""}, // nothing close
		{"balancer", ""}, // not in the list
		{"try-timeut", "try-timeout"},
		{strings.Repeat("a", 1<<20), ""},
	} {
		if got := Suggest(tt.in, known); got != tt.want {
			t.Errorf("Suggest(%.20q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSuggestTiesGoToTheNameThatSortsFirst(t *testing.T) {
	t.Parallel()
	for range 20 {
		if got := Suggest("cat", []string{"cut", "bat", "cot"}); got != "bat" {
			t.Fatalf("Suggest = %q, want bat (distance 1, sorts first)", got)
		}
	}
}

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"route", "route", 0}, {"rout", "route", 1},
		{"ab", "ba", 1}, {"tiemout", "timeout", 1}, {"kitten", "sitting", 3},
		{"a", "abcdef", MaxDistance + 1},
	} {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
