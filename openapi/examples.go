package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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

// direction says which side of an exchange an example is for: a request
// leaves out readOnly properties, a response writeOnly ones.
type direction int

const (
	request direction = iota
	response
)

// mediaExample is a JSON media type's example, pretty-printed: the one the
// document gives (example, else the first of examples), else one generated
// from the schema. "" for media that is not JSON or has nothing to go on.
func mediaExample(typ string, mt *openapi3.MediaType, dir direction) string {
	if mt == nil || !isJSON(typ) {
		return ""
	}
	v := mt.Example
	if v == nil {
		names := make([]string, 0, len(mt.Examples))
		for n, ex := range mt.Examples {
			if ex != nil && ex.Value != nil && ex.Value.Value != nil {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			slices.Sort(names)
			v = mt.Examples[names[0]].Value.Value
		}
	}
	if v == nil && mt.Schema != nil {
		v = generate(mt.Schema, dir, 0)
	}
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// isJSON is true for application/json and the +json types (problem+json,
// hal+json, vnd.api+json).
func isJSON(typ string) bool {
	typ, _, _ = strings.Cut(strings.ToLower(typ), ";")
	typ = strings.TrimSpace(typ)
	return typ == "application/json" || strings.HasSuffix(typ, "+json")
}

// generate makes an example value from a schema, at most 6 levels deep: the
// schema's own example (3.0 example or the first 3.1 examples), default,
// const or first enum value, else a placeholder that fits its type and
// format, with allOf parts merged and the first oneOf/anyOf alternative.
func generate(ref *openapi3.SchemaRef, dir direction, depth int) any {
	if ref == nil || ref.Value == nil || depth > 6 {
		return nil
	}
	s := ref.Value
	for _, v := range []any{s.Example, s.Default, s.Const} {
		if v != nil {
			return v
		}
	}
	if len(s.Examples) > 0 {
		return s.Examples[0]
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if props, _ := properties(s); len(props) > 0 || s.Type.Is("object") {
		out := map[string]any{}
		for name, p := range props {
			if p == nil || p.Value == nil || (dir == request && p.Value.ReadOnly) || (dir == response && p.Value.WriteOnly) {
				continue
			}
			out[name] = generate(p, dir, depth+1)
		}
		if len(props) == 0 && len(s.AllOf) > 0 {
			return generate(s.AllOf[0], dir, depth+1)
		}
		return out
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(group) > 0 {
			return generate(group[0], dir, depth+1)
		}
	}
	switch {
	case s.Type.Is("array"):
		return []any{generate(s.Items, dir, depth+1)}
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Is("boolean"):
		return false
	case s.Type.Is("null"):
		return nil
	}
	return stringExample(s.Format)
}

// stringExample is a placeholder a server will accept for a string format.
func stringExample(format string) string {
	switch format {
	case "date-time":
		return "2026-01-01T12:00:00Z"
	case "date":
		return "2026-01-01"
	case "time":
		return "12:00:00Z"
	case "email":
		return "user@example.com"
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "uri", "url":
		return "https://example.com/"
	case "hostname":
		return "example.com"
	case "ipv4":
		return "192.0.2.1"
	case "ipv6":
		return "2001:db8::1"
	case "byte":
		return "aGVsbG8="
	}
	return "string"
}
