package catalog

import (
	"reflect"
	"sync"
	"testing"

	"github.com/bulwark-gw/bulwark/openapi"
)

const securedDoc = `{"openapi":"3.0.3","info":{"title":"p","version":"1"},
"servers":[{"url":"http://pets.internal/v1"}],
"security":[{"key":[]}],
"paths":{"/pets":{"get":{"responses":{"200":{"description":"ok"}}}},
 "/pets/{id}":{"get":{"security":[],"responses":{"200":{"description":"ok"}}}}},
"components":{"securitySchemes":{"key":{"type":"apiKey","in":"header","name":"X-API-Key"}}}}`

func TestSecurityAnswersForTheDocumentThePortalShows(t *testing.T) {
	var w world
	w.add("pets", serve(t, "/openapi.json", securedDoc), Route{Prefix: "/pets", StripPrefix: true})
	w.add("hal", serve(t, "/", `{"_links":{"self":{"href":"/"}}}`), Route{Prefix: "/hal"})
	w.add("broken", serve(t, "/openapi.json", `{"openapi":"3.0.3","info":`), Route{Prefix: "/broken"})
	c := w.run(t, Options{PublicURL: "https://gw.test"})
	key := []openapi.Requirement{{{Name: "key", Type: "apiKey", In: "header", Param: "X-API-Key"}}}
	for _, tt := range []struct {
		name, service, method, path string
		want                        []openapi.Requirement
		found                       bool
	}{
		{"the route prefix the gateway strips and the server's path lead the template", "pets", "GET", "/pets/v1/pets", key, true},
		{"a public operation is found with no requirement", "pets", "GET", "/pets/v1/pets/7", nil, true},
		{"a path the document does not describe is not found", "pets", "GET", "/pets/v1/owners", nil, false},
		{"the service's own path, without the route, is not what clients send", "pets", "GET", "/v1/pets", nil, false},
		{"a service with only a HAL root has no requirement to find", "hal", "GET", "/hal/", nil, false},
		{"a service whose document cannot be read has none", "broken", "GET", "/broken/x", nil, false},
		{"a service the catalog does not know has none", "ghost", "GET", "/ghost/x", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, found := c.Security(tt.service, tt.method, tt.path)
			if found != tt.found || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Security(%s, %s %s) = %+v, %v; want %+v, %v", tt.service, tt.method, tt.path, got, found, tt.want, tt.found)
			}
		})
	}

	// Readers never lock: asking while the catalog refreshes and swaps its
	// entries is race-free (run with -race) and always finds the operation.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				if _, found := c.Security("pets", "GET", "/pets/v1/pets"); !found {
					t.Error("a refresh hid the operation")
					return
				}
			}
		})
	}
	for range 20 {
		c.Update(w.snap)
	}
	wg.Wait()
}
