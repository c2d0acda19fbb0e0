package openapi

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The security index answers, for a request as the gateway receives it,
// what the document requires of it: the gateway's auth.from_openapi
// (issue 17) asks it on every request, so it is built once, when the
// document is loaded, and only read after. The gateway cannot import this
// package (nor this package the gateway): cmd converts Requirement into the
// gateway's own SecurityRequirement.

// Requirement is one alternative of an operation's security: every scheme
// in it must be satisfied. An empty Requirement admits anybody (OpenAPI's
// `{}` in a security list).
type Requirement []SecurityScheme

// SecurityScheme is one named scheme of a requirement, resolved from
// components.securitySchemes, with the scopes the requirement lists.
type SecurityScheme struct {
	Name string // the scheme's name in the document
	// Type is the scheme's type as the document writes it: "http",
	// "apiKey", "oauth2", "openIdConnect", "mutualTLS"; SchemeUnknown when
	// the document names a scheme it does not define, which nobody can
	// satisfy.
	Type   string
	Scheme string // for http, lowercased: "bearer", "basic"
	In     string // for apiKey: "header", "query", "cookie"
	Param  string // for apiKey: the header, query parameter or cookie name
	Scopes []string
}

// SchemeUnknown is the Type of a scheme the document names in a requirement
// but does not define: that alternative cannot be satisfied.
const SchemeUnknown = "unknown"

// securityIndex maps request paths to operations' requirements; it is
// immutable once built.
type securityIndex struct {
	// bySegments holds the templates by their number of segments, each list
	// most specific first (see pathmatch.go).
	bySegments map[int][]*secRoute
}

// secRoute is one path template under one server base path, and the
// requirements of each of its operations, by method.
type secRoute struct {
	segs []segment
	ops  map[string][]Requirement
}

// Security finds what the document requires of a request with this method
// and path, the path as the client sends it to the gateway, escaped (the
// document's servers are already the gateway's: see rewriteServers). found
// is false when no operation of the document matches; reqs empty with found
// true is a public operation. A HEAD request takes its GET operation's
// requirement when the path has no HEAD operation.
func (d *Document) Security(method, path string) (reqs []Requirement, found bool) {
	if d == nil || d.security == nil {
		return nil, false
	}
	raw, ok := splitPath(path)
	if !ok {
		return nil, false
	}
	// Methods are case-sensitive (RFC 9110 §9.1): "get" is no GET
	// operation, and an upstream receives it as sent.
	for _, r := range d.security.bySegments[len(raw)] {
		if !matchSegments(r.segs, raw) {
			continue
		}
		// The most specific path decides, then its method: a method the
		// path lacks is no operation, even if a less specific path has it.
		if reqs, ok := r.ops[method]; ok {
			return reqs, true
		}
		if method == "HEAD" {
			if reqs, ok := r.ops["GET"]; ok {
				return reqs, true
			}
		}
		return nil, false
	}
	return nil, false
}

// buildSecurity indexes every operation of t under every server base path,
// and lists the problems it finds: requirements naming undefined schemes.
func buildSecurity(t *openapi3.T) (*securityIndex, []Problem) {
	ix := &securityIndex{bySegments: map[int][]*secRoute{}}
	if t.Paths == nil {
		return ix, nil
	}
	var bases []string
	for _, s := range t.Servers {
		if s != nil && !slices.Contains(bases, serverPath(s.URL)) {
			bases = append(bases, serverPath(s.URL))
		}
	}
	if len(bases) == 0 {
		bases = []string{""}
	}
	undefined := map[string]string{} // where → scheme, reported once each
	docReqs := resolve(t, t.Security, "/security", undefined)
	paths := t.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p]
		if item == nil {
			continue
		}
		ops := map[string][]Requirement{}
		for m, op := range item.Operations() {
			reqs := docReqs
			if op.Security != nil {
				reqs = resolve(t, *op.Security, "/paths/"+pointerEscape(p)+"/"+strings.ToLower(m)+"/security", undefined)
			}
			ops[strings.ToUpper(m)] = reqs
		}
		for _, b := range bases {
			r := &secRoute{segs: compileTemplate(b + "/" + strings.TrimPrefix(p, "/")), ops: ops}
			ix.bySegments[len(r.segs)] = append(ix.bySegments[len(r.segs)], r)
		}
	}
	for _, list := range ix.bySegments {
		slices.SortStableFunc(list, func(a, b *secRoute) int {
			switch {
			case moreSpecific(a.segs, b.segs):
				return -1
			case moreSpecific(b.segs, a.segs):
				return 1
			}
			return 0
		})
	}
	var problems []Problem
	for _, where := range slices.Sorted(maps.Keys(undefined)) {
		problems = append(problems, Problem{Severity: "warning", Where: where,
			Message: fmt.Sprintf("security requirement refers to undefined security scheme %q: the gateway refuses that alternative", undefined[where])})
	}
	return ix, problems
}

// requirements are one operation's resolved requirements: its own, else
// the document's.
func requirements(t *openapi3.T, op *openapi3.Operation) []Requirement {
	list := t.Security
	if op.Security != nil {
		list = *op.Security
	}
	return resolve(t, list, "", map[string]string{})
}

// resolve turns a security list into requirements, schemes sorted by name
// in each; an undefined scheme is kept with Type SchemeUnknown and recorded
// in undefined under where.
func resolve(t *openapi3.T, list openapi3.SecurityRequirements, where string, undefined map[string]string) []Requirement {
	if len(list) == 0 {
		return nil
	}
	out := make([]Requirement, 0, len(list))
	for i, alt := range list {
		r := make(Requirement, 0, len(alt))
		for _, name := range slices.Sorted(maps.Keys(alt)) {
			s := resolveScheme(t, name, alt[name])
			if s.Type == SchemeUnknown {
				undefined[fmt.Sprintf("%s/%d/%s", where, i, pointerEscape(name))] = name
			}
			r = append(r, s)
		}
		out = append(out, r)
	}
	return out
}

func resolveScheme(t *openapi3.T, name string, scopes []string) SecurityScheme {
	s := SecurityScheme{Name: name, Type: SchemeUnknown}
	if len(scopes) > 0 {
		s.Scopes = slices.Clone(scopes)
	}
	if t.Components == nil || t.Components.SecuritySchemes[name] == nil || t.Components.SecuritySchemes[name].Value == nil {
		return s
	}
	v := t.Components.SecuritySchemes[name].Value
	if v.Type != "" {
		s.Type = v.Type
	}
	switch v.Type {
	case "http":
		s.Scheme = strings.ToLower(v.Scheme)
	case "apiKey":
		s.In, s.Param = v.In, v.Name
	}
	return s
}

// pointerEscape escapes a JSON pointer token (RFC 6901).
func pointerEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// mentioned reports whether problems already report p's undefined scheme
// at p's place (kin-openapi's validation reports those in operations).
func mentioned(problems []Problem, p Problem) bool {
	return slices.ContainsFunc(problems, func(q Problem) bool {
		return strings.Contains(q.Message, "undefined security scheme") && strings.Contains(p.Where, q.Where) &&
			strings.Contains(q.Message, strings.TrimPrefix(p.Where, q.Where))
	})
}
