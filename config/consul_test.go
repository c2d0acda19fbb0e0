package config

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
)

func TestConsulBlockProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		src  string
		want []string
	}{
		{"an address that is neither host:port nor a URL is refused",
			"discovery:\n  consul: {address: \"consul\"}\n",
			[]string{`b.yaml:2:21: discovery.consul.address: want host:port or an http(s):// URL, got "consul"`}},
		{"a URL with another scheme is refused",
			"discovery:\n  consul: {address: \"ftp://c:8500\"}\n",
			[]string{`discovery.consul.address: want host:port or an http(s):// URL, got "ftp://c:8500"`}},
		{"a wait beyond Consul's 10m limit is refused",
			"discovery:\n  consul: {wait: 11m}\n",
			[]string{`discovery.consul.wait: must be between 0 (default 5m) and 10m`}},
		{"a wait under a second would poll, and is refused",
			"discovery:\n  consul: {wait: 100ms}\n",
			[]string{`discovery.consul.wait: 100ms is shorter than a second`}},
		{"the warning policy is an enum",
			"discovery:\n  consul: {warning: ignore}\n",
			[]string{`discovery.consul.warning: unknown policy "ignore" (want exclude, include or reduced)`}},
		{"token and token_file are exclusive",
			"discovery:\n  consul: {token: a, token_file: /t}\n",
			[]string{`discovery.consul.token_file: set token or token_file, not both`}},
		{"failover needs datacenters, each once and well-formed",
			"discovery:\n  consul:\n    failover:\n      a: []\n      b: [dc1, dc1, \"d c\"]\n",
			[]string{`discovery.consul.failover.a: list at least one datacenter`,
				`b.yaml:5:16: discovery.consul.failover.b[1]: datacenter "dc1" is listed twice`,
				`discovery.consul.failover.b[2]: "d c" is not a datacenter name`}},
		{"a registration's check interval and deregistration delay have floors",
			"discovery:\n  consul:\n    register: {name: \"my gw\", check_interval: 100ms, deregister_after: 10s}\n",
			[]string{`discovery.consul.register.name: "my gw" is not a service name`,
				`discovery.consul.register.check_interval: must be at least 1s, got 100ms`,
				`discovery.consul.register.deregister_after: must be at least 1m (Consul's minimum), got 10s`}},
		{"a gateway without a traffic listener has nothing to register",
			"listen: {http: \"\"}\ndiscovery:\n  consul:\n    register: {}\n",
			[]string{`discovery.consul.register: the gateway has no listen.http address to register`}},
		{"a misspelt key is an error with its position",
			"discovery:\n  consul: {adress: 127.0.0.1:8500}\n",
			[]string{`b.yaml:2:12: discovery.consul: unknown key "adress"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src)
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
			checkContains(t, got, tt.want...)
		})
	}
}

func TestWithConsulRoutesMayNameServicesTheFileDoesNotList(t *testing.T) {
	src := "discovery:\n  consul: {}\nroutes:\n  - path: /inv\n    service: inventory\nservices:\n  billing: {timeout: 2s}\n"
	if got := problemsOf(t, src); len(got) != 0 {
		t.Fatalf("problems: %q (Consul may list these services at run time)", got)
	}
	without := "routes:\n  - path: /inv\n    service: inventory\n"
	if got := problemsOf(t, without); len(got) != 1 {
		t.Fatalf("without Consul an unknown service must still be refused; got %q", got)
	}
}

func TestConsulConfigTranslates(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := "discovery:\n  consul:\n    address: http://127.0.0.1:8500\n    token_file: " + tokenFile +
		"\n    datacenter: dc1\n    wait: 30s\n    timeout: 3s\n    warning: reduced\n    failover: {pay: [dc1, dc2]}\n"
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := f.ConsulConfig()
	if err != nil {
		t.Fatal(err)
	}
	want := discovery.ConsulConfig{Address: "http://127.0.0.1:8500", Token: "s3cret", Datacenter: "dc1",
		Wait: 30 * time.Second, Timeout: 3 * time.Second, Warning: discovery.WarningReduced}
	failover := cc.Failover
	cc.Failover = nil
	if !reflect.DeepEqual(*cc, want) || !slices.Equal(failover["pay"], []string{"dc1", "dc2"}) {
		t.Errorf("ConsulConfig = %+v (failover %v), want %+v", *cc, failover, want)
	}

	none, _ := Parse("b.yaml", []byte("listen: {http: \"127.0.0.1:0\"}\n"))
	if cc, err := none.ConsulConfig(); cc != nil || err != nil {
		t.Errorf("a file without discovery.consul gave %+v, %v", cc, err)
	}
	missing, _ := Parse("b.yaml", []byte("discovery:\n  consul: {token_file: "+filepath.Join(dir, "nope")+"}\n"))
	if _, err := missing.ConsulConfig(); err == nil || !strings.Contains(err.Error(), "token_file") {
		t.Errorf("a missing token file: err = %v", err)
	}
}
