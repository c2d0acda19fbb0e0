package demo

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// operation is one method of one path of an OpenAPI or Swagger document.
type operation struct {
	method string         // upper case
	path   string         // as a client sends it: Swagger's basePath included
	op     map[string]any // the Operation Object
	item   map[string]any // the Path Item Object, for path-level parameters
}

func parseDoc(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not JSON: %v", err)
	}
	return doc
}

// operations lists the operations of a document, deletes last so that a test may run
// them in order against the same ids.
func operations(doc map[string]any) []operation {
	base, _ := doc["basePath"].(string)
	base = strings.TrimSuffix(base, "/")
	var ops []operation
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p].(map[string]any)
		for _, m := range []string{"get", "put", "post", "patch", "delete", "head", "options"} {
			if op, ok := item[m].(map[string]any); ok {
				ops = append(ops, operation{method: strings.ToUpper(m), path: base + p, op: op, item: item})
			}
		}
	}
	slices.SortStableFunc(ops, func(a, b operation) int {
		return boolInt(a.method == "DELETE") - boolInt(b.method == "DELETE")
	})
	return ops
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// resolve follows a local JSON reference such as "#/definitions/Order".
func resolve(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	var cur any = doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		cur = cur.(map[string]any)[part]
	}
	if cur == nil {
		t.Fatalf("the reference %s resolves to nothing", ref)
	}
	return resolve(t, doc, cur)
}

func TestDocumentsAreServedAndDeclareTheirVersion(t *testing.T) {
	ts := startFleet(t)
	tests := []struct {
		name    string
		service string
		check   func(t *testing.T, doc map[string]any)
	}{
		{"pets serves an OpenAPI 3.1 document with nullable type arrays", "pets", func(t *testing.T, doc map[string]any) {
			if doc["openapi"] != "3.1.0" {
				t.Errorf("openapi = %v", doc["openapi"])
			}
			servers, _ := doc["servers"].([]any)
			if len(servers) != 1 || servers[0].(map[string]any)["url"] != "/" {
				t.Errorf("servers = %v", doc["servers"])
			}
			tag := resolve(t, doc, map[string]any{"$ref": "#/components/schemas/Tag"})
			if types, _ := tag["type"].([]any); len(types) != 2 || types[1] != "null" {
				t.Errorf("Tag type = %v, want [string null]", tag["type"])
			}
		}},
		{"orders serves a Swagger 2.0 document based at /orders without a host", "orders", func(t *testing.T, doc map[string]any) {
			if doc["swagger"] != "2.0" || doc["basePath"] != "/orders" {
				t.Errorf("swagger = %v, basePath = %v", doc["swagger"], doc["basePath"])
			}
			if _, ok := doc["host"]; ok {
				t.Errorf("host = %v, want none", doc["host"])
			}
			if _, ok := doc["definitions"].(map[string]any)["Order"]; !ok {
				t.Errorf("no Order definition")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ts.service(tt.service)
			r := ts.do("GET", ts.url(tt.service, 1, s.OpenAPI), "", "")
			r.expect(t, http.StatusOK, "application/json")
			doc := parseDoc(t, r.body)
			tt.check(t, doc)
			ids := map[string]bool{}
			for _, o := range operations(doc) {
				id, _ := o.op["operationId"].(string)
				summary, _ := o.op["summary"].(string)
				tags, _ := o.op["tags"].([]any)
				responses, _ := o.op["responses"].(map[string]any)
				if id == "" || ids[id] || summary == "" || len(tags) == 0 || len(responses) == 0 {
					t.Errorf("%s %s lacks a unique operationId, a summary, tags or responses", o.method, o.path)
				}
				ids[id] = true
			}
		})
	}
}

// TestDocumentsDescribeExactlyTheRoutes holds each document and its route table together:
// every route is documented and every documented operation is a route.
func TestDocumentsDescribeExactlyTheRoutes(t *testing.T) {
	// Both spellings of a collection ("/orders" and "/orders/" from basePath + "/") count as one.
	norm := func(method, path string) string {
		return method + " " + strings.TrimSuffix(strings.TrimSuffix(path, "{$}"), "/")
	}
	for _, a := range []app{newPets(t.Context()), newOrders()} {
		t.Run(a.Name+" documents every route and nothing else", func(t *testing.T) {
			documented := map[string]bool{}
			for _, o := range operations(parseDoc(t, a.doc)) {
				documented[norm(o.method, o.path)] = true
			}
			served := map[string]bool{}
			for _, rt := range a.routes {
				method, path, _ := strings.Cut(rt.pattern, " ")
				served[norm(method, path)] = true
			}
			for k := range served {
				if !documented[k] {
					t.Errorf("%s is served but not documented", k)
				}
			}
			for k := range documented {
				if !served[k] {
					t.Errorf("%s is documented but not served", k)
				}
			}
		})
	}
}

// TestEveryDocumentedOperationAnswers sends each documented operation, with the
// document's own example body, and expects one of the statuses it documents.
func TestEveryDocumentedOperationAnswers(t *testing.T) {
	ts := startFleet(t)
	for _, name := range []string{"pets", "orders"} {
		s := ts.service(name)
		doc := parseDoc(t, ts.do("GET", ts.url(name, 0, s.OpenAPI), "", "").body)
		for _, o := range operations(doc) {
			t.Run(name+" answers "+o.method+" "+o.path+" with a documented status", func(t *testing.T) {
				contentType, body := exampleBody(t, doc, o)
				path := strings.ReplaceAll(o.path, "{id}", "1")
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, o.method, ts.url(name, 1, path), strings.NewReader(body))
				if contentType != "" {
					req.Header.Set("Content-Type", contentType)
				}
				resp, err := ts.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var got []byte
				if resp.Header.Get("Content-Type") != "text/event-stream" { // a stream never ends
					got, _ = io.ReadAll(resp.Body)
				}
				responses := o.op["responses"].(map[string]any)
				if _, ok := responses[resp.Status[:3]]; !ok {
					t.Errorf("status %d is not among the documented %v; body: %s",
						resp.StatusCode, slices.Sorted(maps.Keys(responses)), got)
				}
			})
		}
	}
}

// exampleBody builds a request body from the document: the first JSON example of an
// OpenAPI 3 request body, the example of a Swagger 2 body parameter's definition, or a
// form of every Swagger 2 formData parameter.
func exampleBody(t *testing.T, doc map[string]any, o operation) (contentType, body string) {
	t.Helper()
	if rb := resolve(t, doc, o.op["requestBody"]); rb != nil {
		media := rb["content"].(map[string]any)["application/json"].(map[string]any)
		examples := media["examples"].(map[string]any)
		first := examples[slices.Sorted(maps.Keys(examples))[0]].(map[string]any)
		b, _ := json.Marshal(first["value"])
		return "application/json", string(b)
	}
	params, _ := o.item["parameters"].([]any)
	ops, _ := o.op["parameters"].([]any)
	form := url.Values{}
	for _, p := range append(params, ops...) {
		p := resolve(t, doc, p)
		switch p["in"] {
		case "body":
			example := resolve(t, doc, p["schema"])["example"]
			if example == nil {
				t.Fatalf("the body of %s %s has no example", o.method, o.path)
			}
			b, _ := json.Marshal(example)
			return "application/json", string(b)
		case "formData":
			form.Set(p["name"].(string), "an example note")
		}
	}
	if len(form) > 0 {
		return "application/x-www-form-urlencoded", form.Encode()
	}
	return "", ""
}
