package main

import (
	"bytes"
	"slices"
	"testing"

	"github.com/bulwark-gw/bulwark/demo"
	"github.com/bulwark-gw/bulwark/gateway"
	"github.com/bulwark-gw/bulwark/policies"
)

// fakeFleet is what demo.Start reports, without starting anything: the template
// only reads the descriptions, so fixed loopback ports suffice.
var fakeFleet = []demo.Service{
	{Name: "pets", Route: "/pets", Instances: []string{"127.0.0.1:41001", "127.0.0.1:41002"}, OpenAPI: "/openapi.json"},
	{Name: "orders", Route: "/orders", Instances: []string{"127.0.0.1:41003", "127.0.0.1:41004"}, OpenAPI: "/swagger.json"},
	{Name: "library", Route: "/library", StripPrefix: true, Instances: []string{"127.0.0.1:41005", "127.0.0.1:41006"}, HAL: "/"},
}

func TestDemoConfig(t *testing.T) {
	var buf bytes.Buffer
	if err := demoConfig.Execute(&buf, map[string]any{
		"HTTP": "127.0.0.1:18080", "Admin": "127.0.0.1:19901", "Services": fakeFleet,
	}); err != nil {
		t.Fatalf("rendering the demo config: %v", err)
	}
	f, err := parseConfig("demo (test)", buf.Bytes())
	if err != nil {
		t.Fatalf("the rendered demo config is rejected:\n%v\n---\n%s", err, buf.String())
	}
	gcfg, err := f.Gateway()
	if err != nil {
		t.Fatalf("translating the demo config: %v", err)
	}

	t.Run("the listeners are the addresses given", func(t *testing.T) {
		if got := f.HTTPAddr(); got != "127.0.0.1:18080" {
			t.Errorf("HTTPAddr = %q, want %q", got, "127.0.0.1:18080")
		}
		if got := f.AdminAddr(); got != "127.0.0.1:19901" {
			t.Errorf("AdminAddr = %q, want %q", got, "127.0.0.1:19901")
		}
	})

	t.Run("every service gets one route to it, and only /library strips its prefix", func(t *testing.T) {
		if len(gcfg.Routes) != len(fakeFleet) {
			t.Fatalf("%d routes, want %d: %+v", len(gcfg.Routes), len(fakeFleet), gcfg.Routes)
		}
		for _, s := range fakeFleet {
			i := slices.IndexFunc(gcfg.Routes, func(r gateway.Route) bool { return r.Path == s.Route })
			if i < 0 {
				t.Errorf("no route for %s", s.Route)
				continue
			}
			r := gcfg.Routes[i]
			if r.Service != s.Name {
				t.Errorf("route %s goes to %q, want %q", s.Route, r.Service, s.Name)
			}
			if r.StripPrefix != s.StripPrefix {
				t.Errorf("route %s strip_prefix = %v, want %v", s.Route, r.StripPrefix, s.StripPrefix)
			}
		}
		i := slices.IndexFunc(gcfg.Routes, func(r gateway.Route) bool { return r.Path == "/library" })
		if i < 0 || !gcfg.Routes[i].StripPrefix {
			t.Errorf("/library is not routed with strip_prefix: %+v", gcfg.Routes)
		}
	})

	t.Run("every service's instances are listed in static discovery", func(t *testing.T) {
		got := f.StaticServices()
		if len(got) != len(fakeFleet) {
			t.Fatalf("%d static services, want %d", len(got), len(fakeFleet))
		}
		for i, s := range fakeFleet {
			if got[i].Name != s.Name || !slices.Equal(got[i].Instances, s.Instances) {
				t.Errorf("static service %d = %s %v, want %s %v", i, got[i].Name, got[i].Instances, s.Name, s.Instances)
			}
		}
	})

	t.Run("each service's balancer comes from its services block", func(t *testing.T) {
		want := map[string]policies.Balancer{
			"pets":    {Kind: policies.LeastRequest},
			"orders":  {Kind: policies.RoundRobin},
			"library": {Kind: policies.ConsistentHash, HashOn: "header:X-User"},
		}
		for name, b := range want {
			p, why, err := f.Policy(name)
			if err != nil {
				t.Errorf("policy of %s: %v", name, err)
				continue
			}
			if p.Balancer != b {
				t.Errorf("%s balancer = %+v, want %+v", name, p.Balancer, b)
			}
			if why["balancer"] != "services."+name {
				t.Errorf("%s balancer set by %q, want %q", name, why["balancer"], "services."+name)
			}
			if p.Timeout.String() != "15s" || why["timeout"] != "defaults" {
				t.Errorf("%s timeout = %v set by %q, want 15s set by defaults", name, p.Timeout, why["timeout"])
			}
			if gp := gcfg.Policies[name]; !gp.Equal(&p) {
				t.Errorf("gateway policy of %s = %+v, want %+v", name, gcfg.Policies[name], p)
			}
		}
	})
}
