package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Problem is one thing wrong with a config file, located the way compilers and
// editors expect (file:line:column), so an operator can jump straight to it.
type Problem struct {
	// File is the name the file was loaded or parsed under; empty for a File built in code.
	File string
	// Line and Column are 1-based; zero when the position is unknown.
	Line, Column int
	// Msg says what is wrong, starting with the dotted path of the value
	// (e.g. "routes[1].path: must start with \"/\"").
	Msg string
}

// String formats the problem as "file:line:column: msg", dropping the parts that
// are unknown ("file:line: msg", "file: msg", or just "msg").
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
	}
	if p.Line > 0 {
		fmt.Fprintf(&b, "%d:", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, "%d:", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in a file. Loading and validation collect them
// all rather than stopping at the first, so one run of `bulwark check` shows the
// whole list.
type Problems []Problem

// Error lists the problems one per line, sorted by line then column.
func (ps Problems) Error() string {
	sorted := slices.Clone(ps)
	sortProblems(sorted)
	lines := make([]string, len(sorted))
	for i, p := range sorted {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// sortProblems orders problems by position; the sort is stable so problems at the
// same place keep the order in which they were found.
func sortProblems(ps Problems) {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
}

// asError returns the sorted problems as an error, or nil when there are none, so
// callers never receive a non-nil error holding an empty list.
func asError(ps Problems) error {
	if len(ps) == 0 {
		return nil
	}
	sortProblems(ps)
	return ps
}
