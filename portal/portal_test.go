package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/demo"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hostile is an API document written to attack the portal: script in every
// string a page shows, and javascript: links.
const hostile = `{"openapi":"3.0.0","info":{"title":"<script>alert('title')</script>","version":"1<img src=x onerror=alert(1)>"},
"paths":{"/evil":{"get":{"operationId":"evil","summary":"<script>alert('summary')</script>",
"description":"<a href=\"javascript:alert(1)\">click</a>","tags":["<b>tag</b>"],
"parameters":[{"name":"q<script>","in":"query","description":"<iframe src=javascript:alert(1)>","schema":{"type":"string","enum":["<script>x</script>"]}}],
"requestBody":{"content":{"application/json":{"schema":{"type":"object","required":["<script>alert('field')</script>"],"properties":{
  "<script>alert('field')</script>":{"type":"string","description":"<img src=x onerror=alert(2)> [x](javascript:alert(3))","example":"<script>alert('example')</script>"},
  "nested":{"oneOf":[{"type":"object","title":"<iframe>","properties":{"<svg onload=alert(4)>":{"type":"integer"}}}]}}}}}},
"responses":{"200":{"description":"<svg onload=alert(1)>","content":{"application/json":{"example":{"<script>alert('key')</script>":"<img src=x onerror=alert(5)>"}}}}}}}}}`

// site runs a catalog over the demo's services and a hostile one, and serves
// the portal over it.
func site(t *testing.T, breaker ...string) *httptest.Server {
	t.Helper()
	return siteWith(t, func(o *Options) {
		if len(breaker) > 0 {
			inner := o.Health
			o.Health = func(s string) (Health, bool) {
				h, ok := inner(s)
				h.Breaker = breaker[0]
				return h, ok
			}
		}
	})
}

// siteWith is site with its portal options changed by tweak.
func siteWith(t *testing.T, tweak func(*Options)) *httptest.Server {
	t.Helper()
	fleet, err := demo.Start(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fleet.Close() })
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi.json" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, hostile)
	}))
	t.Cleanup(evil.Close)

	routes := map[string]catalog.Route{"evil": {Prefix: "/evil"}}
	snap := &discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{
		"evil": {{ID: "e", Addr: evil.Listener.Addr().String(), Health: discovery.Passing}}})}
	for _, s := range fleet.Services {
		routes[s.Name] = catalog.Route{Prefix: s.Route, StripPrefix: s.StripPrefix}
		for _, a := range s.Instances {
			snap.Services = snap.Services.Set(s.Name, append(snap.Instances(s.Name), discovery.Instance{ID: a, Addr: a, Health: discovery.Passing}))
		}
	}
	opts := Options{Path: "/portal", Health: func(s string) (Health, bool) {
		return Health{Healthy: 1, Total: 2, Breaker: "closed", Instances: []Instance{
			{Addr: "127.0.0.1:4101", Weight: 100}, {Addr: "127.0.0.1:4102", Weight: 100, Ejected: true}}}, s != "evil"
	}}
	tweak(&opts)
	c := catalog.New(catalog.Options{PublicURL: opts.PublicURL,
		RouteOf: func(s string) (catalog.Route, bool) { r, ok := routes[s]; return r, ok }})
	opts.Catalog = c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	c.Update(snap)
	deadline := time.Now().Add(10 * time.Second)
	for len(c.Entries()) < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("the catalog has %d entries, want 4", len(c.Entries()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	h := Handler(opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func page(t *testing.T, srv *httptest.Server, path string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func TestPortalPages(t *testing.T) {
	srv := site(t)
	for _, tt := range []struct {
		name, path string
		want       []string
	}{
		{"the catalog lists every service with its kind and health", "/portal/",
			[]string{`href="/portal/services/pets"`, "openapi-3.1", "swagger-2.0", "hal", "1/2", `href="/portal/static/portal.css"`}},
		{"a service page groups its operations and offers both documents", "/portal/services/pets",
			[]string{"/api/services/pets/openapi.json", "/api/services/pets/original", `/portal/services/pets/operations/`}},
		{"a HAL service lists its links", "/portal/services/library", []string{"lib:books", "/library/"}},
		{"search finds operations across services", "/portal/search?q=orders", []string{`href="/portal/services/orders/operations/`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := page(t, srv, tt.path)
			if code != 200 {
				t.Fatalf("%s: %d %s", tt.path, code, body)
			}
			if !strings.Contains(hdr.Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("CSP = %q", hdr.Get("Content-Security-Policy"))
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s does not contain %q", tt.path, w)
				}
			}
		})
	}
	_, _, svc := page(t, srv, "/portal/services/orders")
	i := strings.Index(svc, `/portal/services/orders/operations/`)
	if i < 0 {
		t.Fatal("no operation link on the orders page")
	}
	link := svc[i : i+strings.IndexByte(svc[i:], '"')]
	code, _, op := page(t, srv, link)
	if code != 200 || !strings.Contains(op, "Responses") || !strings.Contains(op, "curl -X") {
		t.Errorf("operation page %s: %d %.300s", link, code, op)
	}
	if code, _, _ := page(t, srv, "/portal/services/nobody"); code != 404 {
		t.Errorf("an unknown service: %d", code)
	}
}

// Everything a hostile document says is shown as text: no element it
// names reaches the page, and no javascript: link is clickable.
func TestAHostileDocumentRendersInert(t *testing.T) {
	srv := site(t)
	for _, path := range []string{"/portal/", "/portal/services/evil", "/portal/services/evil/operations/evil", "/portal/search?q=evil"} {
		code, _, body := page(t, srv, path)
		if code != 200 {
			t.Fatalf("%s: %d", path, code)
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "<iframe", "<svg", `href="javascript:`, "<b>tag</b>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q unescaped", path, bad)
			}
		}
	}
	_, _, body := page(t, srv, "/portal/services/evil/operations/evil")
	for what, want := range map[string]string{
		"summary":                            "&lt;script&gt;alert(&#39;summary&#39;)&lt;/script&gt;",
		"a property name in the schema tree": `<code class="name">&lt;script&gt;alert(&#39;field&#39;)&lt;/script&gt;</code>`,
		"a property of a oneOf alternative":  `<code class="name">&lt;svg onload=alert(4)&gt;</code>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the hostile %s is not shown, escaped, as text", what)
		}
	}
}

// When the service's breaker is open, the operation page says so before
// anyone sends a request.
func TestTheOperationPageWarnsOfAnOpenBreaker(t *testing.T) {
	srv := site(t, "open")
	_, _, body := page(t, srv, "/portal/services/pets/operations/listpets")
	if !strings.Contains(body, `id="breaker-open"`) {
		t.Error("no warning of the open breaker on the operation page")
	}
	closed := site(t)
	if _, _, body := page(t, closed, "/portal/services/pets/operations/listpets"); strings.Contains(body, `id="breaker-open"`) {
		t.Error("a closed breaker is reported open")
	}
}

func TestSystemMap(t *testing.T) {
	c := catalog.New(catalog.Options{RouteOf: func(string) (catalog.Route, bool) { return catalog.Route{}, false }})
	h := Handler(Options{Path: "/portal", Catalog: c, Map: func() []MapService {
		return []MapService{{Name: "pets", Breaker: "open", Instances: []MapInstance{{}, {Ejected: true}}},
			{Name: "<script>x</script>", Instances: []MapInstance{}}}
	}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, _, body := page(t, srv, "/portal/map")
	if code != 200 || strings.Count(body, `class="dot ok"`) < 1 || !strings.Contains(body, `class="dot out"`) ||
		!strings.Contains(body, "breaker open") || strings.Contains(body, "<script>x") {
		t.Errorf("map page: %d %s", code, body)
	}
	code, hdr, body := page(t, srv, "/portal/map.json")
	if code != 200 || hdr.Get("Content-Type") != "application/json" || !strings.Contains(body, `"ejected":true`) {
		t.Errorf("map.json: %d %s", code, body)
	}
}

// TestInstanceAddressesNeedPermission checks that instance addresses reach
// the service page and the system map only when the portal may show them.
func TestInstanceAddressesNeedPermission(t *testing.T) {
	mapOf := func() []MapService {
		return []MapService{{Name: "pets", Instances: []MapInstance{{Addr: "127.0.0.1:4101"}}}}
	}
	for _, show := range []bool{false, true} {
		srv := siteWith(t, func(o *Options) { o.ShowInstances, o.Map = show, mapOf })
		_, _, svc := page(t, srv, "/portal/services/pets")
		_, _, sysmap := page(t, srv, "/portal/map")
		_, _, js := page(t, srv, "/portal/map.json")
		for name, body := range map[string]string{"service page": svc, "map": sysmap, "map.json": js} {
			if got := strings.Contains(body, "127.0.0.1:4101"); got != show {
				t.Errorf("ShowInstances %v: %s shows the address: %v", show, name, got)
			}
		}
		if show && (!strings.Contains(svc, "127.0.0.1:4102") || !strings.Contains(svc, "ejected after failures")) {
			t.Errorf("the service page does not list the ejected instance: %s", svc)
		}
	}
}

// TestTryItStaysOnThisOrigin checks an operation page under portal.public_url:
// the form sends to the route's path on the portal's own origin, and the
// curl line names the public address.
func TestTryItStaysOnThisOrigin(t *testing.T) {
	srv := siteWith(t, func(o *Options) { o.PublicURL = "https://api.example.com" })
	_, _, body := page(t, srv, "/portal/services/pets/operations/listpets")
	for _, want := range []string{`data-server="" data-public="https://api.example.com"`, `curl -X GET 'https://api.example.com/pets'`} {
		if !strings.Contains(body, want) {
			t.Errorf("the operation page lacks %s", want)
		}
	}
}

func TestDescriptionsAreMarkdownSanitized(t *testing.T) {
	for in, want := range map[string][]string{
		"Creates a `pet` and **publishes** an event.": {"<code>pet</code>", "<strong>publishes</strong>"},
		"[docs](https://example.com/docs)":            {`href="https://example.com/docs"`, `rel="nofollow`},
	} {
		got := string(markdown(in))
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("markdown(%q) = %q, want %q in it", in, got, w)
			}
		}
	}
	for _, evil := range []string{"[x](javascript:alert(1))", "<script>alert(1)</script>", `<img src=x onerror=alert(1)>`,
		"<a href=\"javascript:alert(1)\">x</a>"} {
		got := string(markdown(evil))
		if strings.Contains(got, "javascript:") || strings.Contains(got, "<script") || strings.Contains(got, "onerror") || strings.Contains(got, "<img") {
			t.Errorf("markdown(%q) = %q: not inert", evil, got)
		}
	}
}

func TestRequireUsers(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "in") })
	srv := httptest.NewServer(RequireUsers(map[string]string{"ada": "correct horse battery"}, ok))
	defer srv.Close()
	for _, tt := range []struct {
		user, pass string
		set        bool
		want       int
	}{{"", "", false, 401}, {"ada", "wrong password", true, 401}, {"bob", "correct horse battery", true, 401}, {"ada", "correct horse battery", true, 200}} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tt.set {
			req.SetBasicAuth(tt.user, tt.pass)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tt.want {
			t.Errorf("%s/%s: %d, want %d", tt.user, tt.pass, res.StatusCode, tt.want)
		}
	}
	if RequireUsers(nil, ok) == nil {
		t.Fatal("no handler without users")
	}
}

// A service page shows its cache's hit ratio beside its health, and nothing
// of a cache for a service without one.
func TestServicePageShowsTheCacheHitRatio(t *testing.T) {
	srv := siteWith(t, func(o *Options) {
		o.Health = func(s string) (Health, bool) {
			h := Health{Healthy: 1, Total: 1, Requests: 100}
			if s == "pets" {
				h.CacheLookups, h.CacheHits = 40, 35
			}
			return h, true
		}
	})
	if _, _, body := page(t, srv, "/portal/services/pets"); !strings.Contains(body, "35 of 40 requests answered from it (87%)") {
		t.Errorf("the pets page does not show its cache's hit ratio:\n%s", body)
	}
	if _, _, body := page(t, srv, "/portal/services/library"); strings.Contains(body, "answered from it") {
		t.Error("a service without a cache shows a hit ratio")
	}
}
