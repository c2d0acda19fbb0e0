package policies

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the policy key table in docs/configuration.md from the declarations")

// The table of policy keys in the configuration reference is generated from
// the declarations, between these two lines.
const (
	tableBegin = "<!-- policy keys: generated from policies/keys.go; `go test ./policies -update` rewrites it -->"
	tableEnd   = "<!-- end of policy keys -->"
)

// The docs table says what the declarations say: a key added, renamed or
// given a new default or range without the docs fails here, with the table
// to paste (or run the test with -update).
func TestDocsTableMatchesTheDeclarations(t *testing.T) {
	path := filepath.Join("..", "docs", "configuration.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no policy key table between %q and %q", path, tableBegin, tableEnd)
	}
	want := "\n" + markdownTable() + "\n"
	if doc[i+len(tableBegin):j] == want {
		return
	}
	if *update {
		doc = doc[:i+len(tableBegin)] + want + doc[j:]
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the policy key table in %s differs from the declarations in keys.go; "+
		"run `go test ./policies -run TestDocsTable -update`, or paste this between the markers:\n%s", path, want)
}

// markdownTable renders the declarations as the configuration reference shows them.
func markdownTable() string {
	var b strings.Builder
	b.WriteString("| key | type | built-in | range | label | per route | meaning |\n|---|---|---|---|---|---|---|\n")
	for _, k := range keys {
		label := "none"
		if l := k.Label(); l != "" {
			label = "`" + MetaPrefix + l + "`"
		}
		def := formatValue(k.Default())
		if d, ok := k.Default().(time.Duration); ok {
			def = shortDuration(d)
		}
		if k.labelMax != 0 {
			label += " (at most " + code(k.Kind.format(k.labelMax)) + ")"
		}
		route := "no"
		if k.Route {
			route = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", k.Name, k.Kind, code(def),
			rangeText(k), label, route, strings.ReplaceAll(k.Doc, "|", `\|`))
	}
	fmt.Fprintf(&b, "\nA label holds a value to the same range as the file and, since a service's team writes it, "+
		"to at most `%s` for a duration and %d for a number unless its row says otherwise. "+
		"A key marked per route may also be set in a route's block, for that route's requests.\n",
		shortDuration(labelMaxDuration), labelMaxNumber)
	return b.String()
}

// rangeText says which values a key takes.
func rangeText(k Key) string {
	switch k.Kind {
	case Choice:
		return orList(codes(k.Values))
	case Hash:
		return orList(codes([]string{"header:NAME", "cookie:NAME", "path:N"}))
	case Bool:
		return "`true` or `false`"
	case Text, Strings:
		if k.text.form == "" {
			return "any"
		}
		return k.text.form
	case PerTime:
		return "`N/s`, `N/m`, `N/h` or `N/DURATION`"
	}
	r := k.Range
	lo := code(k.Kind.format(r.Min))
	if r.MinMeans != "" {
		lo += " (" + r.MinMeans + ")"
	}
	switch {
	case r.Max > r.Min:
		return lo + " to " + code(k.Kind.format(r.Max))
	case r.Above:
		return "more than " + lo
	}
	return lo + " or more"
}

func code(s string) string {
	if s == "" {
		return "none"
	}
	return "`" + s + "`"
}

func codes(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = code(v)
	}
	return out
}
