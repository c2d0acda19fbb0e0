package catalog

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// serveDoc is an instance serving body at path, and 404 elsewhere.
func serveDoc(t testing.TB, path string, body []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// within fails the test when f has not returned after a minute: a walker
// that never ends must fail the test, not hang it.
func within(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("still running after a minute: a walker does not terminate")
	}
}

// TestHostileDocumentsCostOnlyTheirOwnService loads, indexes and serves
// documents written to make a walker recurse forever, beside a normal one:
// the hostile services are catalogued (or errored), the normal one is
// searchable, and every JSON API answer is written.
func TestHostileDocumentsCostOnlyTheirOwnService(t *testing.T) {
	files, _ := filepath.Glob("../openapi/testdata/hostile/*")
	if len(files) == 0 {
		t.Fatal("no hostile documents in ../openapi/testdata/hostile")
	}
	var w world
	w.add("good", serveDoc(t, "/openapi.json", []byte(`{"openapi":"3.0.3","info":{"title":"good","version":"1"},
"paths":{"/widgets":{"get":{"operationId":"listWidgets","responses":{"200":{"description":"ok"}}}}}}`)), Route{Prefix: "/good"})
	names := []string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		names = append(names, name)
		w.add(name, serveDoc(t, "/openapi.yaml", b), Route{Prefix: "/" + name})
	}
	deepHAL := strings.Repeat(`{"_links":{"self":{"href":"/"},"a":[`+strings.Repeat(`{"href":"/x"},`, 200)+`{"href":"/y"}]},"_embedded":{"down":[`, 40) +
		`{}` + strings.Repeat(`]}}`, 40)
	w.add("deephal", serveDoc(t, "/", []byte(deepHAL)), Route{Prefix: "/deephal"})
	names = append(names, "deephal")
	within(t, func() {
		c := w.run(t, Options{})
		for _, n := range append(names, "good") {
			e, ok := c.Entry(n)
			if !ok || (e.Doc == nil && e.HAL == nil && e.Error == "") {
				t.Errorf("%s: not catalogued: %+v", n, e)
			}
		}
		if hits := c.Search("listWidgets", 5); len(hits) == 0 || hits[0].Service != "good" {
			t.Errorf("the good service is not searchable: %+v", hits)
		}
		if hits := c.Search("op", 100); len(hits) == 0 {
			t.Error("the hostile services' operations are not indexed")
		}
		srv := httptest.NewServer(c.Handler("/api"))
		defer srv.Close()
		for _, n := range names {
			for _, p := range []string{"/api/services/" + n, "/api/services/" + n + "/openapi.json", "/api/services/" + n + "/hal.json"} {
				res, err := http.Get(srv.URL + p)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusNotFound {
					t.Errorf("%s: %s", p, res.Status)
				}
			}
		}
	})
}

// TestABrokenDocumentKeepsOnlyAnExcerpt: a document that cannot be read is
// shown as an error, and the catalog keeps at most maxExcerpt bytes of it
// until the next refresh, not the whole body.
func TestABrokenDocumentKeepsOnlyAnExcerpt(t *testing.T) {
	body := append([]byte("openapi: 3.0.3\ninfo: {title: broken\n"), bytes.Repeat([]byte("# padding\n"), 20000)...)
	var w world
	w.add("broken", serveDoc(t, "/openapi.yaml", body), Route{Prefix: "/broken"})
	c := w.run(t, Options{})
	e, ok := c.Entry("broken")
	if !ok || e.Error == "" {
		t.Fatalf("broken: %+v", e)
	}
	if len(e.Original) > maxExcerpt || cap(e.Original) > 2*maxExcerpt || !bytes.HasPrefix(body, e.Original) {
		t.Errorf("kept %d bytes (capacity %d) of a %d-byte broken document", len(e.Original), cap(e.Original), len(body))
	}
}

// TestAPanicReadingOneDocumentCostsOnlyThatService: the catalog's fetch
// goroutines recover, so a panic while handling one service's document
// marks that service errored and the others are catalogued.
func TestAPanicReadingOneDocumentCostsOnlyThatService(t *testing.T) {
	good := serveDoc(t, "/openapi.json", []byte(`{"openapi":"3.0.3","info":{"title":"good","version":"1"},"paths":{}}`))
	var w world
	w.add("good", good, Route{Prefix: "/good"})
	w.add("boom", good, Route{Prefix: "/boom"})
	c := w.run(t, Options{DocPath: func(s string) string {
		if s == "boom" {
			panic("a bug met a hostile document")
		}
		return ""
	}})
	if e, ok := c.Entry("boom"); !ok || !strings.Contains(e.Error, "internal error") {
		t.Errorf("boom: %+v, want an entry with the internal error", e)
	}
	if e, ok := c.Entry("good"); !ok || e.Doc == nil {
		t.Errorf("good: %+v, want it catalogued", e)
	}
}
