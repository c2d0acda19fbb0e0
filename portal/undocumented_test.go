package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/catalog"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// A service the gateway routes to without publishing a document is listed
// with its route and health, and the page says how to publish one, instead
// of "no service has published an API document yet".
func TestEveryRoutedServiceIsListedEvenWithoutADocument(t *testing.T) {
	srv := siteWith(t, func(o *Options) {
		o.Routed = func() []Routed {
			return []Routed{
				{Name: "pets", Routes: []Route{{Path: "/pets"}}},
				{Name: "inventory", Routes: []Route{{Path: "/inventory", Methods: []string{"GET", "HEAD"}, StripPrefix: true}}},
			}
		}
	})
	code, _, body := page(t, srv, "/portal/")
	if code != 200 {
		t.Fatalf("catalog: %d", code)
	}
	for _, want := range []string{
		`href="/portal/services/inventory"`, "<code>GET,HEAD /inventory</code>", "no API document published",
		`id="undocumented"`, "bulwark-openapi=/openapi.json", "docs: {openapi: /openapi.json}",
		`href="/portal/services/pets"`, "<code>/pets</code>", "openapi-3.1", // documented services stay
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the catalog page does not show %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "No service has published") {
		t.Error("the catalog page says no service has published a document")
	}

	code, _, body = page(t, srv, "/portal/services/inventory")
	if code != 200 {
		t.Fatalf("inventory page: %d %s", code, body)
	}
	for _, want := range []string{`id="no-document"`, "bulwark-openapi=/openapi.json", "1/2", "Routed at"} {
		if !strings.Contains(body, want) {
			t.Errorf("the inventory page does not show %q:\n%s", want, body)
		}
	}
	if code, _, _ := page(t, srv, "/portal/services/nowhere"); code != http.StatusNotFound {
		t.Errorf("a service neither routed nor documented: %d, want 404", code)
	}
}

// While a document fails to fetch, the service page says when the catalog
// tries again.
func TestTheServicePageShowsWhenAFailedFetchIsTriedAgain(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}))
	defer down.Close()
	snap := &discovery.Snapshot{Services: pmap.From(map[string][]discovery.Instance{
		"late": {{ID: "l", Addr: down.Listener.Addr().String(), Health: discovery.Passing}}})}
	c := catalog.New(catalog.Options{Refresh: time.Hour,
		RouteOf: func(s string) (catalog.Route, bool) { return catalog.Route{Prefix: "/late"}, s == "late" }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	c.Update(snap)
	srv := httptest.NewServer(Handler(Options{Path: "/portal", Catalog: c, ShowInstances: true}))
	defer srv.Close()

	var body string
	deadline := time.Now().Add(20 * time.Second)
	for {
		var code int
		code, _, body = page(t, srv, "/portal/services/late")
		if code == 200 && strings.Contains(body, `id="next-attempt"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never said when the next attempt is:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{"answered 503", "the next attempt is at"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not say %q:\n%s", want, body)
		}
	}
	if _, _, list := page(t, srv, "/portal/"); !strings.Contains(list, "retry ") {
		t.Errorf("the catalog page does not say the document is retried:\n%s", list)
	}
}
