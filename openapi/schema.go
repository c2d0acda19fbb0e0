package openapi

import (
	"fmt"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaLine summarizes a schema in one line: its type (with the items of an
// array and the variants of oneOf/anyOf/allOf), a format, an enum. Nested
// objects list their properties on the operation page. The result is plain
// text: the template escapes it like every other string from a document.
func schemaLine(s *openapi3.SchemaRef) string {
	if s == nil || s.Value == nil {
		return ""
	}
	v := s.Value
	var b strings.Builder
	if s.Ref != "" {
		b.WriteString(s.Ref[strings.LastIndex(s.Ref, "/")+1:] + " ")
	}
	if v.Type != nil {
		b.WriteString(strings.Join(v.Type.Slice(), " | "))
	}
	if v.Items != nil {
		b.WriteString(" of " + schemaLine(v.Items))
	}
	for _, group := range []struct {
		name string
		refs openapi3.SchemaRefs
	}{{"one of", v.OneOf}, {"any of", v.AnyOf}, {"all of", v.AllOf}} {
		if len(group.refs) > 0 {
			parts := make([]string, 0, len(group.refs))
			for _, r := range group.refs {
				parts = append(parts, schemaLine(r))
			}
			b.WriteString(" " + group.name + " (" + strings.Join(parts, ", ") + ")")
		}
	}
	if v.Format != "" {
		b.WriteString(" (" + v.Format + ")")
	}
	if v.Nullable {
		b.WriteString(", nullable")
	}
	if len(v.Enum) > 0 {
		var vals []string
		for _, e := range v.Enum {
			vals = append(vals, fmt.Sprint(e))
		}
		b.WriteString(" ∈ {" + strings.Join(vals, ", ") + "}")
	}
	return strings.TrimSpace(b.String())
}
