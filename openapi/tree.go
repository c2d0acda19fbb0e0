package openapi

import (
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// Field is one node of a schema as the operation page draws it: a property
// of an object, with its own properties below it when it is an object (or
// an array of objects), and its alternatives when it is a oneOf/anyOf.
//
// allOf is flattened: its parts' properties and required lists merge into
// the object, which is how readers think of "Pet = NewPet + id".
type Field struct {
	Name        string // the property's name; "" for an alternative
	Schema      string // schemaLine: "string (date-time)", "Tag object", ...
	Description string
	Required    bool
	ReadOnly    bool
	WriteOnly   bool
	Deprecated  bool
	Fields      []Field // an object's properties, or its array items'
	// Choice is "one of" or "any of" when Options lists alternatives.
	Choice  string
	Options []Field
	// Cut says why children are not shown: "recursive" (the schema contains
	// itself), or "too deep" / "too large" past the page's limits.
	Cut string
}

// Limits on the tree of one media type: deep and wide schemas (Kubernetes,
// Docker) would otherwise make one operation page megabytes long. The tree
// also stops at a schema already on its way down (see walk), and shows at
// most maxTreeText bytes of descriptions in all (a long description shared
// by many nodes is shown in full once, then cut).
const (
	maxTreeDepth = 6
	maxTreeNodes = 400
	maxTreeText  = 256 << 10
)

// treeOf builds the tree of a schema: its properties, or its alternatives
// when it is itself a oneOf/anyOf.
func treeOf(s *openapi3.SchemaRef) Field {
	return (&tree{}).node("", s, false, 0)
}

type tree struct {
	w     walk // the schemas on the way down: a repeat is a cycle
	nodes int
	text  int // description bytes so far
}

func (t *tree) node(name string, s *openapi3.SchemaRef, required bool, depth int) Field {
	f := Field{Name: name, Required: required}
	if s == nil || s.Value == nil {
		return f
	}
	v := s.Value
	t.nodes++
	f.Schema, f.Description = schemaLine(s), t.describe(v.Description)
	f.ReadOnly, f.WriteOnly, f.Deprecated = v.ReadOnly, v.WriteOnly, v.Deprecated
	if f.Cut = t.w.enter(v); f.Cut != "" {
		return f
	}
	entered := 1
	defer func() {
		for range entered {
			t.w.leave()
		}
	}()
	// Arrays show their items' structure, however deeply nested (up to the
	// walk's depth): each items schema is on the way down like any other.
	for v.Items != nil && v.Items.Value != nil && len(v.Properties) == 0 {
		if f.Cut = t.w.enter(v.Items.Value); f.Cut != "" {
			return f
		}
		entered++
		v = v.Items.Value
	}
	props, req := properties(v)
	alts, choice := v.OneOf, "one of"
	if len(alts) == 0 {
		alts, choice = v.AnyOf, "any of"
	}
	if len(props) == 0 && len(alts) == 0 {
		return f
	}
	switch {
	case depth >= maxTreeDepth:
		f.Cut = cutTooDeep
		return f
	case t.nodes >= maxTreeNodes:
		f.Cut = cutTooLarge
		return f
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if t.nodes >= maxTreeNodes {
			f.Cut = cutTooLarge
			break
		}
		f.Fields = append(f.Fields, t.node(n, props[n], slices.Contains(req, n), depth+1))
	}
	if len(alts) > 0 {
		f.Choice = choice
		for _, a := range alts {
			if t.nodes >= maxTreeNodes {
				f.Cut = cutTooLarge
				break
			}
			f.Options = append(f.Options, t.node("", a, false, depth+1))
		}
	}
	return f
}

// describe returns d, cut once the tree has shown maxTreeText bytes of
// descriptions.
func (t *tree) describe(d string) string {
	room := max(maxTreeText-t.text, 0)
	if len(d) > room {
		d = truncate(d, room) + "…"
	}
	t.text += len(d)
	return d
}

// properties merges an object's own properties with those of its allOf
// parts (recursively, through a bounded walk: a part that contains itself
// adds nothing the second time), with the union of their required lists.
func properties(v *openapi3.Schema) (openapi3.Schemas, []string) {
	if len(v.AllOf) == 0 {
		return v.Properties, v.Required
	}
	props := openapi3.Schemas{}
	var req []string
	w := &walk{}
	var add func(v *openapi3.Schema)
	add = func(v *openapi3.Schema) {
		if w.enter(v) != "" {
			return
		}
		defer w.leave()
		for n, p := range v.Properties {
			props[n] = p
		}
		for _, r := range v.Required {
			if !slices.Contains(req, r) && len(req) < maxWalkNodes {
				req = append(req, r)
			}
		}
		for _, part := range v.AllOf {
			if part != nil && part.Value != nil {
				add(part.Value)
			}
		}
	}
	add(v)
	return props, req
}
