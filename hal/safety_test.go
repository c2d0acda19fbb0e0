package hal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestLinksWithDangerousSchemesAreReportedAndMarkedUnsafe(t *testing.T) {
	tests := []struct {
		name, href string
		unsafe     bool
	}{
		{"a javascript: link", "javascript:alert(document.domain)", true},
		{"a javascript: link in capitals", "JavaScript:alert(1)", true},
		{"a data: link", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", true},
		{"a vbscript: link", "vbscript:msgbox(1)", true},
		{"a file: link", "file:///etc/passwd", true},
		{"a mailto: link", "mailto:ops@example.com", true},
		{"a javascript: link behind a leading space", " javascript:alert(1)", true},
		{"a javascript: link split by a tab", "java\tscript:alert(1)", true},
		{"a javascript: link split by a newline", "java\nscript:alert(1)", true},
		{"a javascript: link with a trailing NUL", "javascript:alert(1)\u0000", true},
		{"a templated javascript: link", "javascript:{x}", true},
		{"an http link", "http://example.com/a", false},
		{"an https link in capitals", "HTTPS://example.com/a", false},
		{"a root-relative link", "/books/1", false},
		{"a relative link", "books/1", false},
		{"a relative link with a colon after a slash", "./a:b", false},
		{"a query-only link", "?page=2", false},
		{"a network-path link", "//cdn.example.com/x", false},
		{"an empty href (the document itself)", "", false},
	}
	for _, tt := range tests {
		verdict := "is safe"
		if tt.unsafe {
			verdict = "is reported and marked unsafe"
		}
		t.Run(tt.name+" "+verdict, func(t *testing.T) {
			href, _ := marshal(tt.href)
			d := mustParse(t, fmt.Sprintf(`{"_links":{"evil":{"href":%s},"self":{"href":"/"}}}`, href))
			l, _ := d.Link("evil")
			if l.Unsafe != tt.unsafe {
				t.Errorf("Unsafe = %v, want %v", l.Unsafe, tt.unsafe)
			}
			if tt.unsafe != hasProblem(d, "/_links/evil/href", "") {
				t.Errorf("problems = %v, want one at /_links/evil/href: %v", d.Problems, tt.unsafe)
			}
			if _, err := l.Expand(nil); tt.unsafe != errors.Is(err, ErrUnsafeURL) {
				t.Errorf("Expand error = %v, want ErrUnsafeURL: %v", err, tt.unsafe)
			}
			if self, _ := d.Link("self"); self.Unsafe {
				t.Error("one unsafe link made its neighbour unsafe")
			}
		})
	}
}

func TestUnsafeURLsAreFoundWhereverTheyAre(t *testing.T) {
	doc := `{
	  "_links": {"items": [{"href": "/ok"}, {"href": "data:,x"}],
	             "doc": {"href": "/d", "deprecation": "javascript:alert(1)"},
	             "curies": [{"name": "x", "href": "javascript:{rel}", "templated": true}]},
	  "_embedded": {"child": {"_links": {"self": {"href": "vbscript:x"}}}},
	  "_templates": {"default": {"method": "POST", "target": "javascript:alert(1)",
	    "properties": [{"name": "a", "options": {"link": {"href": "file:///etc/passwd"}}}]}}
	}`
	d := mustParse(t, doc)
	for _, ptr := range []string{
		"/_links/items/1/href", "/_links/doc/deprecation", "/_links/curies/0/href",
		"/_embedded/child/_links/self/href", "/_templates/default/target",
		"/_templates/default/properties/0/options/link/href",
	} {
		if !hasProblem(d, ptr, "not http or https") {
			t.Errorf("no problem at %s in %v", ptr, d.Problems)
		}
	}
	if !d.Templates["default"].Unsafe || !d.Links["doc"][0].Unsafe || !d.Embedded["child"][0].Links["self"][0].Unsafe {
		t.Error("an unsafe target, deprecation or embedded href was not marked unsafe")
	}
	if u, ok := d.ResolveRel("x:items"); ok {
		t.Errorf("an unsafe CURIE resolved to %q", u)
	}
	if n := RewriteOrigins(d, []string{"http://127.0.0.1:9101"}, "https://gw.example.com", ""); n != 0 {
		t.Errorf("rewriting touched %d unsafe URLs", n)
	}
}

func TestExpansionNeverProducesAnUnsafeURL(t *testing.T) {
	tests := []struct{ name, href, value string }{
		{"a reserved expansion of a javascript: URL", "{+u}", "javascript:alert(1)"},
		{"a reserved expansion of a data: URL", "{+u}/x", "data:text/html,x"},
		{"a scheme built from a variable and a literal colon", "{u}:alert(1)", "javascript"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			l := Link{Href: tt.href, Templated: true}
			if u, err := l.Expand(map[string]string{"u": tt.value}); !errors.Is(err, ErrUnsafeURL) {
				t.Errorf("Expand = %q, %v; want ErrUnsafeURL", u, err)
			}
		})
	}
}

func TestNestingIsBoundedSoThatDeepDocumentsCannotExhaustTheParser(t *testing.T) {
	tests := []struct {
		name      string
		parser    Parser
		levels    int
		wantDepth int
	}{
		{"a document as deep as the default limit is read entirely", Parser{}, 32, 32},
		{"below the default 32 levels embedded resources are dropped", Parser{}, 2000, 32},
		{"a smaller limit is honoured", Parser{MaxDepth: 3}, 10, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Repeat(`{"_embedded":{"down":`, tt.levels) + `{"leaf":true}` + strings.Repeat(`}}`, tt.levels)
			d, err := tt.parser.Parse([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			depth := 0
			for len(d.Embedded["down"]) == 1 {
				d, depth = d.Embedded["down"][0], depth+1
			}
			if depth != tt.wantDepth {
				t.Errorf("read %d levels, want %d", depth, tt.wantDepth)
			}
		})
	}
	t.Run("nesting deeper than encoding/json reads is an error, not a crash", func(t *testing.T) {
		doc := strings.Repeat(`{"_embedded":{"down":`, 6000) + `{}` + strings.Repeat(`}}`, 6000)
		var se *SyntaxError
		if _, err := Parse([]byte(doc)); !errors.As(err, &se) || !strings.Contains(err.Error(), "max depth") {
			t.Errorf("error = %v, want a located syntax error about depth", err)
		}
	})
	t.Run("the cut is reported where it happens", func(t *testing.T) {
		doc := strings.Repeat(`{"_embedded":{"down":`, 3) + `{}` + strings.Repeat(`}}`, 3)
		d, _ := Parser{MaxDepth: 2}.Parse([]byte(doc))
		if !hasProblem(d, "/_embedded/down/_embedded/down/_embedded", "deeper than 2 levels") {
			t.Errorf("problems = %v", d.Problems)
		}
	})
}

func TestLinksPerDocumentAreBounded(t *testing.T) {
	var rels []string
	for i := range 10 {
		rels = append(rels, `"r`+strconv.Itoa(i)+`":{"href":"/`+strconv.Itoa(i)+`"}`)
	}
	d, err := Parser{MaxLinks: 4}.Parse([]byte(`{"_links":{` + strings.Join(rels, ",") + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ls := range d.Links {
		n += len(ls)
	}
	if n != 4 || !hasProblem(d, "/_links", "more than 4 links") {
		t.Errorf("kept %d links with problems %v, want 4 and a problem at /_links", n, d.Problems)
	}
}

func TestProblemsAreCappedSoThatAHostileDocumentCannotFloodThePortal(t *testing.T) {
	d := mustParse(t, `{"_links":{"a":[`+strings.Repeat(`{"href":"data:,x"},`, 500)+`{"href":"/"}]}}`)
	if len(d.Problems) != maxProblems+1 || !strings.Contains(d.Problems[maxProblems].Message, "300 more problems") {
		t.Errorf("%d problems, last %v", len(d.Problems), d.Problems[len(d.Problems)-1])
	}
}
