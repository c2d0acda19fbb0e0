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
	"strconv"
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
	// CacheLookups and CacheHits are the service's HTTP cache's (hits
	// include stale answers); CacheLookups 0 hides them.
	CacheLookups, CacheHits uint64
	// Instances are listed by address, or by label where addresses are
	// hidden (Options.ShowInstances).
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

// Routed is a service the gateway sends traffic to.
type Routed struct {
	Name   string
	Routes []Route
}

// Route is one way clients reach a service through the gateway.
type Route struct {
	Host        string   // "" for any host
	Path        string   // path prefix
	Methods     []string // none for every method
	StripPrefix bool
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
	// Routed lists every service the gateway routes to, with its routes,
	// documented or not: the catalog page lists each one, and says how to
	// publish a document for those without. nil lists only the services
	// that have a document.
	Routed func() []Routed
	// PublicURL is the gateway's address as clients know it (portal.public_url):
	// normalized documents' servers start with it. Try-it sends to the path
	// after it on the portal's own origin; its curl line keeps it.
	PublicURL string
	// ShowInstances lets every portal output (pages, the JSON API, document
	// downloads, error messages, the system map) show instance addresses.
	// Off, each address is replaced by a label ("instance 1") wherever it
	// would appear: where services run is for those the operator lets in
	// (portal.instances in the file). See visibility.go.
	ShowInstances bool
	// Admission reports what the gateway enforces on a service's requests
	// (admission.go): operation pages say it and try-it offers its fields.
	// nil, or false for a service, shows nothing and keeps the document's
	// fields.
	Admission func(service string) (Admission, bool)
	// Conformance reports what live traffic said about a service's
	// document (conformance.go); nil shows nothing.
	Conformance func(service string) (Conformance, bool)
	// Consumers lists the gateway's configured consumers with their usage,
	// for the consumers page (consumers.go); nil lists none.
	Consumers func() []Consumer
	// ShowConsumers serves the consumers page ({Path}/consumers) and links
	// it from every page's header. Who calls which API, and how much, is the
	// operator's business like where services run: cmd sets it only when
	// the portal is behind portal.users (every viewer has signed in). Off,
	// the page answers 404 and nothing links to it.
	ShowConsumers bool
}

// csp allows only the portal's own files: no inline script or style, no
// other origin, no plugins, no framing.
const csp = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the portal's pages, static files and the catalog's JSON API
// ({Path}/api/) under opts.Path. Every answer passes through one visibility
// step (visibility.go) before it leaves: what the pages, the API, the
// downloads and the error messages say about where services run is decided
// there, once.
func Handler(opts Options) http.Handler {
	p := &portal{opts: opts, base: strings.TrimSuffix(opts.Path, "/")}
	p.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
		"base":     func() string { return p.base },
		"lower":    strings.ToLower,
		"markdown": markdown,
		"until":    until,
		"ago":      ago,
		// The header links the consumers page only where it exists.
		"consumersShown": func() bool { return p.opts.ShowConsumers },
		"join":           strings.Join,
		"percent":        percent,
	}).ParseFS(assets, "templates/*.html"))
	if opts.Catalog != nil {
		p.api = opts.Catalog.Handler(p.base + "/api")
	}
	mux := http.NewServeMux()
	for _, r := range p.routes() {
		mux.Handle(r.pattern, r.h)
	}
	return secure(p.visibility(mux))
}

// Patterns lists every pattern the portal mounted at path serves, its
// catalog API's included: whatever walks every portal URL starts here, so a
// page added to the table below is walked too.
func Patterns(path string) []string {
	p := &portal{base: strings.TrimSuffix(path, "/")}
	var out []string
	for _, r := range p.routes() {
		if r.pattern == "GET "+p.base+"/api/" {
			out = append(out, catalog.APIPatterns(p.base+"/api")...)
			continue
		}
		out = append(out, r.pattern)
	}
	return out
}

type route struct {
	pattern string
	h       http.Handler
}

// routes is the portal's table. Handlers read p.opts only when called.
func (p *portal) routes() []route {
	static, _ := fs.Sub(assets, "static")
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.api.ServeHTTP(w, r) })
	return []route{
		{"GET " + p.base + "/static/", http.StripPrefix(p.base+"/static/", http.FileServerFS(static))},
		{"GET " + p.base + "/api/", api},
		{"GET " + p.base + "/{$}", http.HandlerFunc(p.catalogPage)},
		{"GET " + p.base + "/search", http.HandlerFunc(p.searchPage)},
		{"GET " + p.base + "/map", http.HandlerFunc(p.mapPage)},
		{"GET " + p.base + "/map.json", http.HandlerFunc(p.mapJSON)},
		{"GET " + p.base + "/consumers", http.HandlerFunc(p.consumersPage)},
		{"GET " + p.base + "/services/{name}", http.HandlerFunc(p.servicePage)},
		{"GET " + p.base + "/services/{name}/operations/{slug}", http.HandlerFunc(p.operationPage)},
		{"GET " + p.base + "/services/{name}/browse", http.HandlerFunc(p.browsePage)},
		{"GET " + p.base, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, p.base+"/", http.StatusMovedPermanently)
		})},
	}
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
	api  http.Handler // the catalog's JSON API, under base/api/
}

func (p *portal) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		http.Error(w, "rendering the page failed", http.StatusInternalServerError)
	}
}

// until says how long until t, rounded to the second ("now" once passed).
func until(t time.Time) string {
	d := time.Until(t).Round(time.Second)
	if d <= 0 {
		return "now"
	}
	return "in " + d.String()
}

func (p *portal) health(service string) *Health {
	if p.opts.Health == nil {
		return nil
	}
	if h, ok := p.opts.Health(service); ok {
		return &h
	}
	return nil
}

// percent writes part of whole as a whole percentage: "87%".
func percent(part, whole uint64) string {
	if whole == 0 {
		return "0%"
	}
	return strconv.FormatUint(part*100/whole, 10) + "%"
}
