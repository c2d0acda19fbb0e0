package openapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// exampleValue pre-fills a parameter: its example, else its schema's example
// or default, else the first enum value; at most maxExampleBytes of it.
func exampleValue(p *openapi3.Parameter) string {
	return truncate(rawExampleValue(p), maxExampleBytes)
}

func rawExampleValue(p *openapi3.Parameter) string {
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

// Bounds of a generated example: at most maxExampleDepth levels (the walk
// stops earlier at a schema that contains itself) and maxExampleNodes
// values, and no example, given or generated, longer than maxExampleBytes
// once pretty-printed: a form pre-filled with megabytes helps no one.
const (
	maxExampleDepth = 6
	maxExampleNodes = 500
	maxExampleBytes = 64 << 10
)

// mediaExample is a JSON media type's example, pretty-printed: the one the
// document gives (example, else the first of examples), else one generated
// from the schema. "" for media that is not JSON, has nothing to go on, or
// whose example is longer than maxExampleBytes.
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
		g := &generator{dir: dir, w: walk{maxDepth: maxExampleDepth + 1, maxNodes: maxExampleNodes}}
		v, _ = g.value(mt.Schema)
	}
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil || len(b) > maxExampleBytes {
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

// generator makes an example value from a schema through a bounded walk.
type generator struct {
	dir direction
	w   walk
}

// value is an example of a schema: its own example (3.0 example or the
// first 3.1 examples), default, const or first enum value, else a
// placeholder that fits its type and format, with allOf parts merged and the
// first oneOf/anyOf alternative. ok is false where the walk stopped (a
// schema inside itself, too deep, too many values): an object leaves that
// property out and an array is left empty, so a recursive schema gives a
// finite example that still fits it.
func (g *generator) value(ref *openapi3.SchemaRef) (v any, ok bool) {
	if ref == nil || ref.Value == nil {
		return nil, false
	}
	s := ref.Value
	if g.w.enter(s) != "" {
		return nil, false
	}
	defer g.w.leave()
	for _, v := range []any{s.Example, s.Default, s.Const} {
		if v != nil {
			return v, true
		}
	}
	if len(s.Examples) > 0 {
		return s.Examples[0], true
	}
	if len(s.Enum) > 0 {
		return s.Enum[0], true
	}
	if props, _ := properties(s); len(props) > 0 || s.Type.Is("object") {
		if len(props) == 0 && len(s.AllOf) > 0 {
			return g.value(s.AllOf[0])
		}
		out := map[string]any{}
		for name, p := range props {
			if p == nil || p.Value == nil || (g.dir == request && p.Value.ReadOnly) || (g.dir == response && p.Value.WriteOnly) {
				continue
			}
			if v, ok := g.value(p); ok {
				out[name] = v
			}
		}
		return out, true
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(group) > 0 {
			return g.value(group[0])
		}
	}
	switch {
	case s.Type.Is("array"):
		if v, ok := g.value(s.Items); ok {
			return []any{v}, true
		}
		return []any{}, true
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min, true
		}
		return 0, true
	case s.Type.Is("boolean"):
		return false, true
	case s.Type.Is("null"):
		return nil, true
	}
	return stringExample(s.Format), true
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
