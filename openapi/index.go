package openapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Operation is one method on one path, as the portal lists and searches it.
type Operation struct {
	// Slug is stable across refreshes of the document: the operationId, else
	// the method and path, lowercased to [a-z0-9-]. Deep links use it.
	Slug        string   `json:"slug"`
	Method      string   `json:"method"`
	Path        string   `json:"path"`
	OperationID string   `json:"operation_id,omitempty"`
	Summary     string   `json:"summary,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Deprecated  bool     `json:"deprecated,omitempty"`
	Parameters  []string `json:"parameters,omitempty"` // "in:name"
}

// methodOrder lists methods as people read them.
var methodOrder = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"}

// index lists the operations in path order, then method order.
func index(t *openapi3.T) []Operation {
	if t.Paths == nil {
		return nil
	}
	paths := t.Paths.Map()
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	slices.Sort(keys)
	used := map[string]int{}
	var out []Operation
	for _, p := range keys {
		ops := paths[p].Operations()
		for _, m := range methodOrder {
			op := ops[m]
			if op == nil {
				continue
			}
			o := Operation{Method: m, Path: p, OperationID: op.OperationID, Summary: op.Summary,
				Tags: op.Tags, Deprecated: op.Deprecated}
			for _, prm := range append(slices.Clone(paths[p].Parameters), op.Parameters...) {
				if prm != nil && prm.Value != nil {
					o.Parameters = append(o.Parameters, prm.Value.In+":"+prm.Value.Name)
				}
			}
			base := op.OperationID
			if base == "" {
				base = m + " " + p
			}
			o.Slug = slug(base)
			if n := used[o.Slug]; n > 0 {
				used[o.Slug]++
				o.Slug = fmt.Sprintf("%s-%d", o.Slug, n+1)
			} else {
				used[o.Slug] = 1
			}
			out = append(out, o)
		}
	}
	return out
}

// slug lowercases s and keeps letters and digits, joining the rest with
// single dashes: "GET /pets/{id}" → "get-pets-id", "listPets" → "listpets".
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}
