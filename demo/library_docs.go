package demo

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"strings"
)

// halForm is a HAL-FORMS template (https://rwcbook.github.io/hal-forms/): how to build
// the request that changes a resource.
type halForm struct {
	Title       string         `json:"title,omitempty"`
	Method      string         `json:"method"`
	ContentType string         `json:"contentType,omitempty"`
	Target      string         `json:"target,omitempty"`
	Properties  []formProperty `json:"properties"`
}

type formProperty struct {
	Name      string `json:"name"`
	Prompt    string `json:"prompt,omitempty"`
	Required  bool   `json:"required,omitempty"`
	Type      string `json:"type,omitempty"`
	MinLength int    `json:"minLength,omitempty"`
	MaxLength int    `json:"maxLength,omitempty"`
	Min       int    `json:"min,omitempty"`
	Max       int    `json:"max,omitempty"`
}

// bookForm is the template that creates (POST /books) or replaces (PUT /books/{id}) a
// book; its properties are the members of bookInput.
func bookForm(lk linker, title, method, path string) halForm {
	return halForm{
		Title:       title,
		Method:      method,
		ContentType: "application/json",
		Target:      lk.href(path),
		Properties: []formProperty{
			{Name: "title", Prompt: "Title", Required: true, Type: "text", MinLength: 1, MaxLength: 200},
			{Name: "authorId", Prompt: "Author id", Required: true, Type: "number", Min: 1},
			{Name: "year", Prompt: "Year of publication", Type: "number", Min: 1, Max: 3000},
		},
	}
}

// bookDoc is the HAL representation of a book. A top-level document carries the CURIEs
// and the HAL-FORMS templates; an embedded one only its own links.
func bookDoc(lk linker, b book, top bool) map[string]any {
	self := fmt.Sprintf("/books/%d", b.ID)
	ls := links{
		"self":       lk.link(self, b.Title),
		"lib:author": lk.link(fmt.Sprintf("/authors/%d", b.AuthorID), ""),
	}
	doc := map[string]any{"_links": ls, "id": b.ID, "title": b.Title, "authorId": b.AuthorID}
	if b.Year != 0 {
		doc["year"] = b.Year
	}
	if top {
		ls["curies"] = lk.curies()
		ls["collection"] = lk.link("/books", "Books")
		doc["_templates"] = map[string]halForm{
			"default": bookForm(lk, "Replace this book", http.MethodPut, self),
			"delete":  {Title: "Delete this book", Method: http.MethodDelete, Target: lk.href(self), Properties: []formProperty{}},
		}
	}
	return doc
}

// authorDoc is the HAL representation of an author, without the embedded books.
func authorDoc(lk linker, a author, top bool) map[string]any {
	ls := links{"self": lk.link(fmt.Sprintf("/authors/%d", a.ID), a.Name)}
	if top {
		ls["curies"] = lk.curies()
		ls["collection"] = lk.link("/authors", "Authors")
	}
	return map[string]any{"_links": ls, "id": a.ID, "name": a.Name, "born": a.Born}
}

// relDocs describes each relation of the lib CURIE; GET /docs/rels/{rel} shows it.
var relDocs = map[string]string{
	"books":   "The collection of books, five per page (page=N), with first, prev, next and last links. POST a book to it as the HAL-FORMS default template describes.",
	"authors": "The collection of authors. Each author embeds their books under lib:books.",
	"author":  "The author of a book.",
	"search":  "A URI template (RFC 6570) for the books whose title contains q, ignoring case, page by page.",
}

// relPage is html/template so that the rel, taken from the request path, is escaped.
var relPage = template.Must(template.New("rel").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>lib:{{.Rel}}</title></head>
<body>
<h1>lib:{{.Rel}}</h1>
{{if .Doc}}<p>{{.Doc}}</p>{{else}}<p>The library documents no relation named lib:{{.Rel}}.</p>{{end}}
</body>
</html>
`))

// serveRelDoc is GET /docs/rels/{rel}, where the lib CURIE points: a small HTML page
// describing the relation, 404 for a relation the service does not have.
func serveRelDoc(w http.ResponseWriter, r *http.Request) {
	rel := r.PathValue("rel")
	doc, ok := relDocs[rel]
	var page strings.Builder
	if err := relPage.Execute(&page, struct{ Rel, Doc string }{rel, doc}); err != nil {
		http.Error(w, "rendering the relation page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'")
	if !ok {
		w.WriteHeader(http.StatusNotFound)
	}
	io.WriteString(w, page.String())
}
