package catalog

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
)

// TestAnUnchangedDocumentIsNotLoadedAgain: a refresh that fetches the same
// bytes from the same path, for the same route, keeps the loaded document
// (and so its compiled contract and security index); new bytes, a new
// route, or a document that reads external $refs (which may change while
// the root does not) are loaded again. Each refresh is still a fresh entry,
// fetched from every instance.
func TestAnUnchangedDocumentIsNotLoadedAgain(t *testing.T) {
	const v1 = `{"openapi":"3.0.3","info":{"title":"pets","version":"1"},"paths":{"/pets":{"get":{"responses":{"200":{"description":"ok"}}}}}}`
	const v2 = `{"openapi":"3.0.3","info":{"title":"pets","version":"2"},"paths":{"/pets":{"get":{"responses":{"200":{"description":"ok"}}}}}}`
	const withRef = `{"openapi":"3.0.3","info":{"title":"refs","version":"1"},"paths":{"/pets":{"get":{"responses":{"200":{"description":"ok",
		"content":{"application/json":{"schema":{"$ref":"schemas.json#/Pet"}}}}}}}}}`
	var doc atomic.Pointer[string]
	doc.Store(new(v1))
	var fetches atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/openapi.json":
			fetches.Add(1)
			_, _ = w.Write([]byte(*doc.Load()))
		case "/schemas.json":
			_, _ = w.Write([]byte(`{"Pet":{"type":"object"}}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	var route atomic.Pointer[Route]
	route.Store(&Route{Prefix: "/pets", StripPrefix: true})
	c := New(Options{RouteOf: func(string) (Route, bool) { return *route.Load(), true }})
	defer c.fetcher.client.CloseIdleConnections()
	snap := &discovery.Snapshot{}
	snap.Services = snap.Services.Set("pets", []discovery.Instance{{ID: "a", Addr: addr, Health: discovery.Passing}, {ID: "b", Addr: addr, Health: discovery.Passing}})
	refresh := func() *Entry {
		t.Helper()
		c.Update(snap)
		c.refresh(context.Background())
		e, ok := c.Entry("pets")
		if !ok || e.Doc == nil {
			t.Fatalf("pets: %+v", e)
		}
		return e
	}

	first := refresh()
	before := fetches.Load()
	again := refresh()
	if again == first || again.Doc != first.Doc {
		t.Errorf("the same bytes were loaded again (entry %p → %p, document %p → %p)", first, again, first.Doc, again.Doc)
	}
	if len(again.items) == 0 || &again.items[0] != &first.items[0] {
		t.Error("the same document was indexed again")
	}
	if n := fetches.Load() - before; n != 2 || len(again.Versions) != 1 || len(again.Versions[0].Instances) != 2 {
		t.Errorf("the refresh fetched %d times and found versions %+v, want both instances read", n, again.Versions)
	}

	doc.Store(new(v2))
	changed := refresh()
	if changed.Doc == again.Doc || changed.Version != "2" {
		t.Errorf("new bytes kept the old document (version %q)", changed.Version)
	}

	route.Store(&Route{Prefix: "/animals", StripPrefix: true})
	moved := refresh()
	if moved.Doc == changed.Doc || moved.Doc.T.Servers[0].URL != "/animals" {
		t.Errorf("a new route kept the document loaded for the old one (servers %v)", moved.Doc.T.Servers[0].URL)
	}

	doc.Store(new(withRef))
	refs := refresh()
	if refsAgain := refresh(); refsAgain.Doc == refs.Doc {
		t.Error("a document that reads external $refs was not loaded again: its refs may have changed")
	}
}

// BenchmarkRefreshUnchanged is a periodic refresh of 100 services whose
// documents (the Twilio messaging API, 482 KiB) have not changed: one
// fetch per service, and no load when sameDocument holds.
func BenchmarkRefreshUnchanged(b *testing.B) {
	body, err := os.ReadFile(filepath.Join("..", "openapi", "testdata", "oas30-twilio-messaging-v1.json"))
	if err != nil {
		b.Fatal(err)
	}
	addr := serveDoc(b, "/openapi.json", body)
	snap := &discovery.Snapshot{}
	for i := range 100 {
		snap.Services = snap.Services.Set(fmt.Sprintf("s%03d", i), []discovery.Instance{{ID: "a", Addr: addr, Health: discovery.Passing}})
	}
	c := New(Options{RouteOf: func(s string) (Route, bool) { return Route{Prefix: "/" + s}, true }})
	defer c.fetcher.client.CloseIdleConnections()
	c.Update(snap)
	c.refresh(context.Background())
	b.ReportAllocs()
	for b.Loop() {
		c.Update(snap)
		c.refresh(context.Background())
	}
	if n := len(c.Entries()); n != 100 {
		b.Fatalf("%d entries", n)
	}
}
