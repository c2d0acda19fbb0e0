package openapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"go.yaml.in/yaml/v3"
)

// JSON Schema draft-4 forms (issue 18). The official Swagger 2.0 JSON schema
// lets a schema use forms that kin-openapi's types reject, so a document
// Swagger UI renders used to fail to load whole, or to load with a type it
// cannot show:
//
//   - tuple items, items: [a, b]: kin-openapi cannot unmarshal a list there;
//   - type lists, type: [string, "null"]: OpenAPI 3.0 allows one type only;
//   - required: true on a property (draft 3, still common in hand-written
//     Swagger files): kin-openapi wants a list of names on the object.
//
// rewriteDraft4 turns each into the nearest OpenAPI 3.0 form and reports each
// change as a warning, so the portal says what it shows differently:
//
//   - items: [] → items: {}; items: [a] → items: a; items: [a, b] → items:
//     {anyOf: [a, b]};
//   - "null" in a type list → nullable: true (x-nullable in 2.0, which the
//     conversion turns into nullable); one other type → that type; several →
//     anyOf of one schema per type (the first type when the schema has an
//     anyOf already);
//   - required: true on a property → the property's name in its object's
//     required list; required: false is dropped.
//
// Swagger 2.0's schema object has no anyOf, so kin-openapi's conversion to
// 3.0 would drop one. There the alternatives go into an allOf marked with
// anyOfMarker, which the conversion carries (with its $refs converted), and
// anyOfFromMarkers turns each marked allOf into the anyOf after it. The
// marker is removed from the document first wherever it is written by hand.
//
// Values under example, examples, default, enum, const and x- extensions are
// data, not schemas, and are never touched. OpenAPI 3.1 documents are not
// rewritten: type lists are valid there.

// rewriteDraft4 rewrites doc in place; prefix goes before the JSON pointer of
// each change in its report. It reports whether anything changed.
func rewriteDraft4(doc *yaml.Node, swagger2 bool, prefix string, report func(where, format string, args ...any)) bool {
	changed := false
	var walk func(n *yaml.Node, where string)
	walk = func(n *yaml.Node, where string) {
		switch n.Kind {
		case yaml.MappingNode:
			if m := mapGet(n, anyOfMarker); swagger2 && m != nil && m != markedByUs {
				mapDel(n, anyOfMarker) // only the rewrite may say "this allOf is an anyOf"
			}
			if tupleItems(n, swagger2) {
				report(prefix+where+"/items", "tuple-form items (a list of schemas) read as anyOf of its schemas")
				changed = true
			}
			if was, ok := typeList(n, swagger2); ok {
				report(prefix+where+"/type", "type list %s read as %s", was, describeType(n))
				changed = true
			}
			for _, name := range requiredFlags(n) {
				report(prefix+where+"/properties/"+pointerToken(name)+"/required",
					"required: true on a property read as the object's required list")
				changed = true
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if dataKeys[k] || strings.HasPrefix(k, "x-") {
					continue
				}
				walk(n.Content[i+1], where+"/"+pointerToken(k))
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s/%d", where, i))
			}
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, where)
			}
		}
	}
	walk(doc, "")
	return changed
}

// anyOfMarker marks, in a Swagger 2.0 document, an allOf that the rewrite
// made to carry an anyOf through the conversion to 3.0.
const anyOfMarker = "x-bulwark-draft4-anyof"

// markedByUs is the marker's value as the rewrite writes it: the walk
// tells its own markers from a document's by this node's identity.
var markedByUs = boolean(true)

// alternatives is {anyOf: alts} in 3.0 and the marked allOf in 2.0.
func alternatives(swagger2 bool, alts *yaml.Node) *yaml.Node {
	if swagger2 {
		return mapping(scalar("allOf"), alts, scalar(anyOfMarker), markedByUs)
	}
	return mapping(scalar("anyOf"), alts)
}

// tupleItems rewrites items: [ ... ] in schema n.
func tupleItems(n *yaml.Node, swagger2 bool) bool {
	items := mapGet(n, "items")
	if items == nil || items.Kind != yaml.SequenceNode {
		return false
	}
	switch {
	case len(items.Content) == 0:
		mapSet(n, "items", mapping())
	case len(items.Content) == 1:
		mapSet(n, "items", items.Content[0])
	default:
		mapSet(n, "items", alternatives(swagger2, items))
	}
	return true
}

// typeList rewrites type: [ ... ] in schema n, returning the list as written.
func typeList(n *yaml.Node, swagger2 bool) (string, bool) {
	typ := mapGet(n, "type")
	if typ == nil || typ.Kind != yaml.SequenceNode {
		return "", false
	}
	var types []string
	nullable := false
	for _, t := range typ.Content {
		switch {
		case t.Kind != yaml.ScalarNode:
			continue // not a type name: drop it
		case t.Value == "null":
			nullable = true
		default:
			types = append(types, t.Value)
		}
	}
	was := "[" + strings.Join(append(append([]string(nil), types...), nullName(nullable)...), ", ") + "]"
	if nullable {
		if swagger2 {
			mapSet(n, "x-nullable", boolean(true))
		} else {
			mapSet(n, "nullable", boolean(true))
		}
	}
	switch {
	case len(types) == 0:
		mapDel(n, "type")
	case len(types) == 1 || mapGet(n, "anyOf") != nil || swagger2 && mapGet(n, "allOf") != nil:
		mapSet(n, "type", scalar(types[0]))
	default:
		mapDel(n, "type")
		alts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, t := range types {
			alts.Content = append(alts.Content, mapping(scalar("type"), scalar(t)))
		}
		carrier := alternatives(swagger2, alts)
		for i := 0; i+1 < len(carrier.Content); i += 2 {
			mapSet(n, carrier.Content[i].Value, carrier.Content[i+1])
		}
	}
	return was, true
}

func nullName(nullable bool) []string {
	if nullable {
		return []string{"null"}
	}
	return nil
}

// describeType says what typeList left in n.
func describeType(n *yaml.Node) string {
	var parts []string
	if t := mapGet(n, "type"); t != nil {
		parts = append(parts, "type "+t.Value)
	} else if mapGet(n, "anyOf") != nil || mapGet(n, anyOfMarker) != nil {
		parts = append(parts, "anyOf of each type")
	} else {
		parts = append(parts, "any type")
	}
	if mapGet(n, "nullable") != nil || mapGet(n, "x-nullable") != nil {
		parts = append(parts, "nullable")
	}
	return strings.Join(parts, ", ")
}

// requiredFlags moves required: true from the properties of schema n into
// its required list, and drops required: false. It returns the names moved
// or dropped. A property with "in" is a parameter, not a schema: left alone.
func requiredFlags(n *yaml.Node) []string {
	props := mapGet(n, "properties")
	if props == nil || props.Kind != yaml.MappingNode {
		return nil
	}
	var names []string
	for i := 0; i+1 < len(props.Content); i += 2 {
		name, prop := props.Content[i].Value, props.Content[i+1]
		r := mapGet(prop, "required")
		if r == nil || r.Kind != yaml.ScalarNode || r.ShortTag() != "!!bool" || mapGet(prop, "in") != nil {
			continue
		}
		mapDel(prop, "required")
		names = append(names, name)
		if !strings.EqualFold(r.Value, "true") {
			continue
		}
		list := mapGet(n, "required")
		if list == nil || list.Kind != yaml.SequenceNode {
			list = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			mapSet(n, "required", list)
		}
		list.Content = append(list.Content, scalar(name))
	}
	return names
}

// anyOfFromMarkers turns every allOf marked by the Swagger 2.0 rewrite into
// the anyOf it stands for, once the document is in its 3.0 form.
func anyOfFromMarkers(t *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var visit func(r *openapi3.SchemaRef)
	visit = func(r *openapi3.SchemaRef) {
		if r == nil || r.Value == nil || seen[r.Value] {
			return
		}
		s := r.Value
		seen[s] = true
		for _, ext := range []map[string]any{s.Extensions, r.Extensions} {
			if marked, _ := ext[anyOfMarker].(bool); marked && len(s.AnyOf) == 0 {
				s.AnyOf, s.AllOf = s.AllOf, nil
			}
			delete(ext, anyOfMarker)
		}
		for _, sub := range slices.Concat(s.AllOf, s.AnyOf, s.OneOf,
			openapi3.SchemaRefs{s.Not, s.Items, s.AdditionalProperties.Schema}) {
			visit(sub)
		}
		for _, sub := range s.Properties {
			visit(sub)
		}
	}
	eachSchema(t, visit)
}

// eachSchema calls fn with every schema a 3.0 document holds at its top:
// components, and the parameters, bodies and responses of every operation
// (fn follows what they reach).
func eachSchema(t *openapi3.T, fn func(*openapi3.SchemaRef)) {
	content := func(c openapi3.Content) {
		for _, mt := range c {
			if mt != nil {
				fn(mt.Schema)
			}
		}
	}
	params := func(ps openapi3.Parameters) {
		for _, p := range ps {
			if p != nil && p.Value != nil {
				fn(p.Value.Schema)
				content(p.Value.Content)
			}
		}
	}
	response := func(r *openapi3.ResponseRef) {
		if r == nil || r.Value == nil {
			return
		}
		content(r.Value.Content)
		for _, h := range r.Value.Headers {
			if h != nil && h.Value != nil {
				fn(h.Value.Schema)
			}
		}
	}
	if c := t.Components; c != nil {
		for _, s := range c.Schemas {
			fn(s)
		}
		for _, p := range c.Parameters {
			params(openapi3.Parameters{p})
		}
		for _, rb := range c.RequestBodies {
			if rb != nil && rb.Value != nil {
				content(rb.Value.Content)
			}
		}
		for _, r := range c.Responses {
			response(r)
		}
	}
	if t.Paths == nil {
		return
	}
	for _, item := range t.Paths.Map() {
		if item == nil {
			continue
		}
		params(item.Parameters)
		for _, op := range item.Operations() {
			params(op.Parameters)
			if rb := op.RequestBody; rb != nil && rb.Value != nil {
				content(rb.Value.Content)
			}
			if op.Responses != nil {
				for _, r := range op.Responses.Map() {
					response(r)
				}
			}
		}
	}
}
