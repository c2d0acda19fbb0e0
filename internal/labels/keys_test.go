package labels

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

// docsKeys reads the label table of docs/consul.md: every key it names as a
// tag (`bulwark.KEY=...`) or meta (`bulwark-KEY`).
func docsKeys(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("../../docs/consul.md")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	code := regexp.MustCompile("`([^`]+)`")
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, "| `") && !strings.HasPrefix(line, "| |") {
			continue // not a row of the label table
		}
		for _, m := range code.FindAllStringSubmatch(line, -1) {
			tok, _, _ := strings.Cut(m[1], "=")
			if k, ok := strings.CutPrefix(tok, tagPrefix); ok {
				keys[k] = true
			} else if k, ok := strings.CutPrefix(tok, metaPrefix); ok {
				keys[k] = true
			}
		}
	}
	if len(keys) == 0 {
		t.Fatal("docs/consul.md has no label table")
	}
	return keys
}

// The docs and the parser know the same keys: a key the parser reads itself
// is in the label table of docs/consul.md, a policy key's label is in the
// policy key table of docs/configuration.md (generated from the
// declarations), and the label table names no key bulwark ignores.
func TestEveryKeyIsDocumented(t *testing.T) {
	t.Parallel()
	documented := docsKeys(t)
	config, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		switch {
		case policies.IsMetaKey(metaPrefix + k):
			if !strings.Contains(string(config), "`"+metaPrefix+k+"`") {
				t.Errorf("policy label %s%s is not in the policy key table of docs/configuration.md", metaPrefix, k)
			}
		case !documented[k]:
			t.Errorf("key %q is not in the label table of docs/consul.md", k)
		}
	}
	for k := range documented {
		if !slices.Contains(Keys(), k) {
			t.Errorf("docs/consul.md documents %q, which no part of bulwark reads", k)
		}
	}
}

// typoOf misspells key by swapping two neighbouring letters in its middle,
// the commonest slip.
func typoOf(key string) string {
	b := []byte(key)
	for i := len(b)/2 - 1; i >= 0 && i+1 < len(b); i-- {
		if b[i] != b[i+1] && b[i] != '-' && b[i+1] != '-' {
			b[i], b[i+1] = b[i+1], b[i]
			return string(b)
		}
	}
	return key + "x"
}

// Every key bulwark reads, whoever uses it (routes, weight, documents,
// policies), answers a misspelling with itself, as a tag and as meta.
func TestATypoOfAnyKeyGetsItsSuggestion(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		typo := typoOf(k)
		s := Parse([]string{tagPrefix + typo + "=1"}, map[string]string{metaPrefix + typo: "1"})
		want := fmt.Sprintf("unknown label %q (did you mean %q?)", typo, k)
		if len(s.Problems) != 2 || !strings.Contains(s.Problems[0], want) || !strings.Contains(s.Problems[1], want) ||
			!strings.HasPrefix(s.Problems[0], "tag ") || !strings.HasPrefix(s.Problems[1], "meta ") {
			t.Errorf("%s misspelt %s: problems %q, want the tag's and the meta's, each saying %s", k, typo, s.Problems, want)
		}
	}
}

// Keys is a copy: a caller changing it changes nothing here.
func TestKeysIsACopy(t *testing.T) {
	t.Parallel()
	k := Keys()
	k[0] = "changed"
	if Keys()[0] == "changed" {
		t.Error("Keys returned the parser's own list")
	}
}
