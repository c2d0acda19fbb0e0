package hal

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// within fails the test when f has not returned after d.
func within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: a walk does not terminate", d)
	}
}

// manyLinks is a document whose every embedded resource, at every level,
// has perResource links: wide, deep and link-heavy at once.
func manyLinks(levels, width, perResource int) string {
	links := make([]string, perResource)
	for i := range links {
		links[i] = `{"href":"http://127.0.0.1:9101/r/` + strconv.Itoa(i) + `"}`
	}
	res := `{"_links":{"item":[` + strings.Join(links, ",") + `]}}`
	for range levels {
		items := strings.TrimSuffix(strings.Repeat(res+",", width), ",")
		res = `{"_links":{"item":[` + strings.Join(links, ",") + `]},"_embedded":{"e":[` + items + `]}}`
	}
	return res
}

func countDoc(d *Document) (resources, links int) {
	resources = 1
	for _, ls := range d.Links {
		links += len(ls)
	}
	for _, docs := range d.Embedded {
		for _, e := range docs {
			r, l := countDoc(e)
			resources, links = resources+r, links+l
		}
	}
	return resources, links
}

func TestWholeDocumentBudgetsBoundResourcesAndLinks(t *testing.T) {
	// 1 + 6 + 36 + ... + 6^5 = 9,331 resources of 10 links each.
	doc := manyLinks(5, 6, 10)
	within(t, 2*time.Minute, func() {
		d, err := Parser{MaxResources: 1000, MaxTotalLinks: 5000}.Parse([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		res, links := countDoc(d)
		if res > 1000+1 || links > 5000 {
			t.Errorf("kept %d resources and %d links, want at most 1001 and 5000", res, links)
		}
		if !hasProblemText(d, "more than 1000 embedded resources") {
			t.Errorf("no problem says resources were dropped: %v", d.Problems)
		}
		if n := RewriteOrigins(d, []string{"http://127.0.0.1:9101"}, "/", "/p"); n == 0 {
			t.Error("nothing rewritten")
		}
		if _, err := d.Encode(); err != nil {
			t.Fatal(err)
		}
	})
}

func hasProblemText(d *Document, msg string) bool {
	for _, p := range d.Problems {
		if strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

// TestCyclicDocumentsBuiltInCodeAreRefused: a Document is a plain struct, so
// code can embed a document in itself. Rewriting and encoding stop there
// instead of recursing until the stack runs out.
func TestCyclicDocumentsBuiltInCodeAreRefused(t *testing.T) {
	d := mustParse(t, `{"_links":{"self":{"href":"http://127.0.0.1:9101/"}},"_embedded":{"me":{"_links":{"self":{"href":"http://127.0.0.1:9101/x"}}}}}`)
	d.Embedded["me"] = append(d.Embedded["me"], d)
	within(t, 2*time.Minute, func() {
		if n := RewriteOrigins(d, []string{"http://127.0.0.1:9101"}, "/", ""); n != 2 {
			t.Errorf("rewrote %d links, want 2 (each once)", n)
		}
		if _, err := d.Encode(); err == nil || !strings.Contains(err.Error(), "contains itself") {
			t.Errorf("Encode error = %v, want one saying the document contains itself", err)
		}
	})
	// An acyclic chain far deeper than Parse ever builds.
	root := &Document{Links: map[string][]Link{"self": {{Href: "http://127.0.0.1:9101/"}}}}
	for at, i := root, 0; i < 100000; i++ {
		next := &Document{Links: map[string][]Link{"self": {{Href: "http://127.0.0.1:9101/"}}}}
		at.Embedded = map[string][]*Document{"down": {next}}
		at = next
	}
	within(t, 2*time.Minute, func() {
		if n := RewriteOrigins(root, []string{"http://127.0.0.1:9101"}, "/", ""); n == 0 || n > maxWalkResources {
			t.Errorf("rewrote %d links, want between 1 and %d", n, maxWalkResources)
		}
		if _, err := root.Encode(); err == nil || !strings.Contains(err.Error(), "deeper than") {
			t.Errorf("Encode error = %v, want one saying the document is too deep", err)
		}
	})
}
