package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/config"
	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// The worked example of docs/architecture.md, once applied: the robots key
// is set by a route in the file and by a Consul label, through the
// declaration alone, and the stage adds the header to that route's and that
// service's responses only.
func TestWorkedExampleRobots(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	defer up.Close()
	addr := up.Listener.Addr().String()

	f, err := config.Parse("bulwark.yaml", []byte(`
discovery:
  static:
    - {service: pets, instances: ["`+addr+`"]}
    - {service: vets, instances: ["`+addr+`"]}
    - {service: owners, instances: ["`+addr+`"]}
routes:
  - {path: /pets, service: pets, robots: noindex}
  - {path: /pets/public, service: pets}
  - {path: /vets, service: vets}
  - {path: /owners, service: owners}
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	instances := []discovery.Instance{{ID: addr, Addr: addr, Health: discovery.Passing}}
	snap := &discovery.Snapshot{
		Services: pmap.From(map[string][]discovery.Instance{"pets": instances, "vets": instances, "owners": instances}),
		Labels:   pmap.From(map[string]discovery.Labels{"vets": {Meta: map[string]string{"bulwark-robots": "noindex"}}}),
	}
	g := gateway.New(gateway.Options{})
	defer g.Close()
	g.Configure(cfg, snap)
	srv := httptest.NewServer(g)
	defer srv.Close()

	for path, want := range map[string]string{"/pets/1": "noindex", "/pets/public/1": "", "/vets/1": "noindex", "/owners/1": ""} {
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("X-Robots-Tag") != want {
			t.Errorf("GET %s = %d with X-Robots-Tag %q, want 200 with %q", path, res.StatusCode, res.Header.Get("X-Robots-Tag"), want)
		}
	}

	_, err = config.Parse("bulwark.yaml", []byte(`
discovery:
  static:
    - {service: pets, instances: ["`+addr+`"]}
routes: [{path: /pets, service: pets}]
services:
  pets:
    robots: nofollow
`))
	if err == nil || !strings.Contains(err.Error(), "bulwark.yaml:8:13") {
		t.Errorf("robots: nofollow = %v, want an error at bulwark.yaml:8:13", err)
	}
}
