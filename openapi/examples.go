package openapi

import (
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// exampleValue pre-fills a parameter: its example, else its schema's example
// or default, else the first enum value.
func exampleValue(p *openapi3.Parameter) string {
	if p.Example != nil {
		return fmt.Sprint(p.Example)
	}
	if p.Schema != nil && p.Schema.Value != nil {
		s := p.Schema.Value
		for _, v := range []any{s.Example, s.Default} {
			if v != nil {
				return fmt.Sprint(v)
			}
		}
		if len(s.Enum) > 0 {
			return fmt.Sprint(s.Enum[0])
		}
	}
	return ""
}

// bodyExample pre-fills a JSON request body: the media type's example, else
// one generated from the schema (each property's example, default or a
// placeholder of its type), pretty-printed.
func bodyExample(rb *openapi3.RequestBody) string {
	mt := rb.Content.Get("application/json")
	if mt == nil {
		return ""
	}
	v := mt.Example
	if v == nil && mt.Schema != nil {
		v = generate(mt.Schema, 0)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil || v == nil {
		return ""
	}
	return string(b)
}

// generate makes an example value from a schema, at most 6 levels deep.
func generate(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > 6 {
		return nil
	}
	s := ref.Value
	if s.Example != nil {
		return s.Example
	}
	if s.Default != nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.AllOf) > 0 || len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
			if len(group) > 0 {
				return generate(group[0], depth+1)
			}
		}
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		out := map[string]any{}
		for name, p := range s.Properties {
			if p != nil && p.Value != nil && p.Value.ReadOnly {
				continue
			}
			out[name] = generate(p, depth+1)
		}
		return out
	case s.Type.Is("array"):
		return []any{generate(s.Items, depth+1)}
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	}
	return "string"
}
