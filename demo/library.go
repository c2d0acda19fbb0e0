package demo

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// booksPageSize is small so that the seeded books already span two pages.
const booksPageSize = 5

type author struct {
	ID   int64
	Name string
	Born int
}

type book struct {
	ID       int64
	Title    string
	AuthorID int64
	Year     int // 0 when unknown
}

// bookInput is the body of POST /books and PUT /books/{id}, and the fields of the
// HAL-FORMS templates.
type bookInput struct {
	Title    string `json:"title"`
	AuthorID int64  `json:"authorId"`
	Year     int    `json:"year"`
}

// libraryAPI is the library service, a HAL API. The gateway strips its /library prefix,
// so its paths start at the root and every link goes through a linker (hal.go).
// Authors are read-only; books can be created, replaced and deleted.
type libraryAPI struct {
	authors *store[author]
	books   *store[book]
}

func newLibrary() app {
	l := &libraryAPI{authors: newStore[author](), books: newStore[book]()}
	for _, a := range []author{
		{Name: "Ursula K. Le Guin", Born: 1929},
		{Name: "Terry Pratchett", Born: 1948},
		{Name: "Octavia E. Butler", Born: 1947},
	} {
		l.authors.create(func(id int64) author { a.ID = id; return a })
	}
	for _, b := range []book{
		{Title: "A Wizard of Earthsea", AuthorID: 1, Year: 1968},
		{Title: "The Left Hand of Darkness", AuthorID: 1, Year: 1969},
		{Title: "The Dispossessed", AuthorID: 1, Year: 1974},
		{Title: "Guards! Guards!", AuthorID: 2, Year: 1989},
		{Title: "Small Gods", AuthorID: 2, Year: 1992},
		{Title: "Kindred", AuthorID: 3, Year: 1979},
		{Title: "Parable of the Sower", AuthorID: 3, Year: 1993},
	} {
		l.books.create(func(id int64) book { b.ID = id; return b })
	}
	return app{
		Service: Service{Name: "library", Route: "/library", StripPrefix: true, HAL: "/"},
		routes: []route{
			{"GET /{$}", l.root},
			{"GET /books", l.listBooks},
			{"POST /books", l.createBook},
			{"GET /books/{id}", l.getBook},
			{"PUT /books/{id}", l.replaceBook},
			{"DELETE /books/{id}", l.deleteBook},
			{"GET /authors", l.listAuthors},
			{"GET /authors/{id}", l.getAuthor},
			{"GET /docs/rels/{rel}", serveRelDoc},
		},
	}
}

func (l *libraryAPI) root(w http.ResponseWriter, r *http.Request) {
	lk := linkerFor(r)
	writeHAL(w, http.StatusOK, map[string]any{
		"_links": links{
			"self":        lk.link("/", ""),
			"curies":      lk.curies(),
			"lib:books":   lk.link("/books", "Books"),
			"lib:authors": lk.link("/authors", "Authors"),
			"lib:search":  lk.templated("/books{?q,page}", "Search books by title"),
		},
		"title":       "Library",
		"description": "A HAL sample service of bulwark demo: follow lib:books and lib:authors.",
	})
}

// listBooks is GET /books?q=&page=: the books whose title contains q (ignoring case),
// booksPageSize per page, with first/prev/next/last links that keep q.
func (l *libraryAPI) listBooks(w http.ResponseWriter, r *http.Request) {
	page, ok := queryInt(w, r, "page", 1, 1, 1<<20)
	if !ok {
		return
	}
	q := r.URL.Query().Get("q")
	var found []book
	for _, b := range l.books.list() {
		if strings.Contains(strings.ToLower(b.Title), strings.ToLower(q)) {
			found = append(found, b)
		}
	}
	last := max(1, (len(found)+booksPageSize-1)/booksPageSize)
	lk := linkerFor(r)
	pageLink := func(n int) link {
		v := url.Values{"page": {strconv.Itoa(n)}}
		if q != "" {
			v.Set("q", q)
		}
		return lk.link("/books?"+v.Encode(), "")
	}
	ls := links{
		"self":       pageLink(page),
		"curies":     lk.curies(),
		"first":      pageLink(1),
		"last":       pageLink(last),
		"lib:search": lk.templated("/books{?q,page}", "Search books by title"),
	}
	if page > 1 {
		ls["prev"] = pageLink(min(page-1, last))
	}
	if page < last {
		ls["next"] = pageLink(page + 1)
	}
	items := []map[string]any{}
	for i := (page - 1) * booksPageSize; i < len(found) && i < page*booksPageSize; i++ {
		items = append(items, bookDoc(lk, found[i], false))
	}
	writeHAL(w, http.StatusOK, map[string]any{
		"_links":     ls,
		"page":       page,
		"pageSize":   booksPageSize,
		"total":      len(found),
		"_embedded":  map[string]any{"lib:books": items},
		"_templates": map[string]halForm{"default": bookForm(lk, "Add a book", http.MethodPost, "/books")},
	})
}

func (l *libraryAPI) createBook(w http.ResponseWriter, r *http.Request) {
	var in bookInput
	if !decodeJSON(w, r, &in) || l.validate(&in).failed(w, r) {
		return
	}
	b := l.books.create(in.book)
	lk := linkerFor(r)
	w.Header().Set("Location", lk.href(fmt.Sprintf("/books/%d", b.ID)))
	writeHAL(w, http.StatusCreated, bookDoc(lk, b, true))
}

func (l *libraryAPI) getBook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	b, ok := l.books.get(id)
	if !ok {
		notFound(w, r, "book", id)
		return
	}
	writeHAL(w, http.StatusOK, bookDoc(linkerFor(r), b, true))
}

func (l *libraryAPI) replaceBook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var in bookInput
	if !decodeJSON(w, r, &in) || l.validate(&in).failed(w, r) {
		return
	}
	b, ok := l.books.update(id, func(book) book { return in.book(id) })
	if !ok {
		notFound(w, r, "book", id)
		return
	}
	writeHAL(w, http.StatusOK, bookDoc(linkerFor(r), b, true))
}

func (l *libraryAPI) deleteBook(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	if _, ok := l.books.delete(id); !ok {
		notFound(w, r, "book", id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (l *libraryAPI) listAuthors(w http.ResponseWriter, r *http.Request) {
	lk := linkerFor(r)
	items := []map[string]any{}
	for _, a := range l.authors.list() {
		items = append(items, authorDoc(lk, a, false))
	}
	writeHAL(w, http.StatusOK, map[string]any{
		"_links":    links{"self": lk.link("/authors", ""), "curies": lk.curies()},
		"total":     len(items),
		"_embedded": map[string]any{"lib:authors": items},
	})
}

// getAuthor is GET /authors/{id}: the author with their books embedded.
func (l *libraryAPI) getAuthor(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	a, ok := l.authors.get(id)
	if !ok {
		notFound(w, r, "author", id)
		return
	}
	lk := linkerFor(r)
	books := []map[string]any{}
	for _, b := range l.books.list() {
		if b.AuthorID == id {
			books = append(books, bookDoc(lk, b, false))
		}
	}
	doc := authorDoc(lk, a, true)
	doc["_embedded"] = map[string]any{"lib:books": books}
	writeHAL(w, http.StatusOK, doc)
}

// validate checks a book against the HAL-FORMS template; authorId must name an author.
func (l *libraryAPI) validate(in *bookInput) validation {
	var v validation
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 1 || n > 200 {
		v.add("/title", "title must be 1 to 200 characters")
	}
	if _, ok := l.authors.get(in.AuthorID); !ok {
		v.add("/authorId", "authorId %d does not name an author", in.AuthorID)
	}
	if in.Year < 0 || in.Year > 3000 {
		v.add("/year", "year must be from 1 to 3000, or 0 when unknown")
	}
	return v
}

func (in bookInput) book(id int64) book {
	return book{ID: id, Title: in.Title, AuthorID: in.AuthorID, Year: in.Year}
}

func notFound(w http.ResponseWriter, r *http.Request, what string, id int64) {
	writeProblem(w, r, http.StatusNotFound, fmt.Sprintf("there is no %s with id %d", what, id))
}
