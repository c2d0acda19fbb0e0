package catalog

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestASplitDocumentIsReadFromItsOwnInstance serves Redocly's 2022 split
// starter (paths, components and the info description in separate files)
// from one instance, with a $ref out of its folder and one to another host
// added: the catalog reads the parts through its own fetcher from that
// instance only, every operation is there, and the refused refs are
// problems (issue 18).
func TestASplitDocumentIsReadFromItsOwnInstance(t *testing.T) {
	dir := "../openapi/testdata/real/oas31-redocly-starter-2022"
	root, err := os.ReadFile(filepath.Join(dir, "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		p, ok := strings.CutPrefix(r.URL.Path, "/api/")
		if r.URL.Path == "/secret.txt" {
			w.Write([]byte("the instance's secret"))
			return
		}
		if r.URL.Path == "/api/huge.yaml" {
			w.Write([]byte("#" + strings.Repeat("x", 3<<20))) // past the catalog's size cap
			return
		}
		if p == "openapi.yaml" {
			doc := strings.Replace(string(root), "paths:\n", "paths:\n  /escape: {$ref: '../secret.txt'}\n"+
				"  /other: {$ref: 'http://169.254.169.254/latest/meta-data/x.yaml'}\n  /huge: {$ref: huge.yaml}\n", 1)
			w.Write([]byte(doc))
			return
		}
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if !ok || err != nil {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	var w world
	w.add("starter", srv.Listener.Addr().String(), Route{Prefix: "/starter"})
	c := w.run(t, Options{MaxSize: 2 << 20, DocPath: func(string) string { return "/api/openapi.yaml" }})
	e, ok := c.Entry("starter")
	if !ok || e.Doc == nil {
		t.Fatalf("not loaded: %+v", e)
	}
	if len(e.Doc.Operations) != 5 {
		t.Errorf("%d operations, want the starter's 5: %v", len(e.Doc.Operations), e.Doc.Operations)
	}
	if d := e.Doc.T.Info.Description; !strings.Contains(d, "# Introduction") && len(d) < 100 {
		t.Errorf("info.description was not read from info-description.md: %q", d)
	}
	for where, says := range map[string]string{"/paths/~1escape": "leaves the document's folder",
		"/paths/~1other": "points outside", "/paths/~1huge": "larger than"} {
		found := false
		for _, p := range e.Problems {
			found = found || p.Where == where && strings.Contains(p.Message, says)
		}
		if !found {
			t.Errorf("no problem at %s saying %q: %v", where, says, e.Problems)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range asked {
		if !strings.HasPrefix(p, "/api/") {
			t.Errorf("the catalog fetched %s, outside the document's folder", p)
		}
	}
}
