package test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Services that route but publish no API document are listed in the portal
// with their routes and health, and the page says how to publish one; they
// used to be left out, and the page said "No service has published an API
// document yet" while three services routed.
func TestPortalListsRoutedServicesWithoutADocument(t *testing.T) {
	var ups []*upstream
	for _, name := range []string{"alpha", "beta", "gamma"} {
		ups = append(ups, newUpstream(t, name))
	}
	gw := startServe(t, func(p ports) string {
		conf := fmt.Sprintf("listen: {http: %q}\nadmin: {listen: %q, token: %s}\ndiscovery:\n  static:\n", p.HTTP, p.Admin, adminToken)
		for _, u := range ups {
			conf += fmt.Sprintf("    - service: %s\n      instances: [%q]\n", u.Name, u.Addr())
		}
		conf += "routes:\n"
		for _, u := range ups {
			conf += fmt.Sprintf("  - path: /%s\n    service: %s\n    methods: [GET, HEAD]\n", u.Name, u.Name)
		}
		return conf
	})
	c := newClient(t)
	var body string
	if !eventually(15*time.Second, func() bool {
		r := do(t, c, "GET", gw.url("/portal/"), nil)
		body = r.Body
		return r.Status == 200 && strings.Count(body, `class="undocumented"`) == 3
	}) {
		t.Fatalf("the catalog page does not list the three routed services:\n%s", body)
	}
	for _, want := range []string{"<code>GET,HEAD /alpha</code>", "<code>GET,HEAD /gamma</code>", "1/1",
		"bulwark-openapi=/openapi.json", "docs: {openapi: /openapi.json}"} {
		if !strings.Contains(body, want) {
			t.Errorf("the catalog page does not show %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "No service has published") {
		t.Errorf("the catalog page says no service has published a document:\n%s", body)
	}
	if r := do(t, c, "GET", gw.url("/portal/services/beta"), nil); r.Status != 200 || !strings.Contains(r.Body, `id="no-document"`) ||
		!strings.Contains(r.Body, "1/1 instances healthy") {
		t.Errorf("beta's page: %d\n%s", r.Status, r.Body)
	}
}
