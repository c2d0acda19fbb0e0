package config

import (
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/policies"
)

// issueExample is the first example of the file format, written before the
// code that reads it; it must stay valid and mean what it says.
const issueExample = `listen:
  http: 127.0.0.1:8080          # "" disables
admin:
  listen: 127.0.0.1:9901
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001", "127.0.0.1:9002"]
routes:
  - path: /pets                 # path prefix; also host:, methods:, headers:, strip_prefix:
    service: pets
defaults:                       # policy applied to every service
  timeout: 15s
services:                       # per-service overrides of defaults
  pets:
    timeout: 2s
`

func TestTheIssuesExampleConfigIsValid(t *testing.T) {
	f, err := Parse("bulwark.yaml", []byte(issueExample))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := f.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatalf("Gateway: %v", err)
	}
	if len(cfg.Routes) != 1 || cfg.Routes[0].Path != "/pets" || cfg.Routes[0].Service != "pets" || cfg.Routes[0].Name != "" {
		t.Errorf("routes = %+v", cfg.Routes)
	}
	if got := cfg.Policies["pets"].Timeout; got != 2*time.Second {
		t.Errorf("pets timeout = %v, want 2s", got)
	}
	def, why, err := f.Policy("cats") // any service without a block gets the defaults layer
	if err != nil || def.Timeout != 15*time.Second || why["timeout"] != "defaults" {
		t.Errorf("defaults policy = %v, %v, %v; want timeout 15s set by defaults", def.Timeout, why["timeout"], err)
	}
	p, why, err := f.Policy("pets")
	if err != nil || p.TryTimeout != 2*time.Second || why["timeout"] != "services.pets" || why["connect_timeout"] != "built-in" {
		t.Errorf("pets policy = %+v, %v, %v", p, why, err)
	}
	want := []discovery.StaticService{{Name: "pets", Instances: []string{"127.0.0.1:9001", "127.0.0.1:9002"}}}
	if got := f.StaticServices(); !reflect.DeepEqual(got, want) {
		t.Errorf("StaticServices() = %+v, want %+v", got, want)
	}
	if _, err := discovery.NewStatic(f.StaticServices()); err != nil {
		t.Errorf("NewStatic: %v", err)
	}
	if f.HTTPAddr() != "127.0.0.1:8080" || f.AdminAddr() != "127.0.0.1:9901" {
		t.Errorf("addresses = %q, %q", f.HTTPAddr(), f.AdminAddr())
	}
}

func TestAccessorsApplyTheDocumentedDefaults(t *testing.T) {
	f, err := Parse("b.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"HTTPAddr", f.HTTPAddr(), "127.0.0.1:8080"},
		{"AdminAddr", f.AdminAddr(), "127.0.0.1:9901"},
		{"ReadHeaderTimeout", f.ReadHeaderTimeout(), 10 * time.Second},
		{"ReadTimeout", f.ReadTimeout(), 60 * time.Second},
		{"IdleTimeout", f.IdleTimeout(), 120 * time.Second},
		{"WriteTimeout", f.WriteTimeout(), time.Duration(0)},
		{"MaxHeaderBytes", f.MaxHeaderBytes(), 1 << 20},
		{"AccessLog", f.AccessLog(), true},
		{"DrainDelay", f.DrainDelay(), time.Duration(0)},
		{"Grace", f.Grace(), 15 * time.Second},
		{"LogFormat", f.LogFormat(), "text"},
	} {
		if c.got != c.want {
			t.Errorf("%s() = %v, want %v", c.name, c.got, c.want)
		}
	}
	if f.Listen.HTTP != nil {
		t.Error("a default was written back into the File")
	}
}

func TestAnExplicitEmptyHTTPListenerDisablesIt(t *testing.T) {
	f, err := Parse("b.yaml", []byte("listen: {http: \"\"}\nadmin: {listen: \"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f.HTTPAddr() != "" || f.AdminAddr() != "" {
		t.Errorf("addresses = %q, %q; want both disabled", f.HTTPAddr(), f.AdminAddr())
	}
}

func TestGatewayTranslation(t *testing.T) {
	src := `server:
  trusted_proxies: [10.0.0.0/8, 192.168.1.7, "::1", 10.1.2.3/16]
upstream:
  max_idle_conns_per_host: 64
  idle_conn_timeout: 30s
log:
  access_log: false
routes:
  - host: API.Example.com
    path: /pets
    methods: [GET]
    service: pets
  - path: /orders
    service: orders
services:
  pets:
    balancer: consistent_hash
    hash_on: "header:X-User"
discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001"]
    - service: orders
      instances: ["127.0.0.1:9101", "127.0.0.1:9102", "127.0.0.1:9103"]
      weights: {"127.0.0.1:9103": 3}
    - service: unrouted
      instances: ["127.0.0.1:9201"]
`
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every routed service has a resolved policy", func(t *testing.T) {
		for _, name := range []string{"pets", "orders", "unrouted"} {
			if _, ok := cfg.Policies[name]; !ok {
				t.Errorf("no policy for %q", name)
			}
		}
		if b := cfg.Policies["pets"].Balancer; b.Kind != policies.ConsistentHash || b.HashOn != "header:X-User" {
			t.Errorf("pets balancer = %+v", b)
		}
	})
	t.Run("a bare IP becomes a single-address prefix and CIDRs are masked", func(t *testing.T) {
		want := []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
			netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("10.1.0.0/16"),
		}
		if !slices.Equal(cfg.TrustedProxies, want) {
			t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, want)
		}
		if !slices.Equal(f.TrustedProxies(), want) {
			t.Errorf("File.TrustedProxies() = %v", f.TrustedProxies())
		}
	})
	t.Run("transport, access log and routes are carried over", func(t *testing.T) {
		if cfg.Transport.MaxIdleConnsPerHost != 64 || cfg.Transport.IdleConnTimeout != 30*time.Second || cfg.AccessLog {
			t.Errorf("cfg = %+v", cfg)
		}
		if r := cfg.Routes[0]; r.Host != "api.example.com" || !slices.Equal(r.Methods, []string{"GET"}) {
			t.Errorf("route = %+v", r)
		}
	})
	t.Run("weights are mapped by address with a default of 1", func(t *testing.T) {
		static := f.StaticServices()
		if got := static[1].Weights; !slices.Equal(got, []int{1, 1, 3}) {
			t.Errorf("orders weights = %v, want [1 1 3]", got)
		}
		if static[0].Weights != nil {
			t.Errorf("pets weights = %v, want nil", static[0].Weights)
		}
		if _, err := discovery.NewStatic(static); err != nil {
			t.Errorf("NewStatic: %v", err)
		}
	})
}

func TestGatewayRefusesAnInvalidFile(t *testing.T) {
	f := &File{Routes: []Route{{Path: "/a", Service: "nowhere"}}}
	if _, err := f.Gateway(); err == nil {
		t.Error("Gateway() accepted a route to an unknown service")
	}
}

func TestTheGatewayConfigSaysWhichLayerSetEachPolicyValue(t *testing.T) {
	f, err := Parse("b.yaml", []byte(`discovery:
  static:
    - service: pets
      instances: ["127.0.0.1:9001"]
    - service: orders
      instances: ["127.0.0.1:9002"]
routes:
  - path: /pets
    service: pets
  - path: /orders
    service: orders
defaults:
  timeout: 10s
  balancer: least_request
services:
  pets:
    timeout: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ service, field, want string }{
		{"pets", "timeout", "services.pets"},
		{"pets", "balancer", "defaults"},
		{"pets", "connect_timeout", "built-in"},
		{"orders", "timeout", "defaults"},
		{"orders", "try_timeout", "built-in"},
	}
	for _, tt := range tests {
		if got := cfg.PolicySources[tt.service][tt.field]; got != tt.want {
			t.Errorf("%s.%s was set by %q, want %q", tt.service, tt.field, got, tt.want)
		}
	}
}
