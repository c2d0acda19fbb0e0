package catalog

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/demo"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/openapi"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// world is a catalog over real services: their routes and a snapshot.
type world struct {
	routes map[string]Route
	snap   *discovery.Snapshot
}

func (w *world) add(name, addr string, r Route) {
	if w.routes == nil {
		w.routes = map[string]Route{}
		w.snap = &discovery.Snapshot{}
	}
	w.routes[name] = r
	w.snap.Services = w.snap.Services.Set(name, append(w.snap.Instances(name), discovery.Instance{ID: addr, Addr: addr, Health: discovery.Passing}))
}

// run starts a catalog over w and waits until it has settled.
func (w *world) run(t *testing.T, opts Options) *Catalog {
	t.Helper()
	opts.RouteOf = func(s string) (Route, bool) { r, ok := w.routes[s]; return r, ok }
	c := New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; c.fetcher.client.CloseIdleConnections() })
	c.Update(w.snap)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		idle := len(c.changed) == 0
		c.mu.Unlock()
		if idle && len(c.Entries()) > 0 {
			time.Sleep(50 * time.Millisecond) // the last refresh's swap
			return c
		}
		if time.Now().After(deadline) {
			t.Fatal("the catalog never settled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTheDemoServicesAreCataloguedAsReachedThroughTheGateway(t *testing.T) {
	fleet, err := demo.Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Close()
	var w world
	for _, s := range fleet.Services {
		for _, addr := range s.Instances {
			w.add(s.Name, addr, Route{Prefix: s.Route, StripPrefix: s.StripPrefix})
		}
	}
	c := w.run(t, Options{})
	pets, ok := c.Entry("pets")
	if !ok || pets.Kind != string(openapi.OpenAPI3_1) || pets.Location != "/openapi.json" || len(pets.Doc.Operations) == 0 {
		t.Fatalf("pets: %+v", pets)
	}
	orders, ok := c.Entry("orders")
	if !ok || orders.Kind != string(openapi.Swagger2) || orders.Location != "/swagger.json" {
		t.Fatalf("orders: %+v", orders)
	}
	if got := orders.Doc.T.Servers[0].URL; got != "/orders" {
		t.Errorf("orders server %q, want /orders (its basePath, the gateway keeping the prefix)", got)
	}
	lib, ok := c.Entry("library")
	if !ok || lib.Kind != "hal" || lib.HAL == nil || lib.Location != "/" {
		t.Fatalf("library: %+v", lib)
	}
	if l, ok := lib.HAL.Link("lib:books"); !ok || !strings.HasPrefix(l.Href, "/library/") {
		t.Errorf("library's books link %+v: want it built through the gateway's /library prefix", l)
	}

	hits := c.Search("GET orders", 10)
	if len(hits) == 0 || hits[0].Service != "orders" || hits[0].Method != "GET" {
		t.Errorf("search 'GET orders' = %+v", hits)
	}
	if hits := c.Search("lib:books", 10); len(hits) == 0 || hits[0].Service != "library" || hits[0].Kind != "link" {
		t.Errorf("search 'lib:books' = %+v, want the library's link relation", hits)
	}
	if hits := c.Search("no-such-thing-anywhere", 10); len(hits) != 0 {
		t.Errorf("a search for nothing found %+v", hits)
	}

	srv := httptest.NewServer(c.Handler("/portal/api"))
	defer srv.Close()
	var found []Hit
	getJSON(t, srv.URL+"/portal/api/search?q=pet", &found)
	if len(found) == 0 {
		t.Error("/search?q=pet found nothing")
	}
	var list []Entry
	getJSON(t, srv.URL+"/portal/api/services", &list)
	if len(list) != 3 || list[0].Service != "library" || list[1].Service != "orders" || list[2].Service != "pets" || list[2].Title == "" {
		t.Errorf("/services = %+v", list)
	}
	var normalized struct {
		OpenAPI string                 `json:"openapi"`
		Servers []struct{ URL string } `json:"servers"`
	}
	getJSON(t, srv.URL+"/portal/api/services/orders/openapi.json", &normalized)
	if !strings.HasPrefix(normalized.OpenAPI, "3.") || len(normalized.Servers) != 1 || normalized.Servers[0].URL != "/orders" {
		t.Errorf("normalized orders document: %+v", normalized)
	}
	var root map[string]any
	getJSON(t, srv.URL+"/portal/api/services/library/hal.json", &root)
	if _, ok := root["_links"]; !ok {
		t.Errorf("library hal.json has no _links: %v", root)
	}
	res, err := http.Get(srv.URL + "/portal/api/services/orders/original")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !strings.Contains(string(body), `"swagger"`) {
		t.Errorf("original: %s %q", res.Header.Get("Content-Type"), body[:min(len(body), 80)])
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// serve is an instance serving body at path (and 404 elsewhere).
func serve(t *testing.T, path, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestABrokenDocumentIsReportedAndTheOthersStay(t *testing.T) {
	var hits atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"openapi":"3.0.0","info":{"title":"big","version":"1"},"x":"`)
		io.Copy(w, io.LimitReader(zeros{}, 50<<20))
	}))
	defer big.Close()
	var w world
	w.add("good", serve(t, "/openapi.yaml", "openapi: 3.0.0\ninfo: {title: Good, version: '1'}\npaths:\n  /a:\n    get:\n      responses: {'200': {description: ok}}\n"), Route{Prefix: "/good"})
	w.add("yaml", serve(t, "/openapi.yaml", "openapi: 3.0.0\ninfo:\n  title: [unclosed\n"), Route{Prefix: "/yaml"})
	w.add("big", big.Listener.Addr().String(), Route{Prefix: "/big"})
	w.add("evil", serve(t, "/openapi.json", `{"openapi":"3.0.0","info":{"title":"e","version":"1"},"paths":{},`+
		`"components":{"schemas":{"X":{"$ref":"`+other.URL+`/x.json"}}}}`), Route{Prefix: "/evil"})
	w.add("none", serve(t, "/nothing", ""), Route{Prefix: "/none"})
	c := w.run(t, Options{MaxSize: 1 << 20})

	if e, _ := c.Entry("good"); e == nil || e.Error != "" || e.Title != "Good" {
		t.Errorf("good: %+v", e)
	}
	for name, want := range map[string]string{"yaml": "line", "big": "larger than"} {
		e, ok := c.Entry(name)
		if !ok || !strings.Contains(e.Error, want) {
			t.Errorf("%s: %+v, want an error saying %q", name, e, want)
		}
	}
	// A $ref to another server costs that part only (issue 18): the
	// document loads, and the refusal is its problem.
	if e, ok := c.Entry("evil"); !ok || e.Doc == nil || len(e.Problems) == 0 ||
		!strings.Contains(e.Problems[0].Message, "outside the service's instance") {
		t.Errorf("evil: %+v, want the document with the outside $ref refused as a problem", e)
	}
	if _, ok := c.Entry("none"); ok {
		t.Error("a service with no document is listed")
	}
	if hits.Load() != 0 {
		t.Errorf("the server a $ref pointed at received %d requests", hits.Load())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// During a rolling deploy instances serve different documents: the catalog
// says which instances serve which version.
func TestInstancesServingDifferentDocumentsAreGroupedByVersion(t *testing.T) {
	v1 := "openapi: 3.0.0\ninfo: {title: S, version: '1'}\npaths: {}\n"
	v2 := "openapi: 3.0.0\ninfo: {title: S, version: '2'}\npaths: {}\n"
	a, b, c2 := serve(t, "/openapi.yaml", v1), serve(t, "/openapi.yaml", v2), serve(t, "/openapi.yaml", v1)
	var w world
	for _, addr := range []string{a, b, c2} {
		w.add("s", addr, Route{Prefix: "/s"})
	}
	c := w.run(t, Options{})
	e, _ := c.Entry("s")
	if e == nil || len(e.Versions) != 2 {
		t.Fatalf("versions: %+v", e)
	}
	counts := map[int]bool{len(e.Versions[0].Instances): true, len(e.Versions[1].Instances): true}
	if !counts[1] || !counts[2] || e.Versions[0].Hash == e.Versions[1].Hash {
		t.Errorf("versions %+v: want one served by two instances and one by one", e.Versions)
	}
}

// With a public URL, a normalized document's servers are absolute, for
// generated clients; the route prefix follows when the gateway strips it.
func TestServersStartWithThePublicURL(t *testing.T) {
	var w world
	w.add("s", serve(t, "/openapi.yaml", "openapi: 3.0.0\ninfo: {title: S, version: '1'}\nservers: [{url: /v1}]\npaths: {}\n"),
		Route{Prefix: "/s", StripPrefix: true})
	c := w.run(t, Options{PublicURL: "https://api.example.com"})
	e, _ := c.Entry("s")
	if e == nil || e.Doc == nil || e.Doc.T.Servers[0].URL != "https://api.example.com/s/v1" {
		t.Fatalf("servers: %+v", e)
	}
}
