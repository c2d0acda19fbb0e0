package openapi

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// A loaded document's schemas form a graph, not a tree: kin-openapi resolves
// every $ref to the schema it names, so a schema that refers to itself (a
// tree of arrays, a JSON value that may be an array of JSON values, A → B →
// A) is a cycle of pointers, and one schema referenced many times at every
// level is a graph whose unfolding grows exponentially with depth. The
// document comes from a service, which may be careless or hostile.
//
// So every walk over schemas in this package goes through a walk, and holds
// three bounds at once:
//
//   - a schema already on the path from the root is not entered again (the
//     cycle check, by pointer: the $ref strings of one target may differ, and
//     a $ref may point inside another schema);
//   - the path is at most maxWalkDepth schemas long (acyclic nesting a
//     thousand levels deep is as bad for the stack as a cycle);
//   - the whole walk enters at most its node budget of schemas (a graph that
//     is small but unfolds into billions of paths).
//
// None of the walks recurses except through enter, so their stack depth is
// bounded by the depth bound times a small constant.
//
// kin-openapi's own walks that this package (or the catalog, through
// Document.T) runs are safe on cyclic graphs, for reasons of its own: the
// loader marks the $refs it is resolving and fills a repeat in when the
// cycle unwinds; Validate keeps a set of the schemas it has visited; and a
// SchemaRef with a $ref encodes as the $ref (and its 3.1 siblings), never
// its resolved value, so encoding a loaded document stops at every $ref. A
// graph with cycles that are not $refs can only be built in code; the
// walkers here handle it too (FuzzRenderSchemas builds such graphs), but
// it must not be encoded.
const (
	maxWalkDepth = 32
	maxWalkNodes = 2000
)

// Why a walk stops before a schema; the reader sees these words.
const (
	cutRecursive = "recursive"
	cutTooDeep   = "too deep"
	cutTooLarge  = "too large"
)

// walk is one bounded traversal of a schema graph.
type walk struct {
	path     []*openapi3.Schema // the schemas entered and not yet left
	nodes    int                // schemas entered so far
	maxDepth int                // 0 means maxWalkDepth
	maxNodes int                // 0 means maxWalkNodes
}

// enter says whether the walk may go into s: "" when it may, and then the
// caller must call leave when done with s; else why not (cutRecursive,
// cutTooDeep, cutTooLarge), and the caller must not descend. A nil schema is
// entered and left like any other.
func (w *walk) enter(s *openapi3.Schema) string {
	maxDepth, maxNodes := w.maxDepth, w.maxNodes
	if maxDepth <= 0 {
		maxDepth = maxWalkDepth
	}
	if maxNodes <= 0 {
		maxNodes = maxWalkNodes
	}
	switch {
	case s != nil && slices.Contains(w.path, s):
		return cutRecursive
	case len(w.path) >= maxDepth:
		return cutTooDeep
	case w.nodes >= maxNodes:
		return cutTooLarge
	}
	w.nodes++
	w.path = append(w.path, s)
	return ""
}

// leave undoes the last successful enter.
func (w *walk) leave() { w.path = w.path[:len(w.path)-1] }

// refName is the last segment of a $ref ("Pet" for "#/components/schemas/Pet"),
// "" for an inline schema.
func refName(s *openapi3.SchemaRef) string {
	if s == nil || s.Ref == "" {
		return ""
	}
	return s.Ref[strings.LastIndex(s.Ref, "/")+1:]
}
