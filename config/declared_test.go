package config

import (
	"testing"

	"github.com/bulwark-gw/bulwark/policies"
)

var (
	cacheEnabled    = policies.ValueOf[bool]("cache.enabled")
	cacheMaxBytes   = policies.ValueOf[int64]("cache.max_bytes")
	cacheEntryBytes = policies.ValueOf[int64]("cache.max_entry_bytes")
)

// A key declared without a field is read from its declaration: the file
// needs no field for it, and it reaches the resolved policy with the layer
// that set it, in defaults, a service and a route alike.
func TestDeclaredKeysAreReadFromTheirDeclarations(t *testing.T) {
	src := withPets(`
routes:
  - path: /pets
    service: pets
    cache: {enabled: false, max_entry_bytes: 2KiB}
defaults:
  cache:
    max_bytes: 8MiB
services:
  pets:
    cache: {enabled: true}
`)
	f, err := Parse("b.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, why, err := f.Policy("pets")
	if err != nil {
		t.Fatal(err)
	}
	if !cacheEnabled.Of(&p) || cacheMaxBytes.Of(&p) != 8<<20 {
		t.Errorf("cache.enabled %v, max_bytes %d; want true and 8MiB", cacheEnabled.Of(&p), cacheMaxBytes.Of(&p))
	}
	if why["cache.enabled"] != "services.pets" || why["cache.max_bytes"] != "defaults" || why["cache.heuristic"] != "built-in" {
		t.Errorf("explanation %v", why)
	}
	cfg, err := f.Gateway()
	if err != nil {
		t.Fatal(err)
	}
	r := p.With(&cfg.Routes[0].Policy)
	if cacheEnabled.Of(&r) || cacheEntryBytes.Of(&r) != 2<<10 || cacheMaxBytes.Of(&r) != 8<<20 {
		t.Errorf("the route's policy: enabled %v, max_entry_bytes %d, max_bytes %d; want false, 2KiB and the service's 8MiB",
			cacheEnabled.Of(&r), cacheEntryBytes.Of(&r), cacheMaxBytes.Of(&r))
	}
}

// Every mistake in a declared key is reported where it is written, with the
// name that was probably meant, and the other values still decode.
func TestDeclaredKeyProblems(t *testing.T) {
	for name, tt := range map[string]struct {
		src  string
		want []string
	}{
		"misspelt inner key": {"defaults:\n  cache:\n    enabeld: true\n",
			[]string{`b.yaml:3:5: defaults.cache: unknown key "enabeld" (did you mean "enabled"?)`}},
		"misspelt block": {"defaults:\n  cahce: {enabled: true}\n",
			[]string{`b.yaml:2:3: defaults: unknown key "cahce" (did you mean "cache"?)`}},
		"not a boolean": {"defaults:\n  cache:\n    enabled: yes please\n",
			[]string{`b.yaml:3:14: defaults.cache.enabled: expected true or false, found "yes please"`}},
		"not a size": {"defaults:\n  cache:\n    max_bytes: lots\n",
			[]string{`b.yaml:3:16: defaults.cache.max_bytes: not a size (write a whole number of bytes, or one with a unit: 64KiB, 64MiB, 1GB)`}},
		"out of range": {withPets("services:\n  pets:\n    cache:\n      max_bytes: 0\n"),
			[]string{`b.yaml:4:18: services.pets.cache.max_bytes: must be positive, got 0`}},
		"a block that is a value": {"defaults:\n  cache: true\n",
			[]string{`b.yaml:2:10: defaults.cache: expected a mapping, found "true"`}},
		"a route may not set a service's breaker": {withPets("routes:\n  - path: /\n    service: pets\n    breaker: {failures: 1}\n"),
			[]string{`b.yaml:4:5: routes[0]: unknown key "breaker"`}},
		"a route's value is checked": {withPets("routes:\n  - path: /\n    service: pets\n    cache: {lock_timeout: -1s}\n"),
			[]string{`b.yaml:4:27: routes[0].cache.lock_timeout: must be positive, got -1s`}},
	} {
		t.Run(name, func(t *testing.T) {
			checkProblems(t, problemsOf(t, tt.src), tt.want)
		})
	}
}
