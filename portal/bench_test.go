package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/discovery"
)

// fixtureSite serves every real OpenAPI fixture as its own service and
// returns the portal over a catalog of them.
func fixtureSite(tb testing.TB) (http.Handler, []string) {
	tb.Helper()
	files := []string{"swagger2-uber.json", "swagger2-petstore-formdata.yaml", "swagger2-docker-engine.yaml",
		"oas30-petstore-expanded.yaml", "oas30-link-example.yaml", "oas30-twilio-messaging-v1.json",
		"oas31-museum.yaml", "oas31-webhook-example.json"}
	snap := &discovery.Snapshot{}
	routes := map[string]catalog.Route{}
	var names []string
	for i, f := range files {
		doc, err := os.ReadFile(filepath.Join("..", "openapi", "testdata", f))
		if err != nil {
			tb.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/openapi.json" {
				http.NotFound(w, r)
				return
			}
			w.Write(doc)
		}))
		tb.Cleanup(srv.Close)
		name := f[:len(f)-len(filepath.Ext(f))]
		names = append(names, name)
		addr := srv.Listener.Addr().String()
		snap.Services = snap.Services.Set(name, []discovery.Instance{{ID: addr, Addr: addr, Health: discovery.Passing}})
		routes[name] = catalog.Route{Prefix: "/" + name, StripPrefix: i%2 == 0}
	}
	c := catalog.New(catalog.Options{RouteOf: func(s string) (catalog.Route, bool) { r, ok := routes[s]; return r, ok }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	c.Update(snap)
	deadline := time.Now().Add(30 * time.Second)
	for len(c.Entries()) < len(files) {
		if time.Now().After(deadline) {
			tb.Fatalf("catalog has %d of %d fixtures", len(c.Entries()), len(files))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return Handler(Options{Path: "/portal", Catalog: c}), names
}

// Every real fixture's service page and operation pages render.
func TestEveryFixtureRenders(t *testing.T) {
	h, names := fixtureSite(t)
	for _, name := range names {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/services/"+name, nil))
		if rec.Code != 200 {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body.String())
		}
	}
}

// An operation page names its security requirements (the petstore's
// oauth2 with scopes and api_key).
func TestOperationPagesShowSecurity(t *testing.T) {
	h, _ := fixtureSite(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/services/swagger2-petstore-formdata/operations/addpet", nil))
	if body := rec.Body.String(); rec.Code != 200 || !strings.Contains(body, "petstore_auth (write:pets, read:pets)") {
		t.Errorf("addPet page: %d, no petstore_auth requirement", rec.Code)
	}
}

// BenchmarkRender is the server time of the catalog page and of the largest
// fixture's service page (Docker Engine, 98 paths).
func BenchmarkRender(b *testing.B) {
	h, _ := fixtureSite(b)
	for _, path := range []string{"/portal/", "/portal/services/swagger2-docker-engine", "/portal/services/oas30-twilio-messaging-v1",
		"/portal/services/swagger2-docker-engine/operations/containerlist"} {
		b.Run(path, func(b *testing.B) {
			for range b.N {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
				if rec.Code != 200 {
					b.Fatalf("%s: %d", path, rec.Code)
				}
			}
		})
	}
}
