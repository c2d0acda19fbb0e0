package config

import (
	"strings"
	"testing"
)

func TestValidationProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings, each found in some problem
	}{
		{
			name: "a listener that is not host:port is refused",
			src:  "listen: {http: \"8080\"}\n",
			want: []string{`b.yaml:1:16: listen.http: "8080" is not host:port`},
		},
		{
			name: "a listener port out of range is refused",
			src:  "admin: {listen: \"127.0.0.1:70000\"}\n",
			want: []string{`admin.listen: "127.0.0.1:70000": port "70000" is not a number in 0..65535`},
		},
		{
			name: "an admin listener on every interface needs a token",
			src:  "admin: {listen: \":9901\"}\n",
			want: []string{`admin.listen: :9901 is reachable from other machines, so admin.token or admin.token_file is required`},
		},
		{
			name: "token and token_file are exclusive",
			src:  "admin: {token: a, token_file: /etc/t}\n",
			want: []string{`admin.token_file: set admin.token or admin.token_file, not both`},
		},
		{
			name: "the admin listener cannot share the gateway's address",
			src:  "listen: {http: \"127.0.0.1:9901\"}\n",
			want: []string{`admin.listen: 127.0.0.1:9901 is also the gateway's listen.http address`},
		},
		{
			name: "log level and format are enums",
			src:  "log: {level: verbose, format: xml}\n",
			want: []string{`log.level: unknown level "verbose"`, `log.format: unknown format "xml"`},
		},
		{
			name: "negative server durations and sizes are refused",
			src:  "server: {read_timeout: -1s, max_header_bytes: -1}\nshutdown: {grace: -5s}\n",
			want: []string{`server.read_timeout: must not be negative, got -1s`, `server.max_header_bytes: must not be negative`, `shutdown.grace: must not be negative`},
		},
		{
			name: "trusted proxies must be IPs or CIDRs",
			src:  "server:\n  trusted_proxies: [10.0.0.0/8, \"::1\", 10.0.0.0/33, proxy.local]\n",
			want: []string{`b.yaml:2:40: server.trusted_proxies[2]: "10.0.0.0/33" is not a CIDR`, `server.trusted_proxies[3]: "proxy.local" is not an IP address`},
		},
		{
			name: "a route to an unknown service is rejected",
			src:  withPets("routes:\n  - path: /a\n    service: pest\n"),
			want: []string{`b.yaml:3:14: routes[0].service: unknown service "pest": no discovery source lists it (did you mean "pets"?)`},
		},
		{
			name: "a route without a service points at the route",
			src:  withPets("routes:\n  - path: /a\n"),
			want: []string{`b.yaml:2:5: routes[0]: service is required`},
		},
		{
			name: "a route path must start with a slash",
			src:  withPets("routes:\n  - {path: pets, service: pets}\n"),
			want: []string{`b.yaml:2:12: routes[0].path: "pets" must start with "/"`},
		},
		{
			name: "a route path that could never match a cleaned path is refused",
			src:  withPets("routes:\n  - {path: /a/../b, service: pets}\n  - {path: /a//b, service: pets}\n  - {path: /a%20b, service: pets}\n  - {path: \"/a?b\", service: pets}\n"),
			want: []string{`routes[0].path: "/a/../b" must not contain a ".." segment`, `routes[1].path: "/a//b" must not contain "//"`, `routes[2].path: "/a%20b" must not contain "%"`, `routes[3].path: "/a?b" must not contain "?"`},
		},
		{
			name: "a host with a port or an inner wildcard is refused",
			src:  withPets("routes:\n  - {host: \"api.example.com:443\", service: pets}\n  - {host: \"api.*.com\", service: pets}\n  - {host: \"bad_host\", service: pets}\n"),
			want: []string{`routes[0].host: "api.example.com:443" must be a hostname without a port`, `routes[1].host: "api.*.com": only a whole first label may be a wildcard`, `routes[2].host: "bad_host" is not a valid hostname`},
		},
		{
			name: "methods must be upper-case tokens and listed once",
			src:  withPets("routes:\n  - {path: /a, service: pets, methods: [get, \"GE T\", POST, POST]}\n"),
			want: []string{`routes[0].methods[0]: "get" must be upper case ("GET")`, `routes[0].methods[1]: "GE T" is not an HTTP method`, `routes[0].methods[3]: "POST" is listed twice`},
		},
		{
			name: "header names must be tokens",
			src:  withPets("routes:\n  - path: /a\n    service: pets\n    headers: {\"X Env\": prod}\n"),
			want: []string{`routes[0].headers["X Env"]: "X Env" is not a valid header name`},
		},
		{
			name: "two route names may not be the same",
			src:  withPets("routes:\n  - {name: api, path: /a, service: pets}\n  - {name: api, path: /b, service: pets}\n"),
			want: []string{`routes[1].name: "api" is already the name of routes[0] at line 2`},
		},
		{
			name: "a static service needs a unique name and valid, distinct instances",
			src: "discovery:\n  static:\n    - service: pets\n      instances: [\"127.0.0.1:9001\", \"127.0.0.1:9001\", \"nohost\", \"h:0\"]\n" +
				"    - service: pets\n      instances: [\"127.0.0.1:9003\"]\n    - instances: [\"127.0.0.1:9004\"]\n    - service: cats\n",
			want: []string{
				`discovery.static[0].instances[1]: "127.0.0.1:9001" is already listed at line 4`,
				`discovery.static[0].instances[2]: "nohost" is not a valid instance address`,
				`discovery.static[0].instances[3]: "h:0" is not a valid instance address`,
				`b.yaml:5:16: discovery.static[1].service: "pets" is already listed at line 3`,
				`b.yaml:7:7: discovery.static[2]: service (the name) is required`,
				`discovery.static[3].instances: a static service needs at least one instance`,
			},
		},
		{
			name: "weights must name listed instances and be at least 1",
			src:  "discovery:\n  static:\n    - service: pets\n      instances: [\"127.0.0.1:9001\"]\n      weights: {\"127.0.0.1:9001\": 0, \"127.0.0.1:9002\": 2}\n",
			want: []string{`discovery.static[0].weights["127.0.0.1:9001"]: weight must be at least 1, got 0`, `discovery.static[0].weights["127.0.0.1:9002"]: "127.0.0.1:9002" is not one of this service's instances`},
		},
		{
			name: "a services block for a service nobody knows is an unknown service",
			src:  withPets("services:\n  pest: {timeout: 1s}\n"),
			want: []string{`b.yaml:2:3: services.pest: unknown service "pest": no route names it and no discovery source lists it (did you mean "pets"?)`},
		},
		{
			name: "policy timeouts must be positive where zero makes no sense",
			src:  withPets("defaults: {timeout: 0s, connect_timeout: -1s, try_timeout: -1s}\n"),
			want: []string{`defaults.timeout: must be positive, got 0s`, `defaults.connect_timeout: must be positive, got -1s`, `defaults.try_timeout: must not be negative`},
		},
		{
			name: "an unknown balancer lists the known ones",
			src:  withPets("services:\n  pets: {balancer: random}\n"),
			want: []string{`services.pets.balancer: unknown balancer "random" (want round_robin, least_request or consistent_hash)`},
		},
		{
			name: "hash_on is parsed",
			src:  withPets("services:\n  pets: {balancer: consistent_hash, hash_on: \"path:zero\"}\n"),
			want: []string{`services.pets.hash_on: "path:zero": path segment must be a number from 1`},
		},
		{
			name: "consistent hashing needs a key",
			src:  withPets("services:\n  pets: {balancer: consistent_hash}\n"),
			want: []string{`services.pets.balancer: consistent_hash needs hash_on`},
		},
		{
			name: "a hash key without consistent hashing is refused",
			src:  withPets("services:\n  pets: {hash_on: \"header:X\"}\n"),
			want: []string{`services.pets.hash_on: is only used by balancer consistent_hash, and the balancer is round_robin (the built-in default)`},
		},
		{
			name: "a try timeout longer than the timeout is refused in the block that sets it",
			src:  withPets("services:\n  pets: {timeout: 2s, try_timeout: 3s}\n"),
			want: []string{`services.pets.try_timeout: 3s is longer than the timeout, 2s`},
		},
		{
			name: "a service timeout shorter than the defaults' try timeout is refused",
			src:  withPets("defaults: {try_timeout: 10s}\nservices:\n  pets: {timeout: 2s}\n"),
			want: []string{`b.yaml:3:19: services.pets.timeout: 2s is shorter than try_timeout 10s set in defaults`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src)
			if len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d:\n  %s", len(got), len(tt.want), strings.Join(got, "\n  "))
			}
			checkContains(t, got, tt.want...)
		})
	}
}

func TestADuplicateRouteNamesBothLines(t *testing.T) {
	src := withPets(`routes:
  - path: /pets
    methods: [GET, POST]
    service: pets
  - path: /other
    service: pets
  - service: pets
    host: API.example.com
    path: /pets
  - path: /pets
    methods: [POST, GET]
    service: pets
  - path: /pets
    host: api.example.com
    service: pets
`)
	checkProblems(t, problemsOf(t, src), []string{
		`b.yaml:10:5: routes[3]: duplicates routes[0] at line 2: same host, path, methods and headers`,
		`b.yaml:13:5: routes[4]: duplicates routes[2] at line 7: same host, path, methods and headers`,
	})
}

func TestRoutesThatDifferAreNotDuplicates(t *testing.T) {
	src := withPets(`routes:
  - {path: /pets, service: pets}
  - {path: /pets, service: pets, methods: [GET]}
  - {path: /pets, service: pets, headers: {X-Env: a}}
  - {path: /pets, service: pets, headers: {X-Env: b}}
  - {path: /pets, service: pets, host: "*.example.com"}
  - {path: /pets/1, service: pets}
  - {service: pets}
`)
	checkProblems(t, problemsOf(t, src), nil)
}

func TestAnEmptyPathAndSlashAreTheSameRoute(t *testing.T) {
	src := withPets("routes:\n  - {service: pets}\n  - {path: /, service: pets}\n")
	checkContains(t, problemsOf(t, src), "routes[1]: duplicates routes[0]")
}

// The route table matches a prefix without its trailing slash, so a second
// route that differs only by one could never be chosen.
func TestARouteWithATrailingSlashDuplicatesTheRouteWithout(t *testing.T) {
	src := withPets(`routes:
  - {path: /catalog, service: pets, methods: [GET]}
  - {path: /catalog/, service: pets, methods: [GET]}
  - {path: /catalog/, service: pets, methods: [POST]}
`)
	checkProblems(t, problemsOf(t, src), []string{
		`b.yaml:3:5: routes[1]: duplicates routes[0] at line 2: same host, path, methods and headers ` +
			`("/catalog" and "/catalog/" are one prefix: a trailing slash makes no difference)`,
	})
}

// A duration that does not parse is one problem, reported where it is: the
// checks that compare it with other values (try_timeout within timeout) must
// not compare its zero and send the operator to a second, wrong line.
func TestABadDurationDrawsNoKnockOnProblem(t *testing.T) {
	for _, tt := range []struct{ name, src, want string }{
		{"in a service block", withPets("routes: [{path: /pets, service: pets}]\nservices:\n  pets:\n    timeout: \"5 sec\"\n    try_timeout: 500ms\n"),
			`b.yaml:4:14: services.pets.timeout: expected a duration such as "250ms", "15s" or "1m30s", found "5 sec"`},
		{"in defaults, under a service that sets try_timeout", withPets("routes: [{path: /pets, service: pets}]\ndefaults:\n  timeout: 5sec\nservices:\n  pets:\n    try_timeout: 500ms\n"),
			`b.yaml:3:12: defaults.timeout: expected a duration such as "250ms", "15s" or "1m30s", found "5sec"`},
		{"a try_timeout beside a good timeout", withPets("routes: [{path: /pets, service: pets}]\nservices:\n  pets:\n    timeout: 1s\n    try_timeout: half\n"),
			`b.yaml:5:18: services.pets.try_timeout: expected a duration such as "250ms", "15s" or "1m30s", found "half"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, tt.src), []string{tt.want})
		})
	}
}

// The checks that compare values still run for the values that did decode.
func TestABadValueLeavesTheOtherComparisonsOn(t *testing.T) {
	src := withPets("routes: [{path: /pets, service: pets}]\nservices:\n  pets:\n    timeout: 1s\n    try_timeout: 2s\n    hash_on: \"header:X\"\n    breaker: {open_for: soon}\n")
	got := problemsOf(t, src)
	checkContains(t, got, `services.pets.breaker.open_for: expected a duration`, `services.pets.try_timeout: 2s is longer than the timeout, 1s`,
		`services.pets.hash_on: is only used by balancer consistent_hash`)
	if len(got) != 3 {
		t.Errorf("got %d problems, want 3:\n  %s", len(got), strings.Join(got, "\n  "))
	}
}

func TestLoopbackAdminListenersNeedNoToken(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:9901", "[::1]:9901", "localhost:9901", ""} {
		if got := problemsOf(t, "admin: {listen: \""+addr+"\"}\n"); got != nil {
			t.Errorf("admin.listen %q: %v", addr, got)
		}
	}
	if got := problemsOf(t, "admin: {listen: \"0.0.0.0:9901\", token_file: /run/token}\n"); got != nil {
		t.Errorf("with a token file: %v", got)
	}
}

func TestAFileBuiltInCodeIsValidatedWithoutPositions(t *testing.T) {
	f := &File{Routes: []Route{{Path: "pets"}}}
	err := f.Validate()
	want := "routes[0]: service is required\nroutes[0].path: \"pets\" must start with \"/\""
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want\n%s", err, want)
	}
}

func TestWildcardAndMixedCaseHostsAreAccepted(t *testing.T) {
	src := withPets("routes:\n  - {host: \"*.Example.COM\", service: pets}\n  - {host: api.example.com, service: pets}\n")
	checkProblems(t, problemsOf(t, src), nil)
}
