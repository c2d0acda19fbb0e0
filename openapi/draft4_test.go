package openapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestDraft4FormsAreReadInTheirNearestOpenAPI3Form(t *testing.T) {
	const sw = "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          schema: "
	const oas = "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: "
	const where2, where3 = "/paths/~1a/get/responses/200/schema", "/paths/~1a/get/responses/200/content/application~1json/schema"
	for _, tt := range []struct {
		name, doc, where, says string
		check                  func(t *testing.T, d *Document)
	}{
		{"Swagger 2.0 tuple items become anyOf too", sw + "{type: array, items: [{type: string}, {$ref: '#/definitions/N'}]}\ndefinitions: {N: {type: integer}}\n",
			where2 + "/items", "anyOf", func(t *testing.T, d *Document) {
				s := resp200(d).Items
				if any := s.Value.AnyOf; len(any) != 2 || len(s.Value.AllOf) != 0 || any[1].Ref != "#/components/schemas/N" ||
					!any[1].Value.Type.Is("integer") || len(s.Extensions)+len(s.Value.Extensions) != 0 {
					t.Errorf("items %+v", s.Value)
				}
				c, err := d.Contract()
				if err != nil {
					t.Fatal(err)
				}
				h := http.Header{"Content-Type": {"application/json"}}
				if v := c.Response(d.Operations[0].Slug, 200, h, []byte(`["a", 1]`)); len(v) > 0 {
					t.Errorf("both alternatives are items: %+v", v)
				}
				if v := c.Response(d.Operations[0].Slug, 200, h, []byte(`[true]`)); len(v) != 1 {
					t.Errorf("an item of neither: %+v", v)
				}
			}},
		{"Swagger 2.0 type lists become anyOf too", sw + "{type: [string, integer, 'null']}\n", where2 + "/type", "anyOf of each type, nullable",
			func(t *testing.T, d *Document) {
				if s := resp200(d); len(s.AnyOf) != 2 || len(s.AllOf) != 0 || !s.Nullable || s.Type != nil && len(*s.Type) > 0 {
					t.Errorf("schema %+v", s)
				}
			}},
		{"a hand-written marker is not taken for the rewrite's", sw + "{allOf: [{type: string}, {maxLength: 2}], x-bulwark-draft4-anyof: true, type: [string]}\n",
			where2 + "/type", "type string", func(t *testing.T, d *Document) {
				if s := resp200(d); len(s.AllOf) != 2 || len(s.AnyOf) != 0 {
					t.Errorf("schema %+v", s)
				}
			}},
		{"OpenAPI 3.0 tuple items become anyOf", oas + "{type: array, items: [{type: string}, {type: integer}]}}}\n",
			where3 + "/items", "anyOf", func(t *testing.T, d *Document) {
				if s := resp200(d); len(s.Items.Value.AnyOf) != 2 {
					t.Errorf("items %+v", s.Items.Value)
				}
			}},
		{"empty tuple items become any item", oas + "{type: array, items: []}}}\n", where3 + "/items", "tuple-form",
			func(t *testing.T, d *Document) {
				if s := resp200(d); s.Items == nil {
					t.Error("no items")
				}
			}},
		{"a type list with null becomes one nullable type", sw + "{type: [string, 'null']}\n", where2 + "/type", "type string, nullable",
			func(t *testing.T, d *Document) {
				if s := resp200(d); !s.Type.Is("string") || !s.Nullable {
					t.Errorf("type %v nullable %v", s.Type, s.Nullable)
				}
			}},
		{"OpenAPI 3.0 type lists become anyOf", oas + "{type: [string, integer]}}}\n", where3 + "/type", "anyOf of each type",
			func(t *testing.T, d *Document) {
				if s := resp200(d); len(s.AnyOf) != 2 || s.Type != nil && len(*s.Type) > 0 {
					t.Errorf("schema %+v", s)
				}
			}},
		{"required: true on a property joins the object's required list",
			sw + "{type: object, required: [b], properties: {a: {type: string, required: true}, b: {type: string}, c: {type: string, required: false}}}\n",
			where2 + "/properties/a/required", "required list", func(t *testing.T, d *Document) {
				if s := resp200(d); strings.Join(s.Required, ",") != "b,a" {
					t.Errorf("required %v", s.Required)
				}
			}},
		{"examples, defaults and enums are data and are never rewritten",
			sw + "{type: object, example: {items: [1, 2], type: [x]}, properties: {a: {type: string, enum: [x], default: x}}}\n",
			"", "", func(t *testing.T, d *Document) {
				ex, _ := resp200(d).Example.(map[string]any)
				if items, _ := ex["items"].([]any); len(items) != 2 {
					t.Errorf("example changed: %v", resp200(d).Example)
				}
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(context.Background(), []byte(tt.doc), Options{})
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(d.Operations) != 1 {
				t.Errorf("%d operations", len(d.Operations))
			}
			if tt.says != "" && !hasProblem(d, tt.where, tt.says) {
				t.Errorf("no problem at %s saying %q: %v", tt.where, tt.says, d.Problems)
			}
			if tt.says == "" && len(d.Problems) > 0 {
				t.Errorf("problems: %v", d.Problems)
			}
			tt.check(t, d)
		})
	}
}

// An OpenAPI 3.1 document keeps its type lists: they are valid there.
func TestOpenAPI31TypeListsAreLeftAlone(t *testing.T) {
	doc := "openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content: {application/json: {schema: {type: [string, 'null']}}}\n"
	d, err := Load(context.Background(), []byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := resp200(d); s.Type == nil || len(*s.Type) != 2 {
		t.Errorf("type %v, want the list kept", s.Type)
	}
}

func resp200(d *Document) *openapi3.Schema {
	r := d.T.Paths.Find("/a").Get.Responses.Value("200").Value
	return r.Content.Get("application/json").Schema.Value
}
