package catalog

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/bulwark-gw/bulwark/hal"
)

// fetchHAL reads a service's HAL root, asking the instance to build its links
// as the gateway exposes it (X-Forwarded-Prefix, when the gateway strips the
// route prefix), then rewriting the absolute links that still point at the
// instance itself. Without a configured path, "/" is tried, and kept only if
// it is a HAL document. labelled is the HAL root the service's labels name
// ("" when none).
func (c *Catalog) fetchHAL(ctx context.Context, e *Entry, route Route, addr, labelled string) {
	p, configured := c.halPath(e.Service, labelled)
	hdr := http.Header{"Accept": {hal.MediaType + ", " + hal.FormsMediaType + ";q=0.9, application/json;q=0.5"}}
	prefix := ""
	if route.StripPrefix {
		prefix = strings.TrimSuffix(route.Prefix, "/")
		hdr.Set("X-Forwarded-Prefix", prefix)
	}
	body, err := c.fetcher.getWith(ctx, addr, p, hdr)
	if err != nil {
		if configured && !errors.Is(err, errNotFound) {
			e.Kind, e.Location, e.Error, e.fetchFailed = "hal", p, err.Error(), true
		} else if configured {
			e.Kind, e.Location, e.Error, e.fetchFailed = "hal", p, "no document at "+p, true
		}
		return
	}
	doc, err := hal.Parse(body)
	if err != nil || len(doc.Links) == 0 {
		if configured {
			e.Kind, e.Location = "hal", p
			e.Error = "not a HAL document (no _links)"
			if err != nil {
				e.Error = err.Error()
			}
		}
		return
	}
	hal.RewriteOrigins(doc, []string{"http://" + addr}, "", prefix)
	e.Kind, e.Location, e.HAL, e.Original, e.Hash = "hal", p, doc, body, hash(body)
	e.Title = halTitle(doc)
	e.GatewayPath = p
	if route.StripPrefix {
		e.GatewayPath = prefix + p
	}
	for _, pr := range doc.Problems {
		e.Problems = append(e.Problems, problem("warning", pr.Pointer, pr.Message))
	}
}

// halPath is the configured HAL root, else the one the service's labels name
// (labelled), else "/".
func (c *Catalog) halPath(name, labelled string) (string, bool) {
	if c.opts.HALPath != nil {
		if p := c.opts.HALPath(name); p != "" {
			return p, true
		}
	}
	if labelled != "" {
		return labelled, true
	}
	return "/", false
}

// halTitle is the self link's title, else the document's "title" or "name".
func halTitle(doc *hal.Document) string {
	if l, ok := doc.Link("self"); ok && l.Title != "" {
		return l.Title
	}
	for _, k := range []string{"title", "name"} {
		if raw, ok := doc.Properties[k]; ok {
			return strings.Trim(string(raw), `"`)
		}
	}
	return ""
}
