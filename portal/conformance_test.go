package portal

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// The traffic admissionSite's services report (the gateway's counts).
var conformances = map[string]Conformance{
	"keyed": {
		Operations: map[string]OperationConformance{
			"getpet": {Requests: 40, Invalid: 0, Responses: map[string]ResponseConformance{
				"200": {Checked: 32, Invalid: 1, ByKind: map[string]uint64{"body": 1}},
				"404": {Checked: 3},
			}, Examples: []ConformanceExample{{Direction: "response", Status: 200, Kind: "body", Pointer: "/body/name",
				Message: `property "name" is missing`}}},
			"createpet": {Requests: 10, Invalid: 3, ByKind: map[string]uint64{"body": 2, "query": 1},
				Examples: []ConformanceExample{{Direction: "request", Kind: "query", Pointer: "/query/<b>x</b>", Message: "<script>bad</script>"}}},
		},
		Undocumented: map[string]uint64{"GET /pets/{id}/owner": 7, "DELETE /pets": 2},
	},
	"fromdoc": {Problem: "schema #/components/schemas/Pet cannot be compiled"},
}

func TestPagesSayWhereLiveTrafficDisagreesWithTheDocument(t *testing.T) {
	srv := admissionSite(t, nil)
	get := func(path string) string {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return string(b)
	}
	page := get("/portal/services/keyed/operations/getpet")
	for _, want := range []string{"Live traffic disagrees with this document",
		"3.1% of 32 sampled 200 responses do not match it: body 1 (latest: /body/name: property &#34;name&#34; is missing)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the getPet page lacks %q", want)
		}
	}
	if strings.Contains(page, "404 responses") {
		t.Errorf("a status whose responses all matched is listed")
	}
	page = get("/portal/services/keyed/operations/createpet")
	if !strings.Contains(page, "30% of 10 requests do not match it: body 2, query 1") {
		t.Errorf("the createPet page lacks the request line")
	}
	if strings.Contains(page, "<script>bad") || strings.Contains(page, "<b>x</b>") {
		t.Errorf("an example reached the page unescaped")
	}
	if page := get("/portal/services/keyed/operations/listpets"); strings.Contains(page, "Live traffic disagrees") {
		t.Errorf("an operation without traffic says it disagrees")
	}
	page = get("/portal/services/keyed")
	if i, j := strings.Index(page, "GET /pets/{id}/owner</code>: 7"), strings.Index(page, "DELETE /pets</code>: 2"); i < 0 || j < i {
		t.Errorf("the service page does not list the undocumented traffic, most first")
	}
	if page := get("/portal/services/fromdoc"); !strings.Contains(page, "Traffic is not checked against this document") ||
		!strings.Contains(page, "cannot be compiled") {
		t.Errorf("the service page does not say why its traffic is not checked")
	}
}
