package config

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

const okHash = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestAdmissionMistakesAreRefusedWhereTheyAre(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // a substring of one problem
	}{
		{"an API key in the clear is refused", "consumers:\n  a:\n    api_keys: [\"my-key\"]\n",
			`b.yaml:3:16: consumers.a.api_keys[0]: want "sha256:" and 64 hex digits`},
		{"one key held by two consumers names the first", "consumers:\n  a: {api_keys: [\"" + okHash + "\"]}\n  b: {api_keys: [\"" + okHash + "\"]}\n",
			`consumers.b.api_keys[0]: the same key is already consumers.a.api_keys[0]'s at line 2`},
		{"a password in the clear is refused", "consumers:\n  a: {password: hunter2}\n",
			`consumers.a.password: want a bcrypt`},
		{"a consumer's rate is a rate", "consumers:\n  a: {rate_limit: lots}\n",
			`consumers.a.rate_limit: "lots" is not a rate`},
		{"a shared limit needs a Redis", "defaults:\n  rate_limit: {rate: 10/s, shared: true}\n",
			`b.yaml:2:36: defaults.rate_limit.shared: needs redis.address`},
		{"a Redis address is host:port", "redis: {address: localhost}\n",
			`redis.address: "localhost" is not host:port`},
		{"CORS credentials with any origin are refused", "defaults:\n  cors: {origins: [\"*\"], credentials: true}\n",
			`cors.credentials cannot go with cors.origins *`},
		{"a route that completes a bad CORS pair is refused", "services:\n  s: {cors: {origins: [\"*\"]}}\nroutes:\n  - {path: /, service: s, cors: {credentials: true}}\n",
			`routes[0]: cors.credentials cannot go with cors.origins *`},
		{"an origin with a path is refused", "defaults:\n  cors: {origins: [\"https://a.example.com/x\"]}\n",
			`an origin has no path`},
		{"a CIDR is checked", "defaults:\n  ip: {allow: [\"10.0.0.0/33\"]}\n",
			`defaults.ip.allow: "10.0.0.0/33": not a CIDR`},
		{"HMAC is never accepted for a JWKS", "defaults:\n  auth: {jwt: {jwks_url: \"https://idp.test/jwks\", algorithms: [RS256, HS256]}}\n",
			`"HS256": HMAC needs a shared secret`},
		{"alg none is never accepted", "defaults:\n  auth: {jwt: {algorithms: [none]}}\n",
			`"none": an unsigned token proves nothing`},
		{"a JWKS URL is an http URL", "defaults:\n  auth: {jwt: {jwks_url: \"file:///etc/passwd\"}}\n",
			`want an absolute http or https URL`},
		{"a rate is written N/unit", "defaults:\n  rate_limit: {rate: 100}\n",
			`b.yaml:2:22: defaults.rate_limit.rate: "100" is not a rate`},
		{"a misspelt admission key gets a suggestion", "defaults:\n  auth: {api_keys: {enabeld: true}}\n",
			`unknown key "enabeld" (did you mean "enabled"?)`},
		{"a list item is a string", "defaults:\n  ip: {deny: [{a: 1}]}\n",
			`defaults.ip.deny[0]: expected a string`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, tc.src)
			for _, p := range got {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Errorf("problems %q, want one containing %q", got, tc.want)
		})
	}
}

func TestAdmissionReachesTheGatewayConfig(t *testing.T) {
	file := func(key string) []byte {
		return []byte(`
discovery: {static: [{service: s, instances: ["127.0.0.1:1"]}]}
routes: [{path: /, service: s, rate_limit: {rate: 5/10s}}]
services:
  s:
    ip: {allow: [10.0.0.0/8, "192.0.2.1"]}
    cors: {origins: "https://a.example.com"}
    auth: {api_keys: {enabled: true, query: key}}
consumers:
  Alice: {api_keys: ["` + key + `"], rate_limit: 1000/m}
redis: {address: "127.0.0.1:6379", timeout: 20ms}
`)
	}
	if _, err := Parse("b.yaml", file(strings.ToUpper(okHash[7:]))); err == nil {
		t.Fatal("a hash without its sha256: prefix was accepted")
	}
	f, err := Parse("b.yaml", file("SHA256:"+strings.ToUpper(okHash[7:])))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Policies["s"]
	if got := policies.ValueOf[policies.List]("ip.allow").Of(&p).Items(); len(got) != 2 || got[1] != "192.0.2.1" {
		t.Errorf("ip.allow %q", got)
	}
	if got := policies.ValueOf[policies.List]("cors.origins").Of(&p).Items(); len(got) != 1 {
		t.Errorf("a single origin written as a string: %q", got)
	}
	if !policies.ValueOf[bool]("auth.api_keys.enabled").Of(&p) || policies.ValueOf[string]("auth.api_keys.query").Of(&p) != "key" {
		t.Errorf("auth.api_keys did not reach the policy")
	}
	if r := policies.ValueOf[policies.Rate]("rate_limit.rate").Of(&p); r.N != 0 {
		t.Errorf("the route's rate reached the service's policy: %v", r)
	}
	route := cfg.Routes[0].Policy
	var rp policies.Policy
	rp = p.With(&route)
	if r := policies.ValueOf[policies.Rate]("rate_limit.rate").Of(&rp); r.N != 5 || r.Per.Seconds() != 10 {
		t.Errorf("the route's rate %v, want 5/10s", r)
	}
	a := cfg.Consumers["Alice"]
	if len(a.APIKeys) != 1 || a.APIKeys[0] != okHash || a.RateLimit.N != 1000 {
		t.Errorf("consumer %+v: the hash is kept lower case with its prefix, the rate parsed", a)
	}
	if cfg.Redis == nil || cfg.Redis.Address != "127.0.0.1:6379" || cfg.Redis.Timeout.Milliseconds() != 20 {
		t.Errorf("redis %+v", cfg.Redis)
	}
}

func TestConsumersFileAddsConsumersCheckedAtTheirOwnLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	main := write("bulwark.yaml", "consumers_file: keys.yaml\nconsumers:\n  a: {api_keys: [\""+okHash+"\"]}\n")
	write("keys.yaml", "consumers:\n  b: {password: \"$2a$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZa\"}\n")
	f, err := Load(main)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Consumers["b"]; !ok || len(f.Consumers) != 2 {
		t.Errorf("consumers %v, want a from the file and b from keys.yaml", slices.Collect(maps.Keys(f.Consumers)))
	}

	cases := []struct{ name, keys, want string }{
		{"a bad hash is located in the consumers file", "consumers:\n  c:\n    api_keys: [nope]\n",
			"keys.yaml:3:16: consumers.c.api_keys[0]: want \"sha256:\""},
		{"a consumer in both files names both", "consumers:\n  a: {}\n",
			"keys.yaml:2:3: consumers.a: a is also a consumer of " + main + " at line 3"},
		{"a key in both files names both", "consumers:\n  z: {api_keys: [\"" + okHash + "\"]}\n",
			"keys.yaml:2:18: consumers.z.api_keys[0]: the same key is already consumers.a.api_keys[0] (" + main + " at line 3)"},
		{"anything but consumers is refused", "consumers: {}\nroutes: []\n",
			"keys.yaml:2:1: routes: a consumers file holds consumers: and nothing else"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			write("keys.yaml", c.keys)
			_, err := Load(main)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load = %v, want a problem containing %q", err, c.want)
			}
		})
	}
	os.Remove(filepath.Join(dir, "keys.yaml"))
	if _, err := Load(main); err == nil || !strings.Contains(err.Error(), "bulwark.yaml:1:17: consumers_file:") {
		t.Errorf("a missing consumers file: %v", err)
	}
}
