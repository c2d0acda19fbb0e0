package openapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// contractFixtures are the real documents of the golden test, loaded the
// same way, plus the largest 3.1 document of the shared set when present.
func contractFixtures(t *testing.T) map[string]*Document {
	t.Helper()
	cases := map[string]Options{
		"swagger2-uber.json": {}, "swagger2-petstore-formdata.yaml": {}, "swagger2-docker-engine.yaml": {},
		"oas30-petstore-expanded.yaml": {}, "oas30-link-example.yaml": {}, "oas30-twilio-messaging-v1.json": {},
		"oas31-museum.yaml": {}, "oas31-webhook-example.json": {},
		"oas31-redocly-cafe/openapi.yaml":              {Location: "/openapi.yaml", ReadRef: readFrom("oas31-redocly-cafe")},
		"swagger2-petstore-separate/spec/swagger.yaml": {Location: "/spec/swagger.yaml", ReadRef: readFrom("swagger2-petstore-separate")},
	}
	docs := map[string]*Document{}
	for file, opts := range cases {
		opts.PublicURL, opts.RoutePrefix, opts.StripPrefix = "https://gw.test", "/svc", true
		doc, err := Load(context.Background(), fixture(t, file), opts)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		docs[file] = doc
	}
	if b, err := os.ReadFile("/work/shared/fixtures/openapi/oas31-openai.yaml"); err == nil && !testing.Short() {
		doc, err := Load(context.Background(), b, Options{PublicURL: "https://gw.test", RoutePrefix: "/svc", StripPrefix: true})
		if err != nil {
			t.Fatalf("openai: %v", err)
		}
		docs["oas31-openai.yaml"] = doc
	}
	return docs
}

var templateParam = regexp.MustCompile(`\{[^}/]*\}`)

// TestContractFindsEveryOperationOfEveryRealDocument compiles the contract
// of every real fixture (Swagger 2.0 converted by Load, 3.0, 3.1) and sends
// each operation a request on its own path: it must be found, as the
// operation it is or one more specific that the same path names.
func TestContractFindsEveryOperationOfEveryRealDocument(t *testing.T) {
	for file, doc := range contractFixtures(t) {
		t.Run(file, func(t *testing.T) {
			c, err := doc.Contract()
			if err != nil {
				t.Fatalf("no contract: %v", err)
			}
			if doc.Kind == OpenAPI3_1 {
				t.Logf("notes: %q", c.Notes())
			}
			base := serverPath(doc.T.Servers[0].URL)
			for _, op := range doc.Operations {
				path := base + templateParam.ReplaceAllString(op.Path, "1")
				res := c.Request(httptest.NewRequest(op.Method, "http://gw.test"+path, nil), nil)
				if !res.Found {
					t.Errorf("%s %s: not found (%+v)", op.Method, path, res)
					continue
				}
				if res.Operation != op.Slug && res.Template == op.Path {
					t.Errorf("%s %s: operation %q, want %q", op.Method, path, res.Operation, op.Slug)
				}
				// Whatever the request lacks, the contract says it without
				// inventing kinds.
				for _, v := range res.Violations {
					if !slices.Contains([]string{"path", "query", "header", "cookie", "body", "content_type", "security"}, v.Kind) {
						t.Errorf("%s %s: violation of kind %q: %+v", op.Method, path, v.Kind, v)
					}
				}
			}
		})
	}
}

func TestContractChecksRealDocumentsOfEveryVersion(t *testing.T) {
	docs := contractFixtures(t)
	auth := map[string]string{"Authorization": "Bearer t", "api_key": "k"}
	for _, tt := range []struct {
		name, file string
		call       call
		op         string
		want       []string
	}{
		{"Swagger 2.0: formData becomes a form body that is checked", "swagger2-petstore-formdata.yaml",
			call{method: "POST", target: "/svc/v2/pet/7", header: auth, ctype: "application/x-www-form-urlencoded", body: "name=rex&status=sold"},
			"updatepetwithform", nil},
		{"Swagger 2.0: a path parameter of type integer is checked", "swagger2-petstore-formdata.yaml",
			call{method: "GET", target: "/svc/v2/pet/rex", header: auth}, "getpetbyid", []string{"path /path/petId"}},
		{"Swagger 2.0: a body parameter becomes a JSON body that is checked", "swagger2-petstore-formdata.yaml",
			call{method: "POST", target: "/svc/v2/pet", header: auth, ctype: "application/json", body: `{"name":"rex"}`},
			"addpet", []string{"body /body/photoUrls"}},
		{"Swagger 2.0: no credential is a security violation", "swagger2-petstore-formdata.yaml",
			call{method: "GET", target: "/svc/v2/pet/7"}, "getpetbyid", []string{"security /header/api_key"}},
		{"OpenAPI 3.0: a query integer is checked", "oas30-petstore-expanded.yaml",
			call{method: "GET", target: "/svc/v2/pets?limit=ten"}, "findpets", []string{"query /query/limit"}},
		{"OpenAPI 3.1: a valid body passes", "oas31-museum.yaml",
			call{method: "POST", target: "/svc/_mock/docs/openapi/museum-api/tickets", header: auth, ctype: "application/json",
				body: `{"ticketType":"general","ticketDate":"2023-09-07","email":"a@example.com"}`}, "buymuseumtickets", nil},
		{"OpenAPI 3.1: an allOf part's required field and enum are checked", "oas31-museum.yaml",
			call{method: "POST", target: "/svc/_mock/docs/openapi/museum-api/tickets", header: auth, ctype: "application/json",
				body: `{"ticketType":"vip"}`}, "buymuseumtickets", []string{"body /body/ticketDate", "body /body/ticketType"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := docs[tt.file].Contract()
			if err != nil {
				t.Fatal(err)
			}
			r, body := tt.call.request()
			res := c.Request(r, body)
			if !res.Found || res.Operation != tt.op {
				t.Fatalf("found %v operation %q, want %q", res.Found, res.Operation, tt.op)
			}
			if got := where(res.Violations); !slices.Equal(got, tt.want) {
				t.Errorf("violations %q, want %q (%+v)", got, tt.want, res.Violations)
			}
		})
	}
}

// One operation that cannot be compiled leaves it unchecked, never
// refused, and every other operation of the document checked.
func TestAnOperationThatCannotBeCompiledIsUncheckedAndTheOthersAreChecked(t *testing.T) {
	d, err := Load(context.Background(), []byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{
"/bad":{"post":{"requestBody":{"content":{"application/json":{"schema":{"type":"string","pattern":"(?<=a)b"}}}},"responses":{"200":{"description":"ok"}}}},
"/good":{"post":{"requestBody":{"required":true,"content":{"application/json":{"schema":{"type":"object","required":["n"]}}}},"responses":{"200":{"description":"ok"}}}}}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Contract()
	if err != nil {
		t.Fatalf("one bad operation turned the whole document off: %v", err)
	}
	if notes := strings.Join(c.Notes(), "\n"); !strings.Contains(notes, "not checked: POST /bad") {
		t.Errorf("notes %q do not name the unchecked operation", notes)
	}
	req := func(path, body string) RequestResult {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return c.Request(r, []byte(body))
	}
	if res := req("/bad", `"zzz"`); !res.Found || len(res.Violations) != 0 || res.Status != 0 {
		t.Errorf("the unchecked operation: %+v, want found and nothing refused", res)
	}
	if res := req("/good", `{}`); len(res.Violations) == 0 {
		t.Errorf("the good operation was not checked: %+v", res)
	}
	if vs := c.Response(req("/bad", `"a"`).Operation, 500, http.Header{}, nil); vs != nil {
		t.Errorf("an unchecked operation's response was checked: %v", vs)
	}
}

func TestContractCompileErrorsAndNotes(t *testing.T) {
	doc := func(version, schema string) string {
		return `{"openapi":"` + version + `","info":{"title":"t","version":"1"},"paths":{"/x":{"post":{
"requestBody":{"content":{"application/json":{"schema":` + schema + `}}},"responses":{"200":{"description":"ok"}}}}}}`
	}
	for _, tt := range []struct {
		name, doc string
		err       string // a part of the error, "" for none
		notes     string // a part of the notes, "" for none
	}{
		{"a pattern Go cannot compile turns validation off with the reason", doc("3.0.3", `{"type":"string","pattern":"(?<=a)b"}`), "does not compile", ""},
		{"a 3.0 document has no notes", doc("3.0.3", `{"type":"string"}`), "", ""},
		{"a 3.1 body keyword is checked by the 2020-12 validator, not noted", doc("3.1.0", `{"type":"object","properties":{"k":{"const":"a"}}}`), "", ""},
		{"a 3.1 body keyword whose schema cannot compile is noted", doc("3.1.0", `{"type":"object","properties":{"k":{"const":"a"},"n":{"type":"number","minimum":1,"exclusiveMinimum":true}}}`), "", `"const"`},
		{"a 3.1 type list compiles without notes", doc("3.1.0", `{"type":["string","null"]}`), "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(context.Background(), []byte(tt.doc), Options{})
			if err != nil {
				t.Fatal(err)
			}
			c, err := d.Contract()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) || c != nil {
					t.Fatalf("contract %v error %v, want an error with %q", c, err, tt.err)
				}
				if _, again := d.Contract(); again == nil || again.Error() != err.Error() {
					t.Errorf("a second call gives %v, want the same error", again)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			notes := strings.Join(c.Notes(), "\n")
			if (tt.notes == "") != (notes == "") || !strings.Contains(notes, tt.notes) {
				t.Errorf("notes %q, want %q", notes, tt.notes)
			}
		})
	}
}
