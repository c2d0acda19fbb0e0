package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// strictDoc is a 3.1 document whose bodies use the 2020-12 keywords
// kin-openapi's 3.0 visitor ignores, through a component $ref as well as
// inline, and a query parameter with const (which stays unchecked).
const strictDoc = `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
"paths":{"/orders":{"post":{
  "parameters":[{"name":"v","in":"query","schema":{"const":"2"}}],
  "requestBody":{"content":{"application/json":{"schema":{"$ref":"#/components/schemas/Order"}}}},
  "responses":{"201":{"description":"ok","content":{"application/json":{"schema":{
     "type":"object","required":["state"],"properties":{"state":{"const":"open"}}}}}}}}}},
"components":{"schemas":{"Order":{"type":"object","required":["kind","point"],
  "properties":{
    "kind":{"type":"string"},
    "point":{"type":"array","prefixItems":[{"type":"number"},{"type":"string"}]},
    "express":{"type":"boolean"}},
  "if":{"properties":{"kind":{"const":"express"}}},
  "then":{"required":["express"]},
  "dependentRequired":{"express":["kind"]}}}}}`

func strictContract(t *testing.T) *Contract {
	t.Helper()
	d, err := Load(context.Background(), []byte(strictDoc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Contract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStrictRequestBodies(t *testing.T) {
	c := strictContract(t)
	for _, tt := range []struct {
		name, body string
		want       string // "pointer keyword", "" for valid
	}{
		{"valid", `{"kind":"post","point":[1,"a"]}`, ""},
		{"prefixItems: a tuple's second item has the wrong type", `{"kind":"post","point":[1,2]}`, "/body/point/1 type"},
		{"if/then: express needs the express flag", `{"kind":"express","point":[1,"a"]}`, "/body required"},
		{"if/then: with the flag it holds", `{"kind":"express","point":[1,"a"],"express":true}`, ""},
		{"a 3.0 violation is reported once, by kin-openapi", `{"point":[1,"a"]}`, "/body/kind missing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/orders", strings.NewReader(""))
			r.Header.Set("Content-Type", "application/json")
			res := c.Request(r, []byte(tt.body))
			if tt.want == "" {
				if len(res.Violations) > 0 {
					t.Fatalf("violations %+v", res.Violations)
				}
				return
			}
			if res.Status != http.StatusBadRequest || len(res.Violations) != 1 {
				t.Fatalf("status %d violations %+v, want one", res.Status, res.Violations)
			}
			ptr, kw, _ := strings.Cut(tt.want, " ")
			got := res.Violations[0]
			if got.Kind != "body" || got.Pointer != ptr || !strings.Contains(got.Message, kw) {
				t.Errorf("violation %+v, want %s at %s", got, kw, ptr)
			}
			if strings.Contains(got.Message, "express\"") || strings.Contains(got.Message, "post") {
				t.Errorf("the message quotes the value: %q", got.Message)
			}
		})
	}
}

func TestStrictResponseBodies(t *testing.T) {
	c := strictContract(t)
	h := http.Header{"Content-Type": {"application/json"}}
	if v := c.Response("post-orders", 201, h, []byte(`{"state":"open"}`)); len(v) > 0 {
		t.Errorf("a valid response: %+v", v)
	}
	v := c.Response("post-orders", 201, h, []byte(`{"state":"closed"}`))
	if len(v) != 1 || v[0].Pointer != "/body/state" || !strings.Contains(v[0].Message, "const") {
		t.Errorf("a response breaking const: %+v", v)
	}
	if strings.Contains(v[0].Message, "closed") {
		t.Errorf("the message quotes the value: %q", v[0].Message)
	}
}

func TestStrictNotesListOnlyWhatStaysUnchecked(t *testing.T) {
	c := strictContract(t)
	notes := strings.Join(c.Notes(), "\n")
	// The bodies' if, prefixItems, dependentRequired and const are checked;
	// the query parameter's const is not.
	if !strings.Contains(notes, `"const" (1 schemas)`) || strings.Contains(notes, "prefixItems") ||
		strings.Contains(notes, `"if"`) || strings.Contains(notes, "dependentRequired") {
		t.Errorf("notes %q", notes)
	}
}

// TestStrictLoadsNothing: a schema that still refers outside the document
// (the loader replaces such references, so the test puts one back) is not
// compiled, and nothing is fetched for it; the 3.0 visitor still checks
// the body.
func TestStrictLoadsNothing(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits++
		w.Write([]byte(`{"type":"boolean"}`))
	}))
	defer srv.Close()
	for _, ref := range []string{srv.URL + "/s.json", "file:///etc/passwd", "other.json#/x"} {
		d, err := Load(context.Background(), []byte(strictDoc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		order := d.T.Components.Schemas["Order"].Value
		order.Properties["express"] = &openapi3.SchemaRef{Ref: ref, Value: order.Properties["express"].Value}
		sc := newStrictCompiler(d.T)
		sc.operation("/orders", "POST", d.T.Paths.Value("/orders").Post)
		if len(sc.out) != 1 || len(sc.failed) != 1 { // only the response's schema compiles
			t.Errorf("%s: %d compiled, %d failed; want 1 and 1", ref, len(sc.out), len(sc.failed))
		}
	}
	if hits > 0 {
		t.Errorf("the 2020-12 compiler fetched %d times", hits)
	}
}

// TestCompiledChecksCoverTheShopBodies: the JSON bodies of the shop
// document, the benchmark's, are checked by compiled checks (a valid body
// then skips kin-openapi's visitor), and a 3.1 body with const by its
// 2020-12 schema as well.
func TestCompiledChecksCoverTheShopBodies(t *testing.T) {
	c := shopContract(t)
	op := c.ops["createpet"]
	if op == nil {
		t.Fatal("no createpet")
	}
	mt := op.route.Operation.RequestBody.Value.Content.Get("application/json")
	if c.fast[mt] == nil {
		t.Error("createpet's request body has no compiled check")
	}
	if mt := op.route.Operation.Responses.Status(201).Value.Content.Get("application/json"); c.fast[mt] == nil {
		t.Error("createpet's 201 body has no compiled check")
	}
	s := strictContract(t)
	rb := s.ops["post-orders"].route.Operation.RequestBody.Value.Content.Get("application/json")
	if s.strict[rb] == nil || s.fast[rb] != nil {
		t.Errorf("the const body: strict %v, fast %v; want only strict", s.strict[rb] != nil, s.fast[rb] != nil)
	}
}
