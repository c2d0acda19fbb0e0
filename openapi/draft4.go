package openapi

import (
	"fmt"
	"strings"

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
//     {anyOf: [a, b]} in 3.0, and items: a in Swagger 2.0, whose schema
//     object has no anyOf for the conversion to carry;
//   - "null" in a type list → nullable: true (x-nullable in 2.0, which the
//     conversion turns into nullable); one other type → that type; several →
//     anyOf of one schema per type in 3.0, the first type in 2.0;
//   - required: true on a property → the property's name in its object's
//     required list; required: false is dropped.
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
			if tupleItems(n, swagger2) {
				report(prefix+where+"/items", "tuple-form items (a list of schemas) read as %s", itemsAs(swagger2))
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

func itemsAs(swagger2 bool) string {
	if swagger2 {
		return "its first schema (Swagger 2.0 has no anyOf)"
	}
	return "anyOf of its schemas"
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
	case len(items.Content) == 1 || swagger2:
		mapSet(n, "items", items.Content[0])
	default:
		mapSet(n, "items", mapping(scalar("anyOf"), items))
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
	case len(types) == 1 || swagger2 || mapGet(n, "anyOf") != nil:
		mapSet(n, "type", scalar(types[0]))
	default:
		mapDel(n, "type")
		alts := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, t := range types {
			alts.Content = append(alts.Content, mapping(scalar("type"), scalar(t)))
		}
		mapSet(n, "anyOf", alts)
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
	} else if a := mapGet(n, "anyOf"); a != nil {
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
