package portal

import (
	"net/http"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/openapi"
)

type serviceRow struct {
	*catalog.Entry
	Health *Health
	Routes []Route
	// Undocumented is a routed service without a document: the page says
	// so, and how to publish one, rather than leaving it out.
	Undocumented bool
}

// rows is every service the catalog has a document for, and every service
// the gateway routes to without one, by name.
func (p *portal) rows() []serviceRow {
	byName := map[string]*serviceRow{}
	for _, e := range p.opts.Catalog.Entries() {
		byName[e.Service] = &serviceRow{Entry: e}
	}
	if p.opts.Routed != nil {
		for _, rs := range p.opts.Routed() {
			row, ok := byName[rs.Name]
			if !ok {
				row = &serviceRow{Entry: &catalog.Entry{Service: rs.Name}, Undocumented: true}
				byName[rs.Name] = row
			}
			row.Routes = rs.Routes
		}
	}
	out := make([]serviceRow, 0, len(byName))
	for _, n := range slices.Sorted(mapsKeys(byName)) {
		row := byName[n]
		row.Health = p.health(n)
		out = append(out, *row)
	}
	return out
}

// row is one service's row, documented or only routed.
func (p *portal) row(name string) (serviceRow, bool) {
	if e, ok := p.opts.Catalog.Entry(name); ok && p.opts.Routed == nil {
		return serviceRow{Entry: e, Health: p.health(name)}, true
	}
	for _, r := range p.rows() {
		if r.Service == name {
			return r, true
		}
	}
	return serviceRow{}, false
}

func (p *portal) catalogPage(w http.ResponseWriter, r *http.Request) {
	rows := p.rows()
	var undocumented []string
	for _, row := range rows {
		if row.Undocumented {
			undocumented = append(undocumented, row.Service)
		}
	}
	p.render(w, "catalog.html", map[string]any{"Services": rows, "Undocumented": undocumented})
}

func (p *portal) searchPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	p.render(w, "search.html", map[string]any{"Query": p.echo(q), "Hits": p.opts.Catalog.Search(q, 100)})
}

// tagGroup is a service's operations under one tag.
type tagGroup struct {
	Tag        string
	Operations []openapi.Operation
}

func (p *portal) servicePage(w http.ResponseWriter, r *http.Request) {
	row, ok := p.row(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	e := row.Entry
	var groups []tagGroup
	if e.Doc != nil {
		byTag := map[string][]openapi.Operation{}
		for _, op := range e.Doc.Operations {
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			byTag[tag] = append(byTag[tag], op)
		}
		for _, t := range slices.Sorted(mapsKeys(byTag)) {
			groups = append(groups, tagGroup{Tag: t, Operations: byTag[t]})
		}
	}
	var rels any
	if e.HAL != nil {
		rels = e.HAL.Rels()
	}
	p.render(w, "service.html", map[string]any{"E": e, "Groups": groups, "Health": row.Health, "Rels": rels,
		"Routes": row.Routes, "Undocumented": row.Undocumented, "Admission": serviceAdmission(p.admission(e.Service)),
		"Conformance": p.conformance(e.Service), "NotInDocument": undocumentedTraffic(p.conformance(e.Service))})
}

// operationView is what the operation page shows.
type operationView struct {
	Service string
	Op      *openapi.Detail
	// Server is the path try-it sends to on this origin; Public the origin
	// its curl line names (portal.public_url), "" for the page's own.
	Server, Public string
	Health         *Health
	// Enforced is what the gateway asks of this operation's callers, and
	// the try-it fields that carry it (admission.go).
	Enforced enforcement
	// Drift is where live traffic disagrees with the document.
	Drift drift
}

func (p *portal) operationPage(w http.ResponseWriter, r *http.Request) {
	e, ok := p.opts.Catalog.Entry(r.PathValue("name"))
	if !ok || e.Doc == nil {
		http.NotFound(w, r)
		return
	}
	d, ok := e.Doc.Detail(r.PathValue("slug"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	v := operationView{Service: e.Service, Op: d, Health: p.health(e.Service), Enforced: enforce(p.admission(e.Service), d),
		Drift: operationDrift(p.conformance(e.Service), d.Slug)}
	if len(e.Doc.T.Servers) > 0 {
		v.Server = strings.TrimSuffix(e.Doc.T.Servers[0].URL, "/")
		if pub := strings.TrimSuffix(p.opts.PublicURL, "/"); pub != "" && (v.Server == pub || strings.HasPrefix(v.Server, pub+"/")) {
			v.Public, v.Server = pub, strings.TrimPrefix(v.Server, pub)
		}
	}
	p.render(w, "operation.html", v)
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// browsePage is the HAL browser: hal.js starts at the service's root through
// the gateway and follows its links from there, in the browser.
func (p *portal) browsePage(w http.ResponseWriter, r *http.Request) {
	e, ok := p.opts.Catalog.Entry(r.PathValue("name"))
	if !ok || e.HAL == nil || e.GatewayPath == "" {
		http.NotFound(w, r)
		return
	}
	p.render(w, "browse.html", map[string]any{"E": e})
}
