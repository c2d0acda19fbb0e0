package test

import (
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/portal"
)

// instanceFleet is a set of upstreams whose addresses are known and easy to
// spot: each listens on its own loopback IP (127.0.0.2 and up), which
// nothing else in a test run uses, so the IP alone is a leak.
//
//	pets    two instances serving different versions of an OpenAPI document
//	        that names its own address (servers, description, header example)
//	broken  one instance that refuses connections: its fetch error names it
//	library a HAL root whose links and properties name its own address
type instanceFleet struct {
	pets    [2]string
	broken  string
	library string
}

func (f instanceFleet) all() []string {
	return []string{f.pets[0], f.pets[1], f.broken, f.library}
}

// listenOn starts h on ip (a loopback address) and returns its host:port.
func listenOn(t *testing.T, ip string, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s (this test needs 127.0.0.0/8 on loopback): %v", ip, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return ln.Addr().String()
}

func startInstanceFleet(t *testing.T) instanceFleet {
	t.Helper()
	var f instanceFleet
	for i := range f.pets {
		var self string
		self = listenOn(t, fmt.Sprintf("127.0.0.%d", 2+i), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/openapi.json" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"openapi":"3.0.3","info":{"title":"Pets","version":"%d","description":"Served by http://%s/."},
"servers":[{"url":"http://%s/v1"}],
"paths":{"/pets":{"get":{"operationId":"listPets","summary":"List pets",
  "parameters":[{"name":"X-Backend","in":"header","example":"%s","schema":{"type":"string"}}],
  "responses":{"200":{"description":"pets from %s"}}}}}}`, i+1, self, self, self, self)
		}))
		f.pets[i] = self
	}
	// An address nothing listens on: the catalog's fetch is refused.
	ln, err := net.Listen("tcp", "127.0.0.4:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.4: %v", err)
	}
	f.broken = ln.Addr().String()
	ln.Close()
	var lib string
	lib = listenOn(t, "127.0.0.5", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/hal+json")
		fmt.Fprintf(w, `{"servedBy":"%s","_links":{"self":{"href":"http://%s/"},"books":{"href":"http://%s/books","title":"Books on %s"}}}`,
			lib, lib, lib, lib)
	}))
	f.library = lib
	return f
}

// config is a serve config over the fleet with the given portal block.
func (f instanceFleet) config(p ports, portalBlock string) string {
	return fmt.Sprintf(`listen:
  http: %q
admin:
  listen: %q
  token: %q
%s
discovery:
  static:
    - service: pets
      instances: [%q, %q]
    - service: broken
      instances: [%q]
    - service: library
      instances: [%q]
services:
  broken:
    docs: {openapi: /openapi.json}
  library:
    docs: {hal: /}
routes:
  - path: /pets
    service: pets
  - path: /broken
    service: broken
  - path: /library
    service: library
    strip_prefix: true
`, p.HTTP, p.Admin, adminToken, portalBlock, f.pets[0], f.pets[1], f.broken, f.library)
}

// waitForCatalog waits until the catalog has tried every service of the fleet.
func waitForCatalog(t *testing.T, c *http.Client, gw *proc, header ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		res := do(t, c, "GET", gw.url("/portal/api/services"), nil, header...)
		var entries []struct{ Service, Kind, Error string }
		_ = json.Unmarshal([]byte(res.Body), &entries)
		seen := map[string]bool{}
		for _, e := range entries {
			switch {
			case e.Service == "pets" && e.Kind != "", e.Service == "library" && e.Kind == "hal", e.Service == "broken" && e.Error != "":
				seen[e.Service] = true
			}
		}
		if len(seen) == 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the catalog never read the fleet's documents: %d %s", res.Status, res.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// leakFinder finds an instance address, its IP alone (each instance has an
// IP of its own) or its port as a number of its own, in any form a page may
// carry it (raw, percent- or HTML-escaped).
type leakFinder []*regexp.Regexp

func newLeakFinder(addrs []string) leakFinder {
	var f leakFinder
	for _, a := range addrs {
		host, port, _ := net.SplitHostPort(a)
		f = append(f,
			regexp.MustCompile(`(^|[^0-9])`+regexp.QuoteMeta(host)+`([^0-9]|$)`),
			regexp.MustCompile(`(^|[^0-9A-Za-z.])`+port+`([^0-9A-Za-z.]|$)`))
	}
	return f
}

func (f leakFinder) find(s string) string {
	for _, cand := range []string{s, html.UnescapeString(s)} {
		if u, err := url.PathUnescape(cand); err == nil {
			cand = u
		}
		for _, re := range f {
			if loc := re.FindStringIndex(cand); loc != nil {
				from, to := max(0, loc[0]-60), min(len(cand), loc[1]+60)
				return cand[from:to]
			}
		}
	}
	return ""
}

// crawlPortal walks every portal URL: every pattern the portal serves
// (portal.Patterns, so a new page is walked without editing this test), its
// wildcards filled with each service, operation slug and a name that does not
// exist, then every same-origin portal link found in the HTML and JSON it
// gets, up to limit URLs. visit sees each answer.
func crawlPortal(t *testing.T, c *http.Client, gw *proc, services []string, limit int, visit func(path string, res response), header ...string) map[string]bool {
	t.Helper()
	var slugs []string
	for _, s := range services {
		var v struct{ Operations []struct{ Slug string } }
		_ = json.Unmarshal([]byte(do(t, c, "GET", gw.url("/portal/api/services/"+s), nil, header...).Body), &v)
		for _, op := range v.Operations {
			slugs = append(slugs, op.Slug)
		}
	}
	names := append(append([]string(nil), services...), "nosuch")
	slugs = append(slugs, "nosuch")
	var queue []string
	seen := map[string]bool{}
	add := func(p string) {
		if !strings.HasPrefix(p, "/portal") || seen[p] || len(seen) >= limit {
			return
		}
		seen[p] = true
		queue = append(queue, p)
	}
	for _, pattern := range portal.Patterns("/portal") {
		_, path, _ := strings.Cut(pattern, " ")
		path = strings.ReplaceAll(path, "{$}", "")
		for _, n := range names {
			p := strings.ReplaceAll(path, "{name}", url.PathEscape(n))
			for _, s := range slugs {
				q := strings.ReplaceAll(p, "{slug}", url.PathEscape(s))
				add(q)
				if strings.HasSuffix(q, "/search") {
					for _, words := range append([]string{"instance", "get", "books"}, services...) {
						add(q + "?q=" + url.QueryEscape(words))
					}
				}
			}
		}
	}
	attr := regexp.MustCompile(`(?:href|src|action|data-[a-z]+)="([^"]*)"`)
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		res := do(t, c, "GET", gw.url(p), nil, header...)
		visit(p, res)
		for _, m := range attr.FindAllStringSubmatch(res.Body, -1) {
			add(html.UnescapeString(m[1]))
		}
		var v any
		if json.Unmarshal([]byte(res.Body), &v) == nil {
			walkStrings(v, add)
		}
		if loc := res.Header.Get("Location"); loc != "" {
			add(loc)
		}
	}
	return seen
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, e := range v {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, e := range v {
			walkStrings(e, f)
		}
	}
}

// TestAnAnonymousPortalShowsNoInstanceAddress walks every portal URL, pages,
// JSON API, document downloads, the system map, search and error answers,
// with no user, and finds no instance address in any body or header, while
// the facts about the instances (how many, which document each serves, why a
// document cannot be read) are still there under neutral labels.
func TestAnAnonymousPortalShowsNoInstanceAddress(t *testing.T) {
	fleet := startInstanceFleet(t)
	gw := startServe(t, func(p ports) string { return fleet.config(p, "") })
	c := newClient(t)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	waitForCatalog(t, c, gw)

	leaks := newLeakFinder(fleet.all())
	bodies := map[string]string{}
	seen := crawlPortal(t, c, gw, []string{"pets", "broken", "library"}, 400, func(path string, res response) {
		bodies[path] = res.Body
		if s := leaks.find(res.Body); s != "" {
			t.Errorf("GET %s (%d): the body shows an instance address: …%s…", path, res.Status, s)
		}
		for k, vs := range res.Header {
			for _, v := range vs {
				if s := leaks.find(v); s != "" {
					t.Errorf("GET %s: header %s shows an instance address: %s", path, k, s)
				}
			}
		}
	})
	for _, must := range []string{"/portal/", "/portal/api/services", "/portal/services/broken", "/portal/map", "/portal/map.json",
		"/portal/api/services/pets/original", "/portal/api/services/pets/openapi.json", "/portal/api/services/library/hal.json",
		"/portal/services/pets/operations/listpets", "/portal/search?q=pets", "/portal/api/search?q=pets"} {
		if !seen[must] {
			t.Errorf("the walk never reached %s (it saw %d URLs)", must, len(seen))
		}
	}
	t.Logf("walked %d portal URLs", len(seen))
	// Hidden is not the same as gone: the drift between the two pets
	// instances and the broken service's reason are still told.
	if b := bodies["/portal/api/services"]; !strings.Contains(b, "instance 2") || !strings.Contains(b, "connection refused") {
		t.Errorf("the API no longer tells the instances apart or why a document cannot be read: %s", b)
	}
}

// TestThePortalShowsInstanceAddressesWhereAllowed: the rule is not "never".
// With portal.instances: shown, or behind portal.users (signed in), the
// instance addresses are on the pages and in the API; portal.instances:
// hidden hides them from users too.
func TestThePortalShowsInstanceAddressesWhereAllowed(t *testing.T) {
	fleet := startInstanceFleet(t)
	const password = "correct horse battery staple"
	signedIn := []string{"Authorization", "Basic " + basicAuth("alice", password)}
	for _, tt := range []struct {
		name, block string
		header      []string
		shown       bool
	}{
		{"portal.instances: shown shows them to anyone", "portal:\n  instances: shown", nil, true},
		{"portal.users shows them to those signed in", "portal:\n  users: {alice: \"" + password + "\"}", signedIn, true},
		{"portal.instances: hidden hides them from users too", "portal:\n  instances: hidden\n  users: {alice: \"" + password + "\"}", signedIn, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gw := startServe(t, func(p ports) string { return fleet.config(p, tt.block) })
			c := newClient(t)
			waitForCatalog(t, c, gw, tt.header...)
			for _, path := range []string{"/portal/api/services", "/portal/services/pets", "/portal/services/broken", "/portal/map.json"} {
				body := do(t, c, "GET", gw.url(path), nil, tt.header...).Body
				want := fleet.pets[0]
				if path == "/portal/services/broken" {
					want = fleet.broken
				}
				if got := strings.Contains(body, want); got != tt.shown {
					t.Errorf("GET %s shows %s: %v, want %v\n%s", path, want, got, tt.shown, body)
				}
			}
		})
	}
}

func basicAuth(user, pass string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
