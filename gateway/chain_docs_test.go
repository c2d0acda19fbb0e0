package gateway

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The order in docs/architecture.md, where each stage's place is explained,
// is the order newChain builds.
func TestTheDocsListTheStagesInOrder(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## The request path\n")
	if !ok {
		t.Fatal(`docs/architecture.md has no "## The request path" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var documented []string
	for line := range strings.Lines(section) {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "|") {
			continue
		}
		if name := strings.Trim(strings.TrimSpace(cells[2]), "`"); strings.HasSuffix(name, "Stage") {
			documented = append(documented, name)
		}
	}

	c := New(Options{}).chain
	var built []string
	for _, s := range c.request {
		built = append(built, typeName(s))
	}
	built = append(built, typeName(c.upstream))
	for _, s := range c.response {
		built = append(built, typeName(s))
	}
	if !slices.Equal(documented, built) {
		t.Errorf("docs/architecture.md lists the stages\n\t%v\nnewChain builds\n\t%v", documented, built)
	}
}

func typeName(v any) string {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
