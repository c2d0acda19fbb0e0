package openapi

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// maxFuzzDocument keeps each fuzz input quick: the large fixtures (Docker,
// Twilio) are tested by TestGoldenDocuments, not mutated here.
const maxFuzzDocument = 64 << 10

// FuzzLoadDocument loads any bytes as a document and, when they load, runs
// every walker over every operation (index, detail, security and
// credentials, schema lines, trees, examples) and encodes the normalized
// document. Nothing may panic or hang, and what a page would show stays
// within its bounds. Seeds: the small real fixtures and every hostile
// document.
func FuzzLoadDocument(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.*")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && len(b) <= maxFuzzDocument && filepath.Ext(file) != ".md" {
			f.Add(b)
		}
	}
	for name, b := range hostileDocs(f) {
		// The thousand-level seeds take a large share of a second each
		// (kin-openapi's encoding is quadratic in nesting depth); the
		// regression test runs them, the fuzzer mutates a shallower one.
		if len(b) <= maxFuzzDocument && !strings.HasPrefix(name, "deep-") {
			f.Add(b)
		}
	}
	f.Add(withSchema(strings.Repeat(`{"type":"array","items":`, 40) + `{"type":"string"}` + strings.Repeat(`}`, 40)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzDocument {
			return
		}
		doc, dets, err := exercise(context.Background(), data)
		if err != nil {
			return
		}
		for _, d := range dets {
			checkBounded(t, d)
			checkSecurityFinds(t, doc, d)
		}
	})
}

// checkSecurityFinds asks the security index for an operation by its own
// path, when that path has no parameter to fill: the index must find it,
// with the requirements its page shows.
func checkSecurityFinds(t *testing.T, doc *Document, d *Detail) {
	t.Helper()
	if !strings.HasPrefix(d.Path, "/") || strings.ContainsAny(d.Path, "{}%?#") || len(doc.T.Servers) != 1 {
		return
	}
	path := serverPath(doc.T.Servers[0].URL) + d.Path
	if strings.ContainsAny(path, "{}%?#") {
		return
	}
	reqs, found := doc.Security(d.Method, path)
	if !found || !reflect.DeepEqual(reqs, d.Requirements) {
		t.Fatalf("%s %s: Security = %+v, %v; the page shows %+v", d.Method, path, reqs, found, d.Requirements)
	}
}

// keywords are the schema keywords a fuzzed graph links through.
var keywords = []func(s *openapi3.Schema, to *openapi3.SchemaRef){
	func(s *openapi3.Schema, to *openapi3.SchemaRef) {
		if s.Properties == nil {
			s.Properties = openapi3.Schemas{}
		}
		s.Properties[string(rune('a'+len(s.Properties)))] = to
	},
	func(s *openapi3.Schema, to *openapi3.SchemaRef) {
		s.AdditionalProperties = openapi3.AdditionalProperties{Schema: to}
	},
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.Items = to },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.AllOf = append(s.AllOf, to) },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.OneOf = append(s.OneOf, to) },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.AnyOf = append(s.AnyOf, to) },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.Not = to },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.PrefixItems = append(s.PrefixItems, to) },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.Contains = to },
	func(s *openapi3.Schema, to *openapi3.SchemaRef) { s.If, s.Then, s.Else = to, to, to },
}

var fuzzTypes = []string{"", "object", "array", "string", "integer", "number", "boolean", "null"}

// schemaGraph builds schemas S0..Sn from data: each pair of bytes links one
// schema to another (or itself) through one keyword, so cycles through
// every keyword, mutual recursion and wide self-reference all occur. Every
// link is a $ref, as a loader makes it, unless inline says otherwise.
func schemaGraph(data []byte) (openapi3.Schemas, bool) {
	if len(data) == 0 {
		return nil, false
	}
	n := int(data[0])%8 + 1
	nodes := make([]*openapi3.Schema, n)
	schemas := openapi3.Schemas{}
	for i := range nodes {
		nodes[i] = &openapi3.Schema{}
		if i+1 < len(data) {
			if typ := fuzzTypes[int(data[i+1])%len(fuzzTypes)]; typ != "" {
				nodes[i].Type = &openapi3.Types{typ}
			}
		}
		schemas[name(i)] = &openapi3.SchemaRef{Ref: "#/components/schemas/" + name(i), Value: nodes[i]}
	}
	inline := data[0]&0x80 != 0
	for i := 1 + n; i+1 < len(data) && i < 1+n+2*256; i += 2 {
		from, to := nodes[int(data[i])%n], int(data[i+1])%n
		ref := &openapi3.SchemaRef{Ref: "#/components/schemas/" + name(to), Value: nodes[to]}
		if inline {
			ref.Ref = ""
		}
		keywords[int(data[i]>>3)%len(keywords)](from, ref)
	}
	return schemas, inline
}

func name(i int) string { return "S" + string(rune('0'+i)) }

// FuzzRenderSchemas renders random schema graphs, cyclic through every
// keyword, with every renderer: schema lines, trees, allOf merging,
// examples in both directions, an operation's detail, kin-openapi's
// validation, and (for graphs of $refs, as loaded documents are) the JSON
// encoding of the document.
func FuzzRenderSchemas(f *testing.F) {
	f.Add([]byte{0, 2, 2, 0})                           // S0: array of itself
	f.Add([]byte{2, 0, 1, 2, 4 << 3, 0, 2 << 3, 0})     // a oneOf with an array of itself
	f.Add([]byte{1, 1, 2, 0, 1, 8, 0, 3 << 3, 1, 1})    // A → B → A
	f.Add([]byte{0x81, 1, 0, 0, 0, 24, 0, 32, 0, 8, 0}) // inline cycles
	for k := range keywords {
		f.Add([]byte{0, 1, byte(k << 3), 0})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		schemas, inline := schemaGraph(data)
		if schemas == nil {
			return
		}
		root := schemas["S0"]
		content := openapi3.Content{"application/json": &openapi3.MediaType{Schema: root}}
		desc := "ok"
		op := &openapi3.Operation{OperationID: "op",
			Parameters:  openapi3.Parameters{{Value: &openapi3.Parameter{Name: "q", In: "query", Schema: root}}},
			RequestBody: &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Content: content}},
			Responses:   openapi3.NewResponses(openapi3.WithStatus(200, &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc, Content: content}}))}
		doc := &openapi3.T{OpenAPI: "3.1.0", Info: &openapi3.Info{Title: "fuzz", Version: "1"},
			Components: &openapi3.Components{Schemas: schemas}, Paths: openapi3.NewPaths(openapi3.WithPath("/x", &openapi3.PathItem{Post: op}))}
		for _, s := range schemas {
			schemaLine(s)
			treeOf(s)
			properties(s.Value)
			mediaExample("application/json", &openapi3.MediaType{Schema: s}, request)
			mediaExample("application/json", &openapi3.MediaType{Schema: s}, response)
		}
		d := &Document{T: doc, Operations: index(doc)}
		det, ok := d.Detail("op")
		if !ok {
			t.Fatal("no detail for op")
		}
		checkBounded(t, det)
		validate(context.Background(), doc)
		if !inline {
			if _, err := json.Marshal(doc); err != nil {
				t.Fatalf("encoding: %v", err)
			}
		}
	})
}
