package openapi

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bounds of one schema line. A line is a summary, so it stops well before
// the walk's own limits: maxLineNodes schemas of at most a few hundred bytes
// each, then the text is cut at maxLineBytes.
const (
	maxLineDepth = 8
	maxLineNodes = 64
	maxLineBytes = 512
	maxLineEnum  = 20  // enum values listed
	maxLineWord  = 128 // bytes of one name, format or enum value
)

// schemaLine summarizes a schema in one line: its type (with the items of an
// array and the variants of oneOf/anyOf/allOf), a format, an enum. Nested
// objects list their properties on the operation page. The result is plain
// text: the template escapes it like every other string from a document.
//
// A schema met again inside itself is named with "(recursive)" and not
// followed; past maxLineDepth levels or maxLineNodes schemas the rest is
// "…"; the line is at most maxLineBytes plus an ellipsis.
func schemaLine(s *openapi3.SchemaRef) string {
	w := &walk{maxDepth: maxLineDepth, maxNodes: maxLineNodes}
	out := lineOf(w, s)
	if len(out) > maxLineBytes {
		out = truncate(out, maxLineBytes) + "…"
	}
	return out
}

func lineOf(w *walk, s *openapi3.SchemaRef) string {
	if s == nil || s.Value == nil {
		return ""
	}
	v := s.Value
	var b strings.Builder
	if name := refName(s); name != "" {
		b.WriteString(truncate(name, maxLineWord) + " ")
	}
	switch cut := w.enter(v); cut {
	case "":
		defer w.leave()
	case cutRecursive:
		return b.String() + "(" + cut + ")"
	default:
		return b.String() + "…"
	}
	if v.Type != nil {
		b.WriteString(truncate(strings.Join(v.Type.Slice(), " | "), maxLineWord))
	}
	if v.Items != nil {
		b.WriteString(" of " + lineOf(w, v.Items))
	}
	for _, group := range []struct {
		name string
		refs openapi3.SchemaRefs
	}{{"one of", v.OneOf}, {"any of", v.AnyOf}, {"all of", v.AllOf}} {
		if len(group.refs) > 0 {
			parts := make([]string, 0, len(group.refs))
			for _, r := range group.refs {
				if b.Len() > maxLineBytes {
					parts = append(parts, "…")
					break
				}
				parts = append(parts, lineOf(w, r))
			}
			if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
				b.WriteString(" ")
			}
			b.WriteString(group.name + " (" + strings.Join(parts, ", ") + ")")
		}
	}
	if v.Format != "" {
		b.WriteString(" (" + truncate(v.Format, maxLineWord) + ")")
	}
	if v.Nullable {
		b.WriteString(", nullable")
	}
	if len(v.Enum) > 0 {
		vals := make([]string, 0, min(len(v.Enum), maxLineEnum+1))
		for i, e := range v.Enum {
			if i == maxLineEnum {
				vals = append(vals, "…")
				break
			}
			vals = append(vals, truncate(fmt.Sprint(e), maxLineWord))
		}
		b.WriteString(" ∈ {" + strings.Join(vals, ", ") + "}")
	}
	return strings.TrimSpace(b.String())
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
