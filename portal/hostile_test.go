package portal

import (
	"context"
	"io"
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

// hostileSite serves the portal over a catalog of documents written to make
// a renderer recurse forever: every document in ../openapi/testdata/hostile
// (schemas cyclic through every keyword, wide self-references), a schema
// nested 1,000 levels deep, and a HAL root with deep _embedded and many
// links. It returns the server and the services' names.
func hostileSite(t *testing.T) (*httptest.Server, []string) {
	t.Helper()
	docs := map[string][]byte{}
	files, _ := filepath.Glob("../openapi/testdata/hostile/*")
	if len(files) == 0 {
		t.Fatal("no hostile documents in ../openapi/testdata/hostile")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		docs[strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))] = b
	}
	deep := strings.Repeat(`{"type":"array","items":`, 1000) + `{"type":"string"}` + strings.Repeat(`}`, 1000)
	docs["deep-arrays"] = []byte(`{"openapi":"3.0.3","info":{"title":"deep","version":"1"},"paths":{"/things":{"post":{"operationId":"op",
"requestBody":{"content":{"application/json":{"schema":` + deep + `}}},"responses":{"200":{"description":"ok"}}}}}}`)
	hal := strings.Repeat(`{"_links":{"self":{"href":"/"},"a":[`+strings.Repeat(`{"href":"/x"},`, 300)+`{"href":"/y"}]},"_embedded":{"down":[`, 40) +
		`{}` + strings.Repeat(`]}}`, 40)

	snap := &discovery.Snapshot{}
	routes := map[string]catalog.Route{}
	serve := func(name, path string, body []byte) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != path {
				http.NotFound(w, r)
				return
			}
			w.Write(body)
		}))
		t.Cleanup(srv.Close)
		addr := srv.Listener.Addr().String()
		snap.Services = snap.Services.Set(name, []discovery.Instance{{ID: name, Addr: addr, Health: discovery.Passing}})
		routes[name] = catalog.Route{Prefix: "/" + name}
	}
	var names []string
	for name, b := range docs {
		serve(name, "/openapi.yaml", b)
		names = append(names, name)
	}
	serve("deephal", "/", []byte(hal))
	names = append(names, "deephal")

	c := catalog.New(catalog.Options{RouteOf: func(s string) (catalog.Route, bool) { r, ok := routes[s]; return r, ok }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c.Update(snap)
	deadline := time.Now().Add(20 * time.Second)
	for len(c.Entries()) < len(names) {
		if time.Now().After(deadline) {
			t.Fatalf("the catalog has %d entries, want %d", len(c.Entries()), len(names))
		}
		time.Sleep(10 * time.Millisecond)
	}
	mux := http.NewServeMux()
	mux.Handle("/portal/api/", c.Handler("/portal/api"))
	mux.Handle("/", Handler(Options{Path: "/portal", Catalog: c}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, names
}

// TestHostileDocumentsRenderBounded guards the rule that no page or API
// answer walks a document without bounds: a self-referencing schema once
// ended the process with a stack overflow on one anonymous GET of its
// operation page. Every page and JSON answer about every hostile service is
// served, promptly, and stays small.
func TestHostileDocumentsRenderBounded(t *testing.T) {
	srv, names := hostileSite(t)
	paths := []string{"/portal/", "/portal/search?q=op", "/portal/api/search?q=op", "/portal/api/services"}
	for _, n := range names {
		paths = append(paths, "/portal/services/"+n, "/portal/services/"+n+"/operations/op",
			"/portal/services/"+n+"/browse", "/portal/api/services/"+n,
			"/portal/api/services/"+n+"/openapi.json", "/portal/api/services/"+n+"/hal.json")
	}
	// An unbounded walk never answers (or ends the process), so each page
	// gets a deadline, not a stopwatch: 30 s is ages for a bounded render,
	// even under the race detector on a busy machine.
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for _, p := range paths {
		res, err := client.Get(srv.URL + p)
		if err != nil {
			t.Errorf("%s: no answer: %v", p, err)
			continue
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20+1))
		res.Body.Close()
		if err != nil {
			t.Errorf("%s: reading the answer: %v", p, err)
		}
		if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", p, res.StatusCode)
		}
		if len(body) > 4<<20 {
			t.Errorf("%s: more than %d bytes", p, 4<<20)
		}
	}
	_, _, body := page(t, srv, "/portal/services/tree-array/operations/op")
	if !strings.Contains(body, "Tree array of Tree (recursive)") {
		t.Errorf("the tree's operation page does not name the recursion:\n%s", body)
	}
}
