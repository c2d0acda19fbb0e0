package openapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hostileDocs are documents written to make a walker recurse forever or
// blow up: schemas that contain themselves through every keyword, schemas
// that reference themselves many times at every level, and acyclic nesting
// deeper than any real document. The static ones live in testdata/hostile;
// the deep ones are generated here.
func hostileDocs(t testing.TB) map[string][]byte {
	t.Helper()
	docs := map[string][]byte{}
	files, err := filepath.Glob("testdata/hostile/*")
	if err != nil || len(files) == 0 {
		t.Fatalf("no hostile documents: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(f)] = b
	}
	for name, schema := range deepSchemas() {
		docs[name] = withSchema(schema)
	}
	return docs
}

// deepSchemas are acyclic schemas nested far deeper than any real one.
func deepSchemas() map[string]string {
	nest := func(n int, open, close, leaf string) string {
		return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
	}
	return map[string]string{
		"deep-arrays-10000":     nest(10000, `{"type":"array","items":`, `}`, `{"type":"string"}`),
		"deep-arrays-1000":      nest(1000, `{"type":"array","items":`, `}`, `{"type":"string"}`),
		"deep-objects-1000":     nest(1000, `{"type":"object","properties":{"a":`, `}}`, `{"type":"string"}`),
		"deep-allof-1000":       nest(1000, `{"allOf":[`, `]}`, `{"type":"object","properties":{"x":{"type":"string"}}}`),
		"deep-oneof-1000":       nest(1000, `{"oneOf":[{"type":"string"},`, `]}`, `{"type":"integer"}`),
		"deep-example-10000":    `{"type":"array","example":` + nest(10000, `[`, `]`, `1`) + `}`,
		"deep-example-1000":     `{"type":"array","example":` + nest(1000, `[`, `]`, `1`) + `}`,
		"deep-arrays-in-object": `{"type":"object","properties":{"a":` + nest(1000, `{"type":"array","items":`, `}`, `{"type":"string"}`) + `}}`,
	}
}

// withSchema is a one-operation document using schema for a parameter, the
// request body and the response.
func withSchema(schema string) []byte {
	return []byte(`{"openapi":"3.0.3","info":{"title":"deep","version":"1"},"paths":{"/things":{"post":{"operationId":"op",
"parameters":[{"name":"q","in":"query","schema":{"$ref":"#/components/schemas/S"}}],
"requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/S"}}}},
"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/components/schemas/S"}}}}}}}},
"components":{"schemas":{"S":` + schema + `}}}`)
}

// within fails the test when f has not returned after d: a walker that
// loops forever must fail, not hang the suite.
func within(t testing.TB, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v: a walker does not terminate", d)
	}
}

// exercise runs every walker of this package over a document: loading
// (parse, refs, 2→3 conversion, validation and its locating, server
// rewriting, the index), then each operation's detail (parameters, security
// and credentials, schema lines, trees, examples), then the normalized
// document's JSON encoding (the catalog's openapi.json).
func exercise(ctx context.Context, data []byte) (*Document, []*Detail, error) {
	doc, err := Load(ctx, data, Options{})
	if err != nil {
		return nil, nil, err
	}
	var dets []*Detail
	for _, op := range doc.Operations {
		if d, ok := doc.Detail(op.Slug); ok {
			dets = append(dets, d)
		}
	}
	if _, err := json.Marshal(doc.T); err != nil {
		return doc, dets, err
	}
	return doc, dets, nil
}

// TestHostileSchemasAreBounded guards the rule that no walker over a
// document recurses without a cycle check and a depth and size bound: a
// self-referencing schema used by an operation once took the whole process
// down with a stack overflow on its operation page.
func TestHostileSchemasAreBounded(t *testing.T) {
	for name, data := range hostileDocs(t) {
		t.Run(name, func(t *testing.T) {
			within(t, 2*time.Minute, func() {
				doc, dets, err := exercise(context.Background(), data)
				if err != nil {
					if doc == nil && strings.HasPrefix(name, "deep-") {
						return // nesting past the decoder's limit: a read error is the right answer
					}
					t.Fatalf("%s: %v", name, err)
				}
				if len(dets) == 0 {
					t.Fatalf("%s: no operation detail (operations %v)", name, doc.Operations)
				}
				for _, d := range dets {
					checkBounded(t, d)
				}
			})
		})
	}
}

// checkBounded asserts the size of what a page shows for one operation.
func checkBounded(t testing.TB, d *Detail) {
	t.Helper()
	var media []Media
	if d.Body != nil {
		media = append(media, d.Body.Media...)
		if len(d.Body.Example) > maxExampleBytes+64 {
			t.Errorf("body example is %d bytes", len(d.Body.Example))
		}
	}
	for _, r := range d.Responses {
		media = append(media, r.Media...)
	}
	for _, p := range d.Parameters {
		if len(p.Schema) > maxLineBytes+8 {
			t.Errorf("parameter %s: schema line is %d bytes", p.Name, len(p.Schema))
		}
	}
	for _, m := range media {
		if len(m.Schema) > maxLineBytes+8 {
			t.Errorf("%s: schema line is %d bytes", m.Type, len(m.Schema))
		}
		if n := countFields(m.Tree); n > maxTreeNodes+1 {
			t.Errorf("%s: tree has %d nodes", m.Type, n)
		}
		if len(m.Example) > maxExampleBytes+64 {
			t.Errorf("%s: example is %d bytes", m.Type, len(m.Example))
		}
	}
}

func countFields(f Field) int {
	n := 1
	for _, c := range f.Fields {
		n += countFields(c)
	}
	for _, c := range f.Options {
		n += countFields(c)
	}
	return n
}

// TestRecursiveSchemasAreMarked checks what the reader sees for the two
// reported shapes: the recursion is named, not followed.
func TestRecursiveSchemasAreMarked(t *testing.T) {
	docs := hostileDocs(t)
	for _, tt := range []struct{ file, line string }{
		{"tree-array.yaml", "Tree array of Tree (recursive)"},
		{"json-value.yaml", "Value one of (string, number, array of Value (recursive))"},
	} {
		_, dets, err := exercise(context.Background(), docs[tt.file])
		if err != nil {
			t.Fatal(err)
		}
		if got := dets[0].Body.Media[0].Schema; got != tt.line {
			t.Errorf("%s: schema line %q, want %q", tt.file, got, tt.line)
		}
	}
}
