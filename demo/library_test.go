package demo

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// halDoc is enough of a HAL document to test links, embedded resources and templates.
type halDoc struct {
	Links     map[string]any      `json:"_links"`
	Embedded  map[string][]halDoc `json:"_embedded"`
	Templates map[string]halForm  `json:"_templates"`
}

// link returns the single link of a relation.
func (d halDoc) link(t *testing.T, rel string) link {
	t.Helper()
	m, ok := d.Links[rel].(map[string]any)
	if !ok {
		t.Fatalf("no single link %q in %v", rel, d.Links)
	}
	l := link{}
	l.Href, _ = m["href"].(string)
	l.Templated, _ = m["templated"].(bool)
	l.Name, _ = m["name"].(string)
	return l
}

func (d halDoc) curie(t *testing.T) link {
	t.Helper()
	list, ok := d.Links["curies"].([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("curies = %v, want a list of one", d.Links["curies"])
	}
	m := list[0].(map[string]any)
	templated, _ := m["templated"].(bool)
	return link{Name: m["name"].(string), Href: m["href"].(string), Templated: templated}
}

func (ts *tester) hal(t *testing.T, method, path, body string, header ...string) (halDoc, response) {
	t.Helper()
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	r := ts.do(method, ts.url("library", 0, path), contentType, body, header...)
	var d halDoc
	if strings.HasPrefix(r.header.Get("Content-Type"), halType) {
		r.decode(t, &d)
	}
	return d, r
}

func TestLinkerBuildsLinksFromForwardedHeaders(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"without forwarded headers links are relative paths", nil, "/books/1"},
		{"a prefix alone gives prefixed relative paths", map[string]string{"X-Forwarded-Prefix": "/library"}, "/library/books/1"},
		{"prefix, host and proto give absolute links", map[string]string{
			"X-Forwarded-Prefix": "/library", "X-Forwarded-Host": "127.0.0.1:8080", "X-Forwarded-Proto": "http"}, "http://127.0.0.1:8080/library/books/1"},
		{"https is kept", map[string]string{"X-Forwarded-Host": "gw.example.com", "X-Forwarded-Proto": "https"}, "https://gw.example.com/books/1"},
		{"an unknown proto falls back to http", map[string]string{"X-Forwarded-Host": "gw.example.com", "X-Forwarded-Proto": "gopher"}, "http://gw.example.com/books/1"},
		{"a trailing slash on the prefix is dropped", map[string]string{"X-Forwarded-Prefix": "/library/"}, "/library/books/1"},
		{"the first of several forwarded values counts", map[string]string{"X-Forwarded-Prefix": "/outer, /inner"}, "/outer/books/1"},
		{"a prefix starting with // is ignored, not turned into another host", map[string]string{"X-Forwarded-Prefix": "//evil.example"}, "/books/1"},
		{"a prefix with .. is ignored", map[string]string{"X-Forwarded-Prefix": "/a/../b"}, "/books/1"},
		{"a prefix with markup is ignored", map[string]string{"X-Forwarded-Prefix": `/"><script>`}, "/books/1"},
		{"a host with a path is ignored", map[string]string{"X-Forwarded-Host": "evil.example/x", "X-Forwarded-Prefix": "/library"}, "/library/books/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/books/1", nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			if got := linkerFor(r).href("/books/1"); got != tt.want {
				t.Errorf("href = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLibraryRootLinks(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name     string
		header   []string
		wantBase string
	}{
		{"without forwarded headers the root links are relative", nil, ""},
		{"behind the gateway the root links are absolute gateway URLs", []string{
			"X-Forwarded-Prefix", "/library", "X-Forwarded-Host", "127.0.0.1:8080", "X-Forwarded-Proto", "https"},
			"https://127.0.0.1:8080/library"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := ts.hal(t, "GET", "/", "", tt.header...)
			r.expect(t, http.StatusOK, halType)
			if got := d.link(t, "self").Href; got != tt.wantBase+"/" {
				t.Errorf("self = %q", got)
			}
			if got := d.link(t, "lib:books").Href; got != tt.wantBase+"/books" {
				t.Errorf("lib:books = %q", got)
			}
			if got := d.link(t, "lib:authors").Href; got != tt.wantBase+"/authors" {
				t.Errorf("lib:authors = %q", got)
			}
			if s := d.link(t, "lib:search"); s.Href != tt.wantBase+"/books{?q,page}" || !s.Templated {
				t.Errorf("lib:search = %+v, want a templated search link", s)
			}
			if c := d.curie(t); c.Name != "lib" || c.Href != tt.wantBase+"/docs/rels/{rel}" || !c.Templated {
				t.Errorf("curie = %+v", c)
			}
		})
	}
}

func TestLibraryLinksAllResolve(t *testing.T) {
	ts := startFleet(t)
	root, _ := ts.hal(t, "GET", "/", "")
	curie := root.curie(t)
	for rel := range root.Links {
		if rel == "curies" {
			continue
		}
		t.Run(rel+" resolves, and so does its documentation", func(t *testing.T) {
			l := root.link(t, rel)
			if !l.Templated {
				ts.do("GET", ts.url("library", 1, l.Href), "", "").expect(t, http.StatusOK, halType)
			}
			if name, ok := strings.CutPrefix(rel, "lib:"); ok {
				doc := strings.Replace(curie.Href, "{rel}", name, 1)
				ts.do("GET", ts.url("library", 1, doc), "", "").expect(t, http.StatusOK, "text/html")
			}
		})
	}
}

func TestLibraryBooksPagesAndTemplates(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name           string
		path           string
		wantTitles     int
		wantNext       string
		wantPrev       string
		wantTotalCount float64
	}{
		{"the first page embeds five books and links to the next", "/books", 5, "/books?page=2", "", 7},
		{"the last page embeds the rest and links back", "/books?page=2", 2, "", "/books?page=1", 7},
		{"a search keeps its query in the paging links", "/books?q=the&page=1", 3, "", "", 3},
		{"a page past the end is empty and links to the last page", "/books?page=9", 0, "", "/books?page=2", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, r := ts.hal(t, "GET", tt.path, "")
			r.expect(t, http.StatusOK, halType)
			if n := len(d.Embedded["lib:books"]); n != tt.wantTitles {
				t.Errorf("embedded %d books, want %d", n, tt.wantTitles)
			}
			for rel, want := range map[string]string{"next": tt.wantNext, "prev": tt.wantPrev} {
				_, has := d.Links[rel]
				if want == "" && has {
					t.Errorf("unexpected %s link %v", rel, d.Links[rel])
				}
				if want != "" && d.link(t, rel).Href != want {
					t.Errorf("%s = %v, want %s", rel, d.Links[rel], want)
				}
			}
			form, ok := d.Templates["default"]
			if !ok || form.Method != http.MethodPost {
				t.Fatalf("_templates = %+v, want a default POST template", d.Templates)
			}
			names := map[string]bool{}
			for _, p := range form.Properties {
				names[p.Name] = true
			}
			if !names["title"] || !names["authorId"] {
				t.Errorf("template properties = %+v, want title and authorId", form.Properties)
			}
		})
	}
	t.Run("a search link carries q", func(t *testing.T) {
		d, _ := ts.hal(t, "GET", "/books?q=the", "")
		if got := d.link(t, "self").Href; got != "/books?page=1&q=the" {
			t.Errorf("self = %q", got)
		}
	})
}

func TestLibraryBooksCRUDAcrossInstances(t *testing.T) {
	ts := startFleet(t)
	gw := []string{"X-Forwarded-Prefix", "/library", "X-Forwarded-Host", "127.0.0.1:8080", "X-Forwarded-Proto", "http"}

	d, r := ts.hal(t, "POST", "/books", `{"title":"The Word for World Is Forest","authorId":1,"year":1972}`, gw...)
	r.expect(t, http.StatusCreated, halType)
	if loc := r.header.Get("Location"); loc != "http://127.0.0.1:8080/library/books/8" {
		t.Fatalf("Location = %q, want the gateway URL of book 8", loc)
	}
	if got := d.link(t, "lib:author").Href; got != "http://127.0.0.1:8080/library/authors/1" {
		t.Errorf("lib:author = %q", got)
	}

	t.Run("a book created through one instance is embedded in its author on the other", func(t *testing.T) {
		r := ts.do("GET", ts.url("library", 1, "/authors/1"), "", "")
		r.expect(t, http.StatusOK, halType)
		var author halDoc
		r.decode(t, &author)
		if n := len(author.Embedded["lib:books"]); n != 4 {
			t.Errorf("author 1 embeds %d books, want 4", n)
		}
	})
	t.Run("the authors collection embeds every author", func(t *testing.T) {
		authors, r := ts.hal(t, "GET", "/authors", "")
		r.expect(t, http.StatusOK, halType)
		if n := len(authors.Embedded["lib:authors"]); n != 3 {
			t.Errorf("embedded %d authors, want 3", n)
		}
	})
	t.Run("a replaced book is replaced", func(t *testing.T) {
		d, r := ts.hal(t, "PUT", "/books/8", `{"title":"The Word for World is Forest","authorId":1}`)
		r.expect(t, http.StatusOK, halType)
		if d.Templates["default"].Method != http.MethodPut || d.Templates["delete"].Method != http.MethodDelete {
			t.Errorf("a book's _templates = %+v, want PUT default and DELETE delete", d.Templates)
		}
	})
	t.Run("a deleted book is gone", func(t *testing.T) {
		ts.do("DELETE", ts.url("library", 1, "/books/8"), "", "").expect(t, http.StatusNoContent, "")
		ts.do("GET", ts.url("library", 0, "/books/8"), "", "").expect(t, http.StatusNotFound, "application/problem+json")
	})
}

func TestLibraryRejectsBadRequests(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantType                 string
	}{
		{"malformed JSON is a 400 problem", "POST", "/books", `{"title"`, 400, "application/problem+json"},
		{"an unknown author is a 400 problem", "POST", "/books", `{"title":"x","authorId":99}`, 400, "application/problem+json"},
		{"an unknown book is a 404 problem", "GET", "/books/99", "", 404, "application/problem+json"},
		{"an unknown author id is a 404 problem", "GET", "/authors/99", "", 404, "application/problem+json"},
		{"a bad page is a 400 problem", "GET", "/books?page=0", "", 400, "application/problem+json"},
		{"authors are read-only", "POST", "/authors", `{}`, 405, ""},
		{"an unknown path is a 404", "GET", "/shelves", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, r := ts.hal(t, tt.method, tt.path, tt.body)
			r.expect(t, tt.wantStatus, tt.wantType)
		})
	}
}

func TestLibraryRelPagesEscapeTheRel(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name, rel  string
		wantStatus int
		want       string
	}{
		{"a known relation is described", "books", 200, "<h1>lib:books</h1>"},
		{"an unknown relation is a 404 page", "shelves", 404, "no relation named lib:shelves"},
		{"markup in the relation is escaped", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", 404, "lib:&lt;script&gt;alert(1)&lt;/script&gt;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do("GET", ts.url("library", 0, "/docs/rels/"+tt.rel), "", "")
			r.expect(t, tt.wantStatus, "text/html")
			body := string(r.body)
			if !strings.Contains(body, tt.want) || strings.Contains(body, "<script>") {
				t.Errorf("body = %s, want it to contain %s and no <script>", body, tt.want)
			}
		})
	}
}
