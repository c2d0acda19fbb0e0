package hal

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, doc string) *Document {
	t.Helper()
	d, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

// hasProblem reports whether d has a problem at ptr whose message contains msg.
func hasProblem(d *Document, ptr, msg string) bool {
	for _, p := range d.Problems {
		if p.Pointer == ptr && strings.Contains(p.Message, msg) {
			return true
		}
	}
	return false
}

func TestProblemsSayWhereAndWhat(t *testing.T) {
	tests := []struct {
		name, doc, pointer, message string
	}{
		{"a link without href", `{"_links":{"self":{"title":"me"}}}`, "/_links/self", "needs an href"},
		{"a templated href that does not parse", `{"_links":{"find":{"href":"/x{?q","templated":true}}}`, "/_links/find/href", "does not parse"},
		{"an array where _links belongs", `{"_links":[{"href":"/"}]}`, "/_links", "want an object, not an array"},
		{"a rel holding a string", `{"_links":{"self":"/"}}`, "/_links/self", "not a string"},
		{"a string inside a rel's array", `{"_links":{"item":[{"href":"/1"},"/2"]}}`, "/_links/item/1", "want an object, not a string"},
		{"an embedded resource that is a number", `{"_embedded":{"item":[{},7]}}`, "/_embedded/item/1", "not a number"},
		{"_templates that is a string", `{"_templates":"none"}`, "/_templates", "want an object"},
		{"templated written as a string", `{"_links":{"s":{"href":"/{x}","templated":"true"}}}`, "/_links/s/templated", "want a boolean, not a string"},
		{"a duplicate key", `{"_links":{"self":{"href":"/a"},"self":{"href":"/b"}}}`, "/_links/self", "duplicate key"},
		{"a CURIE without {rel}", `{"_links":{"curies":[{"name":"ex","href":"/docs","templated":true}]}}`, "/_links/curies/0/href", "{rel}"},
		{"a CURIE without a name", `{"_links":{"curies":[{"href":"/docs/{rel}","templated":true}]}}`, "/_links/curies/0", "needs a name"},
		{"a rel with a slash, escaped as RFC 6901 says", `{"_links":{"a/b~c":{}}}`, "/_links/a~1b~0c", "needs an href"},
		{"a template without a method", `{"_templates":{"default":{"properties":[]}}}`, "/_templates/default", "needs a method"},
		{"a template with a bad method", `{"_templates":{"default":{"method":"GET /x"}}}`, "/_templates/default/method", "not an HTTP method"},
		{"a property without a name", `{"_templates":{"default":{"method":"POST","properties":[{"prompt":"?"}]}}}`, "/_templates/default/properties/0", "needs a name"},
		{"properties that are not an array", `{"_templates":{"default":{"method":"POST","properties":{}}}}`, "/_templates/default/properties", "want an array"},
		{"a bad content type", `{"_templates":{"default":{"method":"POST","contentType":"json;;"}}}`, "/_templates/default/contentType", "not a media type"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is a problem, not an error", func(t *testing.T) {
			d := mustParse(t, tt.doc)
			if !hasProblem(d, tt.pointer, tt.message) {
				t.Errorf("problems = %v, want one at %q containing %q", d.Problems, tt.pointer, tt.message)
			}
		})
	}
}

func TestTheLastOfDuplicateKeysWinsAsInEncodingJSON(t *testing.T) {
	d := mustParse(t, `{"_links":{"self":{"href":"/a"},"self":{"href":"/b"}},"n":1,"n":2}`)
	if l, _ := d.Link("self"); l.Href != "/b" {
		t.Errorf("self = %q, want /b", l.Href)
	}
	if got := string(d.Properties["n"]); got != "2" {
		t.Errorf("n = %s, want 2", got)
	}
}

func TestInvalidJSONSaysLineAndColumn(t *testing.T) {
	tests := []struct {
		name, doc  string
		line, col  int
		wantInText string
	}{
		{"a stray comma", "{\n  \"_links\": {,\n}", 2, 14, "line 2, column 14"},
		{"a missing colon on the first line", `{"a" 1}`, 1, 6, "line 1, column 6"},
		{"a truncated document", "{\n\"_links\": {\n", 3, 1, "line 3"},
		{"trailing garbage", "{}\n}", 2, 1, "line 2, column 1"},
		{"an empty body", "", 1, 1, "line 1, column 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is located", func(t *testing.T) {
			_, err := Parse([]byte(tt.doc))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v, want a *SyntaxError", err)
			}
			if se.Line != tt.line || (tt.col > 0 && se.Column != tt.col) || !strings.Contains(err.Error(), tt.wantInText) {
				t.Errorf("error = %v (line %d, column %d), want line %d, column %d", err, se.Line, se.Column, tt.line, tt.col)
			}
		})
	}
}

func TestValidJSONThatIsNotAnObjectIsNotAHALDocument(t *testing.T) {
	for _, doc := range []string{`[]`, `"x"`, `null`, `42`} {
		if _, err := Parse([]byte(doc)); !errors.Is(err, ErrNotObject) {
			t.Errorf("Parse(%s) = %v, want ErrNotObject", doc, err)
		}
	}
}

func TestAByteOrderMarkIsTolerated(t *testing.T) {
	d := mustParse(t, "\ufeff{\"_links\":{\"self\":{\"href\":\"/\"}}}")
	if _, ok := d.Link("self"); !ok || len(d.Problems) > 0 {
		t.Errorf("links = %v, problems = %v", d.Links, d.Problems)
	}
}

func TestNullReservedMembersAreTheSameAsAbsent(t *testing.T) {
	d := mustParse(t, `{"_links":null,"_embedded":null,"_templates":null,"a":1}`)
	if len(d.Problems) > 0 || d.Links != nil || d.Embedded != nil || d.Templates != nil {
		t.Errorf("document = %+v", d)
	}
}
