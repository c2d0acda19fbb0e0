package config

import (
	"encoding/hex"
	"maps"
	"net"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/policies"
)

// admission checks what the admission keys need outside a policy block: the
// consumers (their hashed keys and passwords), the Redis that shared limits
// need, and, per route that sets admission keys of its own, the rules that
// only a resolved policy can break (cors.credentials with origin *).
func (c *checker) admission() {
	owner := map[string]string{} // API key hash → the consumer path holding it
	for _, name := range slices.Sorted(maps.Keys(c.f.Consumers)) {
		p := keyPath("consumers", name)
		cons := c.f.Consumers[name]
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, ":\r\n") {
			c.report(p, "a consumer name is not empty and has no colon or line break")
		}
		for i, h := range cons.APIKeys {
			hp := indexPath(p+".api_keys", i)
			if why := apiKeyHashProblem(h); why != "" {
				c.report(hp, "%s", why)
				continue
			}
			h = strings.ToLower(h)
			if first, dup := owner[h]; dup {
				c.report(hp, "the same key is already %s's%s", first, c.atLine(first))
				continue
			}
			owner[h] = hp
		}
		if cons.Password != "" && !passwordHash(cons.Password) {
			c.report(p+".password", "want a bcrypt ($2a$, $2b$, $2y$) or argon2id ($argon2id$) hash; `bulwark hash password` writes one")
		}
		if _, err := policies.ParseRate(cons.RateLimit); err != nil {
			c.report(p+".rate_limit", "%v", err)
		}
	}
	if r := c.f.Redis; r.Address != "" {
		if _, port, err := net.SplitHostPort(r.Address); err != nil || port == "" {
			c.report("redis.address", "%q is not host:port", r.Address)
		}
		if r.DB < 0 {
			c.report("redis.db", "must not be negative")
		}
		if r.Timeout.D() < 0 {
			c.report("redis.timeout", "must not be negative")
		}
	}
	c.sharedLimits()
	c.routeRules()
}

// sharedLimits reports rate_limit.shared set where there is no Redis.
func (c *checker) sharedLimits() {
	if c.f.Redis.Address != "" {
		return
	}
	const shared = "rate_limit.shared"
	at := func(p string, more map[string]any) {
		if on, _ := more[shared].(bool); on {
			c.report(p+"."+shared, "needs redis.address: there is nowhere to share the counts")
		}
	}
	at("defaults", c.f.Defaults.more)
	for _, name := range slices.Sorted(maps.Keys(c.f.Services)) {
		at(keyPath("services", name), c.f.Services[name].more)
	}
	for i, r := range c.f.Routes {
		at(indexPath("routes", i), r.more)
	}
}

// routeRules resolves the policy of every route with keys of its own over
// its service's, and reports what the combination breaks at the route.
func (c *checker) routeRules() {
	for i, r := range c.f.Routes {
		if len(r.more) == 0 || r.Service == "" || c.failed(indexPath("routes", i)) {
			continue
		}
		p, _, err := c.f.Policy(r.Service)
		if err != nil {
			continue // reported at the service's block
		}
		o := r.overrides()
		if err := p.With(&o).Validate(); err != nil {
			c.report(indexPath("routes", i), "%v", err)
		}
	}
}

// apiKeyHashProblem says what is wrong with a stored API key, or "".
func apiKeyHashProblem(h string) string {
	hexDigest, ok := strings.CutPrefix(strings.ToLower(h), "sha256:")
	if b, err := hex.DecodeString(hexDigest); !ok || err != nil || len(b) != 32 {
		return "want \"sha256:\" and 64 hex digits: keys are stored hashed (`bulwark hash api-key` writes one)"
	}
	return ""
}

// passwordHash reports whether s looks like a bcrypt or argon2id hash; the
// gateway's verifier checks the rest when it loads them.
func passwordHash(s string) bool {
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		return len(s) == 60
	case strings.HasPrefix(s, "$argon2id$"):
		return strings.Count(s, "$") == 5
	}
	return false
}
