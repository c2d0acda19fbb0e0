// Package portal serves the documentation portal: the catalog of every API
// the gateway routes, each service's operations, and each operation's
// parameters, body and responses, rendered from the documentation catalog.
//
// Pages are html/template (every string from a service's document is
// escaped by the template engine) under a strict Content-Security-Policy:
// no inline script, no third-party origin, no framing. They work without
// JavaScript. Nothing is fetched from a CDN: the CSS is embedded.
//
// portal never imports gateway: live state (instances, breaker) comes through
// the function fields of Options, set by cmd.
package portal

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Health is a service's live state as the portal shows it.
type Health struct {
	Healthy, Total int
	Breaker        string // "closed", "open", "half_open", or "" without a breaker
	// The gateway's own counters since it started; Requests 0 hides them.
	Requests, Errors uint64
	P50, P99         time.Duration
	// Instances are shown only with Options.ShowInstances.
	Instances []Instance
}

// Instance is one routable instance as the service page lists it.
type Instance struct {
	Addr     string
	Weight   int
	InFlight int64
	// Ejected is true while outlier detection keeps it out of rotation.
	Ejected bool
}

// Options configure the portal.
type Options struct {
	// Path is where the portal is mounted ("/portal").
	Path string
	// Catalog holds the documents.
	Catalog *catalog.Catalog
	// Health reports a service's instances and breaker; nil shows none.
	Health func(service string) (Health, bool)
	// Map lists every routed service's state for the system map.
	Map func() []MapService
	// PublicURL is the gateway's address as clients know it (portal.public_url):
	// normalized documents' servers start with it. Try-it sends to the path
	// after it on the portal's own origin; its curl line keeps it.
	PublicURL string
	// ShowInstances lets the service page and the system map show instance
	// addresses. Off, they show counts and states only: where services run
	// is for those the operator lets in (portal.instances in the file).
	ShowInstances bool
}

// csp allows only the portal's own files: no inline script or style, no
// other origin, no plugins, no framing.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the portal's pages and static files under opts.Path.
func Handler(opts Options) http.Handler {
	p := &portal{opts: opts, base: strings.TrimSuffix(opts.Path, "/")}
	p.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"base":     func() string { return p.base },
		"lower":    strings.ToLower,
		"markdown": markdown,
	}).ParseFS(assets, "templates/*.html"))
	static, _ := fs.Sub(assets, "static")
	mux := http.NewServeMux()
	mux.Handle("GET "+p.base+"/static/", http.StripPrefix(p.base+"/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET "+p.base+"/{$}", p.catalogPage)
	mux.HandleFunc("GET "+p.base+"/search", p.searchPage)
	mux.HandleFunc("GET "+p.base+"/map", p.mapPage)
	mux.HandleFunc("GET "+p.base+"/map.json", p.mapJSON)
	mux.HandleFunc("GET "+p.base+"/services/{name}", p.servicePage)
	mux.HandleFunc("GET "+p.base+"/services/{name}/operations/{slug}", p.operationPage)
	mux.HandleFunc("GET "+p.base+"/services/{name}/browse", p.browsePage)
	mux.HandleFunc("GET "+p.base, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, p.base+"/", http.StatusMovedPermanently)
	})
	return secure(mux)
}

// secure sets the headers every portal answer carries.
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

type portal struct {
	opts Options
	base string
	tmpl *template.Template
}

func (p *portal) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
	}
}

func (p *portal) health(service string) *Health {
	if p.opts.Health == nil {
		return nil
	}
	if h, ok := p.opts.Health(service); ok {
		if !p.opts.ShowInstances {
			h.Instances = nil
		}
		return &h
	}
	return nil
}
