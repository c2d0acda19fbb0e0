package catalog

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A document version change re-validates with the new one: the contract
// is the refreshed document's, never a validator kept from the old.
func TestAChangedDocumentIsValidatedWithItsNewVersion(t *testing.T) {
	var required atomic.Value
	required.Store("name")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.yaml" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `openapi: 3.0.3
info: {title: Pets, version: '`+required.Load().(string)+`'}
paths:
  /pets:
    post:
      operationId: addPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [`+required.Load().(string)+`]}
      responses: {'201': {description: made}}
`)
	}))
	t.Cleanup(srv.Close)
	var w world
	w.add("pets", srv.Listener.Addr().String(), Route{Prefix: "/pets"})
	c := w.run(t, Options{Refresh: 200 * time.Millisecond})

	check := func() int {
		ct, problem := c.Contract("pets")
		if ct == nil {
			t.Fatalf("no contract: %q", problem)
		}
		r := httptest.NewRequest("POST", "/pets", strings.NewReader(`{"name":"rex"}`))
		r.Header.Set("Content-Type", "application/json")
		res := ct.Request(r, []byte(`{"name":"rex"}`))
		if !res.Found {
			t.Fatalf("POST /pets is not found in the document: %+v", res)
		}
		return len(res.Violations)
	}
	if n := check(); n != 0 {
		t.Fatalf("version name: a body with name has %d violations, want 0", n)
	}
	required.Store("title")
	deadline := time.Now().Add(20 * time.Second)
	for check() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the refreshed document (title required) never validated the request")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, problem := c.Contract("nobody"); problem != "" {
		t.Errorf("a service without a document has a problem: %q", problem)
	}
}
