package openapi

import (
	"context"
	"strings"
	"testing"
)

// nested is an OpenAPI document whose one schema nests arrays levels deep.
func nested(levels int, yaml bool) []byte {
	if yaml {
		var b strings.Builder
		b.WriteString("openapi: 3.0.3\ninfo: {title: deep, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Deep:\n")
		b.WriteString("      " + strings.Repeat("{type: array, items: ", levels) + "{type: string}" + strings.Repeat("}", levels) + "\n")
		return []byte(b.String())
	}
	return []byte(`{"openapi":"3.0.3","info":{"title":"deep","version":"1"},"paths":{},"components":{"schemas":{"Deep":` +
		strings.Repeat(`{"type":"array","items":`, levels) + `{"type":"string"}` + strings.Repeat("}", levels) + `}}}`)
}

// A document nested past MaxNesting is refused with a reason before
// kin-openapi reads it (its cost grows with the square of the depth); one
// just inside the limit loads.
func TestDocumentsNestedTooDeeplyAreRefused(t *testing.T) {
	for _, yaml := range []bool{false, true} {
		// The schema sits 4 levels down (document, components, schemas, Deep).
		if _, err := Load(context.Background(), nested(MaxNesting-8, yaml), Options{}); err != nil {
			t.Errorf("yaml=%v: a document within the limit was refused: %v", yaml, err)
		}
		for _, levels := range []int{MaxNesting, 5000} {
			_, err := Load(context.Background(), nested(levels, yaml), Options{})
			if err == nil || !strings.Contains(err.Error(), "levels deep") {
				t.Errorf("yaml=%v levels=%d: err = %v, want the nesting refused", yaml, levels, err)
			}
		}
	}
}
