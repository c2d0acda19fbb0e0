package openapi

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// shapes is a document whose schemas use every construct the operation page
// draws: allOf composition, oneOf alternatives, a recursive schema, nested
// arrays of objects, 3.1 type arrays, read-only and write-only properties,
// and string formats with no example.
const shapes = `{"openapi":"3.1.0","info":{"title":"shapes","version":"1"},
"paths":{"/nodes":{"post":{"operationId":"addNode",
  "requestBody":{"required":true,"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Node"}}}},
  "responses":{
    "201":{"description":"made","content":{"application/json":{"schema":{"$ref":"#/components/schemas/Node"}}}},
    "400":{"description":"bad","content":{"application/problem+json":{"examples":{"b":{"value":{"title":"second"}},"a":{"value":{"title":"first"}}}}}}}}}},
"components":{"schemas":{
  "Base":{"type":"object","required":["id"],"properties":{"id":{"type":"string","format":"uuid","readOnly":true}}},
  "Node":{"allOf":[{"$ref":"#/components/schemas/Base"},{"type":"object","required":["name"],"properties":{
    "name":{"type":"string","examples":["leaf-1"]},
    "secret":{"type":"string","writeOnly":true},
    "when":{"type":"string","format":"date-time"},
    "note":{"type":["string","null"]},
    "children":{"type":"array","items":{"$ref":"#/components/schemas/Node"}},
    "grid":{"type":"array","items":{"type":"array","items":{"type":"object","properties":{"x":{"type":"integer","minimum":3}}}}},
    "shape":{"oneOf":[{"$ref":"#/components/schemas/Circle"},{"type":"object","properties":{"side":{"type":"number"}}}]}}}]},
  "Circle":{"type":"object","properties":{"radius":{"type":"number"}}}}}}`

func loadShapes(t *testing.T) *Detail {
	t.Helper()
	doc, err := Load(context.Background(), []byte(shapes), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := doc.Detail("addnode")
	if !ok {
		t.Fatalf("no operation addnode in %v", doc.Operations)
	}
	return d
}

func field(t *testing.T, fs []Field, name string) Field {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %q", name)
	return Field{}
}

func TestSchemaTree(t *testing.T) {
	d := loadShapes(t)
	tree := d.Body.Media[0].Tree
	// allOf merges: Base's id sits beside Node's own properties, with both
	// required lists.
	if id := field(t, tree.Fields, "id"); !id.Required || !id.ReadOnly || id.Schema != "string (uuid)" {
		t.Errorf("id: %+v", id)
	}
	if name := field(t, tree.Fields, "name"); !name.Required {
		t.Errorf("name is not required: %+v", name)
	}
	if s := field(t, tree.Fields, "secret"); !s.WriteOnly {
		t.Errorf("secret: %+v", s)
	}
	if n := field(t, tree.Fields, "note"); n.Schema != "string | null" {
		t.Errorf("a 3.1 type array reads %q", n.Schema)
	}
	// A schema containing itself stops, said so, instead of recursing.
	if c := field(t, tree.Fields, "children"); c.Cut != "recursive" || len(c.Fields) != 0 {
		t.Errorf("children: %+v", c)
	}
	// Arrays of arrays of objects show the objects' properties.
	if g := field(t, tree.Fields, "grid"); len(g.Fields) != 1 || g.Fields[0].Name != "x" {
		t.Errorf("grid: %+v", g)
	}
	sh := field(t, tree.Fields, "shape")
	if sh.Choice != "one of" || len(sh.Options) != 2 || !strings.HasPrefix(sh.Options[0].Schema, "Circle") ||
		field(t, sh.Options[0].Fields, "radius").Schema != "number" || field(t, sh.Options[1].Fields, "side").Name != "side" {
		t.Errorf("shape: %+v", sh)
	}
}

func TestGeneratedExamples(t *testing.T) {
	d := loadShapes(t)
	var req map[string]any
	if err := json.Unmarshal([]byte(d.Body.Example), &req); err != nil {
		t.Fatalf("request example %q: %v", d.Body.Example, err)
	}
	// A request leaves out readOnly, keeps writeOnly; formats get values a
	// server accepts; 3.1 examples and minimum are used.
	if _, ok := req["id"]; ok {
		t.Errorf("the request example sets the read-only id: %v", req)
	}
	if req["secret"] != "string" || req["when"] != "2026-01-01T12:00:00Z" || req["name"] != "leaf-1" {
		t.Errorf("request example: %v", req)
	}
	if x := req["grid"].([]any)[0].([]any)[0].(map[string]any)["x"]; x != 3.0 {
		t.Errorf("grid's x is %v, want its minimum 3", x)
	}
	var res map[string]any
	created := d.Responses[0]
	if err := json.Unmarshal([]byte(created.Media[0].Example), &res); err != nil {
		t.Fatalf("response example %q: %v", created.Media[0].Example, err)
	}
	if _, ok := res["secret"]; ok || res["id"] != "3fa85f64-5717-4562-b3fc-2c963f66afa6" {
		t.Errorf("a response example shows write-only or lacks the read-only id: %v", res)
	}
	// Named examples: the first by name is shown, whatever the map order.
	if bad := d.Responses[1]; !strings.Contains(bad.Media[0].Example, "first") {
		t.Errorf("400 example: %q", bad.Media[0].Example)
	}
}
