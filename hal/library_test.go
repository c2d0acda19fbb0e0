package hal

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// libraryBooks is GET /books of the demo's library service (demo/library.go),
// as its linker writes it with base BASE: "" when fetched from an instance
// directly, the gateway URL when the gateway's X-Forwarded-* headers reach it.
// encoding/json sorts map keys, hence the order.
const libraryBooks = `{
  "_embedded": {"lib:books": [
    {"_links": {"lib:author": {"href": "BASE/authors/1"}, "self": {"href": "BASE/books/1", "title": "A Wizard of Earthsea"}},
     "authorId": 1, "id": 1, "title": "A Wizard of Earthsea", "year": 1968},
    {"_links": {"lib:author": {"href": "BASE/authors/2"}, "self": {"href": "BASE/books/4", "title": "Guards! Guards!"}},
     "authorId": 2, "id": 4, "title": "Guards! Guards!", "year": 1989}
  ]},
  "_links": {
    "curies": [{"href": "BASE/docs/rels/{rel}", "templated": true, "name": "lib"}],
    "first": {"href": "BASE/books?page=1"},
    "last": {"href": "BASE/books?page=2"},
    "lib:search": {"href": "BASE/books{?q,page}", "templated": true, "title": "Search books by title"},
    "next": {"href": "BASE/books?page=2"},
    "self": {"href": "BASE/books?page=1"}
  },
  "_templates": {"default": {"title": "Add a book", "method": "POST", "contentType": "application/json",
    "target": "BASE/books",
    "properties": [
      {"name": "title", "prompt": "Title", "required": true, "type": "text", "minLength": 1, "maxLength": 200},
      {"name": "authorId", "prompt": "Author id", "required": true, "type": "number", "min": 1},
      {"name": "year", "prompt": "Year of publication", "type": "number", "min": 1, "max": 3000}
    ]}},
  "page": 1, "pageSize": 5, "total": 7
}`

func libraryDoc(t *testing.T, base string) *Document {
	t.Helper()
	d := mustParse(t, strings.ReplaceAll(libraryBooks, "BASE", base))
	if len(d.Problems) > 0 {
		t.Fatalf("problems = %v", d.Problems)
	}
	return d
}

func TestTheDemoLibraryBehindTheGatewayReadsAsHAL(t *testing.T) {
	const gw = "https://127.0.0.1:8080/library"
	d := libraryDoc(t, gw)
	wantRels := []string{
		"first ", "last ", "lib:search " + gw + "/docs/rels/search", "next ", "self ",
	}
	if got := relNames(d); !slices.Equal(got, wantRels) {
		t.Errorf("Rels = %q, want %q", got, wantRels)
	}
	search, _ := d.Link("lib:search")
	if got, err := search.Expand(map[string]string{"q": "earth sea"}); err != nil || got != gw+"/books?q=earth%20sea" {
		t.Errorf("lib:search expands to %q, %v", got, err)
	}
	books := d.Embedded["lib:books"]
	if len(books) != 2 {
		t.Fatalf("embedded %d books, want 2", len(books))
	}
	if u, ok := books[1].ResolveRel("lib:author"); !ok || u != gw+"/docs/rels/author" {
		t.Errorf("an embedded book's lib:author documentation = %q, %v", u, ok)
	}
	form := d.Templates["default"]
	if form.RequestMethod() != "POST" || form.Target != gw+"/books" || len(form.Properties) != 3 {
		t.Fatalf("default template = %+v", form)
	}
	title, year := form.Properties[0], form.Properties[2]
	if !title.Required || title.MinLength != 1 || title.MaxLength != 200 || title.Type != "text" {
		t.Errorf("title property = %+v", title)
	}
	if year.Required || year.Min == nil || *year.Min != 1 || year.Max == nil || *year.Max != 3000 {
		t.Errorf("year property = %+v", year)
	}
}

func TestTheDemoLibraryFetchedFromAnInstanceHasRelativeLinksThatRewritingLeaves(t *testing.T) {
	// Without X-Forwarded-* headers the library writes root-relative links. They
	// name no instance, so RewriteOrigins leaves them: a catalog that wants
	// gateway links must send the forwarded headers when it fetches.
	d := libraryDoc(t, "")
	if n := RewriteOrigins(d, []string{"http://127.0.0.1:9101"}, "https://gw.example.com", "/library"); n != 0 {
		t.Errorf("rewrote %d relative links, want 0", n)
	}
	if self, _ := d.Link("self"); self.Href != "/books?page=1" {
		t.Errorf("self = %q", self.Href)
	}
}

func TestAnEmptyEmbeddedPageStaysAnEmptyArray(t *testing.T) {
	// The library's page past the end embeds "lib:books": [].
	d := mustParse(t, `{"_embedded":{"lib:books":[]},"_links":{"self":{"href":"/books?page=9"}},"total":7}`)
	if books, ok := d.Embedded["lib:books"]; !ok || len(books) != 0 || !d.EmbeddedArrays["lib:books"] {
		t.Errorf("lib:books = %v (present %v)", books, ok)
	}
	out, err := d.Encode()
	if err != nil || !bytes.Contains(out, []byte(`"lib:books":[]`)) {
		t.Errorf("Encode = %s, %v", out, err)
	}
}

func TestTheLibraryEncodesBackAsRead(t *testing.T) {
	raw := strings.ReplaceAll(libraryBooks, "BASE", "https://gw.example.com/library")
	d := mustParse(t, raw)
	got, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want.Bytes())
	}
}
