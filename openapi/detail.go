package openapi

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Detail is one operation as a reader needs it, in plain values: the portal
// renders it without knowing kin-openapi's types (only this package imports
// kin-openapi).
type Detail struct {
	Operation
	Description string
	// Security lists the requirements, one per alternative: "api_key",
	// "oauth2 (read:pets, write:pets)": the operation's own, else the
	// document's.
	Security []string
	// Credentials are the fields try-it offers for the schemes Security
	// names, once each: where each goes and under what name.
	Credentials []Credential
	// Requirements are the same alternatives resolved, as the gateway
	// enforces them under auth.from_openapi (see Document.Security).
	Requirements []Requirement
	Parameters   []Param
	Body         *Body
	Responses    []Response
}

// Param is one parameter with its schema summarized (schemaLine) and a value
// to pre-fill a form with.
type Param struct {
	Name, In, Schema, Description, Example string
	Required                               bool
}

// Body is a request body: its media types, and a JSON example to pre-fill
// the try-it form with.
type Body struct {
	Required bool
	Media    []Media
	Example  string
}

// Media is one media type of a body: its schema in one line, the tree of its
// properties (Tree.Fields, Tree.Options) and a JSON example.
type Media struct {
	Type, Schema string
	Tree         Field
	Example      string
}

// Response is one status of an operation.
type Response struct {
	Status, Description string
	Media               []Media
}

// Detail describes the operation with this slug.
func (d *Document) Detail(slug string) (*Detail, bool) {
	i := slices.IndexFunc(d.Operations, func(o Operation) bool { return o.Slug == slug })
	if i < 0 || d.T.Paths == nil {
		return nil, false
	}
	op := d.Operations[i]
	item := d.T.Paths.Value(op.Path)
	if item == nil {
		return nil, false
	}
	o := item.GetOperation(op.Method)
	if o == nil {
		return nil, false
	}
	det := &Detail{Operation: op, Description: o.Description, Security: security(d.T.Security, o.Security),
		Credentials: credentials(d.T, o.Security), Requirements: requirements(d.T, o)}
	for _, p := range append(slices.Clone(item.Parameters), o.Parameters...) {
		if p == nil || p.Value == nil {
			continue
		}
		v := p.Value
		det.Parameters = append(det.Parameters, Param{Name: v.Name, In: v.In, Schema: schemaLine(v.Schema),
			Description: v.Description, Example: exampleValue(v), Required: v.Required})
	}
	if o.RequestBody != nil && o.RequestBody.Value != nil {
		rb := o.RequestBody.Value
		det.Body = &Body{Required: rb.Required, Media: media(rb.Content, request),
			Example: mediaExample("application/json", rb.Content.Get("application/json"), request)}
	}
	if o.Responses != nil {
		codes := make([]string, 0, o.Responses.Len())
		for c := range o.Responses.Map() {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		for _, c := range codes {
			r := o.Responses.Value(c)
			if r == nil || r.Value == nil {
				continue
			}
			desc := ""
			if r.Value.Description != nil {
				desc = *r.Value.Description
			}
			det.Responses = append(det.Responses, Response{Status: c, Description: desc, Media: media(r.Value.Content, response)})
		}
	}
	return det, true
}

func media(c openapi3.Content, dir direction) []Media {
	types := make([]string, 0, len(c))
	for t := range c {
		types = append(types, t)
	}
	slices.Sort(types)
	var out []Media
	for _, t := range types {
		out = append(out, Media{Type: t, Schema: schemaLine(c[t].Schema), Tree: treeOf(c[t].Schema),
			Example: mediaExample(t, c[t], dir)})
	}
	return out
}

func security(doc openapi3.SecurityRequirements, op *openapi3.SecurityRequirements) []string {
	reqs := doc
	if op != nil {
		reqs = *op
	}
	var out []string
	for _, alt := range reqs {
		names := make([]string, 0, len(alt))
		for n := range alt {
			names = append(names, n)
		}
		slices.Sort(names)
		var parts []string
		for _, n := range names {
			if scopes := alt[n]; len(scopes) > 0 {
				n += " (" + strings.Join(scopes, ", ") + ")"
			}
			parts = append(parts, n)
		}
		if len(parts) > 0 {
			out = append(out, strings.Join(parts, " and "))
		}
	}
	return out
}
