package config

import (
	"maps"
	"slices"
	"strings"

	"github.com/bulwark-gw/bulwark/policies"
)

// policies checks the defaults: block and every services.<name>: block: first
// each value on its own, then the layers combined as policies.Resolve will combine
// them (built-in < defaults < services.<name>), since a try_timeout that fits the
// default timeout may not fit a service's shorter one.
func (c *checker) policies() {
	defaultsOK := c.policyBlock("defaults", c.f.Defaults)
	if defaultsOK {
		defaultsOK = c.combined(policyLayer{"defaults", c.f.Defaults})
	}
	for _, name := range slices.Sorted(maps.Keys(c.f.Services)) {
		p := keyPath("services", name)
		if name == "" {
			c.report(p, "the service name must not be empty")
			continue
		}
		if c.policyBlock(p, c.f.Services[name]) && defaultsOK {
			c.combined(policyLayer{"defaults", c.f.Defaults}, policyLayer{p, c.f.Services[name]})
		}
	}
}

// policyLayer is one policy block and the path it was written at.
type policyLayer struct {
	path string
	set  Policy
}

// policyBlock checks each value of one block on its own, against its key's
// declaration (range, choices), at its own position. What only the
// combination can break (a queue without a queue timeout) is left to
// combined.
func (c *checker) policyBlock(p string, b Policy) bool {
	n := len(c.probs)
	for _, k := range policies.Keys() {
		v, set, err := b.value(k)
		if err == nil && set {
			err = k.Check(v)
		}
		if err != nil {
			c.report(p+"."+k.Name, "%v", err)
		}
	}
	c.serviceBlocks(p, b)
	return len(c.probs) == n
}

// serviceBlocks checks the parts of a policy block that are not policy keys:
// where the service's documents are, and how to reach it over TLS.
func (c *checker) serviceBlocks(p string, b Policy) {
	if d := b.Docs; d != nil {
		if p == "defaults" {
			c.report(p+".docs", "documents are per service: set docs under services.NAME")
		}
		for key, v := range map[string]string{"openapi": d.OpenAPI, "hal": d.HAL} {
			if v != "" && (!strings.HasPrefix(v, "/") || strings.ContainsAny(v, "?# ") || strings.Contains(v, "..")) {
				c.report(p+".docs."+key, "%q must be a clean absolute path on the service's instances", v)
			}
		}
	}
	if t := b.TLS; t != nil && (t.Cert == "") != (t.Key == "") {
		c.report(p+".tls", "a client certificate needs both cert and key")
	}
}

// combined checks the values that must agree across layers. Each value remembers
// the layer that set it; a conflict is reported at the value set by the top
// layer, because without it the layers below were already checked and agreed.
//
// A value that failed to decode was reported where it is, and is left out
// here: comparing its zero with the others would add a knock-on problem
// ("try_timeout 500ms is longer than the timeout, 0s" after "timeout: 5 sec")
// that sends the operator to the wrong line. Compilers do the same: one
// error per mistake.
func (c *checker) combined(layers ...policyLayer) bool {
	top := layers[len(layers)-1].path
	def := policies.Defaults()
	timeout, timeoutFrom := def.Timeout, ""
	try, tryFrom := def.TryTimeout, ""
	kind, kindFrom := def.Balancer.Kind, ""
	hash, hashFrom := def.Balancer.HashOn, ""
	// Which compared values failed to decode in some layer, and whether any
	// value of any layer did.
	timesFailed, balancerFailed, anyFailed := false, false, false
	for _, l := range layers {
		s := l.set
		anyFailed = anyFailed || c.failed(l.path)
		timesFailed = timesFailed || c.failed(l.path+".timeout") || c.failed(l.path+".try_timeout")
		balancerFailed = balancerFailed || c.failed(l.path+".balancer") || c.failed(l.path+".hash_on")
		if s.Timeout != nil {
			timeout, timeoutFrom = s.Timeout.D(), l.path
		}
		if s.TryTimeout != nil {
			try, tryFrom = s.TryTimeout.D(), l.path
		}
		if s.Balancer != nil {
			kind, kindFrom = *s.Balancer, l.path
		}
		if s.HashOn != nil {
			hash, hashFrom = *s.HashOn, l.path
		}
	}
	n := len(c.probs)
	if try > timeout && !timesFailed {
		if tryFrom == top {
			c.report(top+".try_timeout", "%v is longer than the timeout, %v%s", try, timeout, setIn(timeoutFrom, top))
		} else {
			c.report(top+".timeout", "%v is shorter than try_timeout %v%s", timeout, try, setIn(tryFrom, top))
		}
	}
	switch {
	case balancerFailed:
	case kind == policies.ConsistentHash && hash == "" && kindFrom == top:
		c.report(top+".balancer", "%s needs hash_on (header:NAME, cookie:NAME or path:N)", kind)
	case kind == policies.ConsistentHash && hash == "":
		c.report(top+".hash_on", "must be set, because the balancer is %s%s", kind, setIn(kindFrom, top))
	case kind != policies.ConsistentHash && hash != "" && hashFrom == top:
		c.report(top+".hash_on", "is only used by balancer %s, and the balancer is %s%s",
			policies.ConsistentHash, kind, setIn(kindFrom, top))
	case kind != policies.ConsistentHash && hash != "":
		c.report(top+".balancer", "%s does not use hash_on %q%s; write hash_on: \"\" here to clear it",
			kind, hash, setIn(hashFrom, top))
	}
	if len(c.probs) > n || anyFailed {
		// Resolve, the safety net, would read the values that failed to decode.
		return false
	}
	// A safety net: anything policies.Resolve refuses that the checks above missed.
	ls := make([]policies.Layer, len(layers))
	for i, l := range layers {
		ls[i] = policies.Layer{Name: l.path, Set: l.set.overrides()}
	}
	if _, _, err := policies.Resolve(ls...); err != nil {
		c.report(top, "%v", err)
		return false
	}
	return true
}

// setIn says where a value that the top layer did not set came from.
func setIn(from, top string) string {
	switch from {
	case top:
		return ""
	case "":
		return " (the built-in default)"
	}
	return " set in " + from
}
