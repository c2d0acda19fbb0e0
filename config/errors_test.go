package config

import (
	"errors"
	"testing"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		name string
		p    Problem
		want string
	}{
		{"a full position reads file:line:column: msg", Problem{"b.yaml", 3, 7, "boom"}, "b.yaml:3:7: boom"},
		{"an unknown column is left out", Problem{"b.yaml", 3, 0, "boom"}, "b.yaml:3: boom"},
		{"an unknown line is left out", Problem{"b.yaml", 0, 0, "boom"}, "b.yaml: boom"},
		{"a file built in code has only the message", Problem{"", 0, 0, "boom"}, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestProblemsAreListedOnePerLineInSourceOrder(t *testing.T) {
	ps := Problems{{"f", 9, 1, "c"}, {"f", 2, 5, "b"}, {"f", 2, 1, "a"}}
	want := "f:2:1: a\nf:2:5: b\nf:9:1: c"
	if got := ps.Error(); got != want {
		t.Errorf("Error() =\n%s\nwant\n%s", got, want)
	}
	if ps[0].Msg != "c" {
		t.Error("Error() reordered the receiver")
	}
}

func TestNoProblemsIsANilError(t *testing.T) {
	if err := asError(nil); err != nil {
		t.Errorf("asError(nil) = %v, want nil", err)
	}
	var ps Problems
	if !errors.As(asError(Problems{{Msg: "x"}}), &ps) || len(ps) != 1 {
		t.Errorf("asError did not return Problems")
	}
}
