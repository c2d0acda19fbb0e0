package openapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// The documents in testdata/ are real ones published by others, copied from
// ../shared/fixtures with their sources and licences in testdata/SOURCES.md.

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readFrom serves relative $refs from a testdata folder, as a service
// instance would serve them next to its document.
func readFrom(dir string) func(context.Context, string) ([]byte, error) {
	return func(_ context.Context, p string) ([]byte, error) {
		return os.ReadFile(filepath.Join("testdata", dir, filepath.FromSlash(strings.TrimPrefix(p, "/"))))
	}
}

func TestRealDocumentsLoadNormalizedThroughTheGateway(t *testing.T) {
	gw := Options{PublicURL: "https://gw.test", RoutePrefix: "/api", StripPrefix: true}
	for _, tt := range []struct {
		name, file string
		opts       Options
		kind       Kind
		title      string
		ops        int
		server     string
		warnings   bool
	}{
		{"Swagger 2.0 with host and basePath keeps the base path behind the route", "swagger2-uber.json", gw,
			Swagger2, "Uber API", 5, "https://gw.test/api/v1", false},
		{"Swagger 2.0 with formData converts to request bodies", "swagger2-petstore-formdata.yaml", gw,
			Swagger2, "Swagger Petstore", 20, "https://gw.test/api/v2", false},
		{"Swagger 2.0 with a basePath and no host keeps the base path", "swagger2-docker-engine.yaml",
			Options{PublicURL: "https://gw.test", RoutePrefix: "/docker"}, Swagger2, "Docker Engine API", 0, "https://gw.test/v1.56", true},
		{"OpenAPI 3.0 keeps its server's path behind the route", "oas30-petstore-expanded.yaml", gw,
			OpenAPI3, "Swagger Petstore", 4, "https://gw.test/api/v2", false},
		{"OpenAPI 3.0 with invalid examples is kept, with warnings", "oas30-twilio-messaging-v1.json", gw,
			OpenAPI3, "", 0, "", true},
		{"OpenAPI 3.1", "oas31-museum.yaml", gw, OpenAPI3_1, "Redocly Museum API", 0, "", false},
		{"OpenAPI 3.1 with only webhooks", "oas31-webhook-example.json", gw, OpenAPI3_1, "Webhook Example", 0, "https://gw.test/api", false},
		{"a multi-file Swagger 2.0 document follows its relative refs (kin-openapi's conversion leaves one warning)",
			"swagger2-petstore-separate/spec/swagger.yaml",
			Options{Location: "/spec/swagger.yaml", RefRoot: "/", ReadRef: readFrom("swagger2-petstore-separate")},
			Swagger2, "Swagger Petstore", 4, "", true},
		{"a multi-file 3.1 document follows its relative refs on the same instance", "oas31-redocly-cafe/openapi.yaml",
			Options{PublicURL: "https://gw.test", Location: "/openapi.yaml", ReadRef: readFrom("oas31-redocly-cafe")},
			OpenAPI3_1, "", 0, "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Load(context.Background(), fixture(t, tt.file), tt.opts)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if doc.Kind != tt.kind {
				t.Errorf("kind %s, want %s", doc.Kind, tt.kind)
			}
			if tt.title != "" && doc.Title != tt.title {
				t.Errorf("title %q, want %q", doc.Title, tt.title)
			}
			if tt.ops > 0 && len(doc.Operations) != tt.ops {
				t.Errorf("%d operations, want %d", len(doc.Operations), tt.ops)
			}
			if tt.ops == 0 && len(doc.Operations) == 0 && tt.file != "oas31-webhook-example.json" {
				t.Error("no operation indexed")
			}
			if tt.server != "" && (len(doc.T.Servers) != 1 || doc.T.Servers[0].URL != tt.server) {
				t.Errorf("servers %v, want %s", doc.T.Servers, tt.server)
			}
			if tt.warnings && len(doc.Problems) == 0 {
				t.Error("a document kin-openapi rejects strictly shows no warning")
			}
			if !tt.warnings && len(doc.Problems) > 0 {
				t.Errorf("warnings on a valid document: %v", doc.Problems[0])
			}
		})
	}
}

func TestSwagger2FormDataBecomesARequestBody(t *testing.T) {
	doc, err := Load(context.Background(), fixture(t, "swagger2-petstore-formdata.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := doc.T.Paths.Find("/pet/{petId}/uploadImage").Post
	if op == nil || op.RequestBody == nil || op.RequestBody.Value.Content.Get("multipart/form-data") == nil {
		t.Fatalf("uploadFile has no multipart/form-data body: %+v", op)
	}
	file := op.RequestBody.Value.Content.Get("multipart/form-data").Schema.Value.Properties["file"]
	if file == nil || file.Value.Format != "binary" {
		t.Errorf("the file part is %+v, want a binary string", file)
	}
}

func TestOperationSlugsAreStableAndUnique(t *testing.T) {
	doc, err := Load(context.Background(), fixture(t, "swagger2-uber.json"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, op := range doc.Operations {
		if op.Slug == "" || seen[op.Slug] {
			t.Errorf("slug %q empty or repeated", op.Slug)
		}
		seen[op.Slug] = true
	}
	if !seen["get-estimates-price"] {
		t.Errorf("slugs %v: want method and path when there is no operationId", seen)
	}
	again, _ := Load(context.Background(), fixture(t, "swagger2-uber.json"), Options{})
	for i := range again.Operations {
		if again.Operations[i].Slug != doc.Operations[i].Slug {
			t.Fatal("slugs changed between two loads of the same document")
		}
	}
	for in, want := range map[string]string{"listPets": "listpets", "GET /pets/{id}": "get-pets-id", "a__b--c": "a-b-c"} {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnreadableDocumentsSayWhereAndWhy(t *testing.T) {
	for _, tt := range []struct{ name, doc, want string }{
		{"a HAL document is not an API description", `{"_links": {"self": {"href": "/"}}}`, "not an OpenAPI or Swagger document"},
		{"an unsupported version", "openapi: 4.0.0\ninfo: {title: x, version: 1}\n", `unsupported openapi version "4.0.0"`},
		{"invalid YAML is located", "openapi: 3.0.0\ninfo:\n  title: [unclosed\n  version: 1\npaths: {}\n", "line"},
		{"a dangling $ref", "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200': {$ref: '#/components/responses/Nope'}\n", "Nope"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), []byte(tt.doc), Options{})
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Error(), tt.want) {
				t.Fatalf("err = %v, want an *Error saying %q", err, tt.want)
			}
		})
	}
}

// A $ref to another server, even on loopback, is refused before anything is
// fetched: that server receives nothing, and the document still loads with
// the refusal listed (issue 18: a refused $ref costs that part only).
func TestRefsToOtherServersAreRefusedUnfetched(t *testing.T) {
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("type: object\n"))
	}))
	defer other.Close()
	var asked []string
	doc := "openapi: 3.0.0\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Evil: {$ref: '" +
		other.URL + "/schema.yaml'}\n    Local: {$ref: 'parts/local.yaml'}\n"
	got, err := Load(context.Background(), []byte(doc), Options{Location: "/docs/openapi.yaml",
		ReadRef: func(_ context.Context, p string) ([]byte, error) {
			asked = append(asked, p)
			return []byte("type: string\n"), nil
		}})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !hasProblem(got, "/components/schemas/Evil", "points outside the service's instance") {
		t.Errorf("problems %v, want the outside $ref refused at /components/schemas/Evil", got.Problems)
	}
	if hits.Load() != 0 {
		t.Errorf("the other server received %d requests", hits.Load())
	}
	for _, p := range asked {
		if p != "/docs/parts/local.yaml" {
			t.Errorf("ReadRef asked for %q: relative refs must resolve against the document's location", p)
		}
	}
	if s := got.T.Components.Schemas["Local"]; s == nil || s.Value == nil || !s.Value.Type.Is("string") {
		t.Errorf("the local $ref was not followed: %+v", s)
	}
}

// hasProblem reports whether doc lists a problem at where saying what.
func hasProblem(doc *Document, where, what string) bool {
	for _, p := range doc.Problems {
		if p.Where == where && strings.Contains(p.Message, what) {
			return true
		}
	}
	return false
}

func TestValidationWarningsAreLocatedByJSONPointer(t *testing.T) {
	for msg, want := range map[string]string{
		"invalid paths: invalid path /v1/a/{B}/c: invalid operation POST: invalid example":  "/paths/~1v1~1a~1{B}~1c/post",
		`invalid components: schema "ClusterInfo": invalid example: value must be a string`: "/components/schemas/ClusterInfo",
		"something else entirely": "",
	} {
		if got, _ := locate(msg); got != want {
			t.Errorf("locate(%q) = %q, want %q", msg, got, want)
		}
	}
	doc, err := Load(context.Background(), fixture(t, "swagger2-docker-engine.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := doc.Problems[0]; p.Where != "/components/schemas/ClusterInfo" || !strings.HasPrefix(p.Message, "invalid example") {
		t.Errorf("first Docker Engine warning = %+v", p)
	}
}
