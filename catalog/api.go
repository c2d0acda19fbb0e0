package catalog

import (
	"encoding/json"
	"net/http"

	"github.com/bulwark-gw/bulwark/hal"
)

// Handler serves the catalog's JSON API under prefix ("/portal/api"):
//
//	GET {prefix}/services                     every service: kind, title, version, problems
//	GET {prefix}/services/{name}              one service, with its operations
//	GET {prefix}/services/{name}/openapi.json the normalized OpenAPI 3 document
//	GET {prefix}/services/{name}/hal.json     the HAL root, its links through the gateway
//	GET {prefix}/services/{name}/original     the document as the service served it
//	GET {prefix}/search?q=words               operations and schemas across services
func (c *Catalog) Handler(prefix string) http.Handler {
	mux := http.NewServeMux()
	for _, r := range c.apiRoutes() {
		mux.HandleFunc("GET "+prefix+r.pattern, r.h)
	}
	return mux
}

// APIPatterns are the patterns Handler serves, under prefix: a test (or
// another listing) that walks every route reads them from here, so a route
// added to the API is walked too.
func APIPatterns(prefix string) []string {
	var out []string
	for _, r := range (*Catalog)(nil).apiRoutes() {
		out = append(out, "GET "+prefix+r.pattern)
	}
	return out
}

type apiRoute struct {
	pattern string
	h       http.HandlerFunc
}

// apiRoutes is the API's table; its handlers only touch c when called.
func (c *Catalog) apiRoutes() []apiRoute {
	return []apiRoute{
		{"/services", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, c.Entries())
		}},
		{"/search", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, c.Search(r.URL.Query().Get("q"), 50))
		}},
		{"/services/{name}", func(w http.ResponseWriter, r *http.Request) {
			e, ok := c.Entry(r.PathValue("name"))
			if !ok {
				http.NotFound(w, r)
				return
			}
			v := struct {
				*Entry
				Operations any `json:"operations,omitempty"`
			}{Entry: e}
			if e.Doc != nil {
				v.Operations = e.Doc.Operations
			}
			writeJSON(w, v)
		}},
		{"/services/{name}/openapi.json", func(w http.ResponseWriter, r *http.Request) {
			e, ok := c.Entry(r.PathValue("name"))
			if !ok || e.Doc == nil {
				http.NotFound(w, r)
				return
			}
			// Encoding stops at every $ref (see openapi's walk.go), so a
			// self-referencing schema encodes as the finite document it was.
			writeJSON(w, e.Doc.T)
		}},
		{"/services/{name}/hal.json", func(w http.ResponseWriter, r *http.Request) {
			e, ok := c.Entry(r.PathValue("name"))
			if !ok || e.HAL == nil {
				http.NotFound(w, r)
				return
			}
			b, err := e.HAL.Encode()
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", hal.MediaType)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			_, _ = w.Write(b)
		}},
		{"/services/{name}/original", func(w http.ResponseWriter, r *http.Request) {
			e, ok := c.Entry(r.PathValue("name"))
			if !ok || e.Original == nil {
				http.NotFound(w, r)
				return
			}
			// Served as text, never as the type the service claimed: it is
			// someone else's content shown on the gateway's origin.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Content-Security-Policy", "default-src 'none'")
			_, _ = w.Write(e.Original)
		}},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
