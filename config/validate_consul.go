package config

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
)

// consul checks discovery.consul. Nothing here contacts Consul: `bulwark check`
// must give the same answer on any machine.
func (c *checker) consul() {
	cs := c.f.Discovery.Consul
	if cs == nil {
		return
	}
	const base = "discovery.consul"
	if a := cs.Address; a != "" {
		if err := checkConsulAddress(a); err != "" {
			c.report(base+".address", "%s", err)
		}
	}
	if cs.Token != "" && cs.TokenFile != "" {
		c.report(base+".token_file", "set token or token_file, not both")
	}
	if w := cs.Wait.D(); w < 0 || w > 10*time.Minute {
		c.report(base+".wait", "must be between 0 (default 5m) and 10m, Consul's limit; got %s", w)
	} else if w > 0 && w < time.Second {
		c.report(base+".wait", "%s is shorter than a second: the watch would poll Consul instead of waiting", w)
	}
	if t := cs.Timeout.D(); t < 0 {
		c.report(base+".timeout", "must not be negative")
	}
	switch cs.Warning {
	case "", "exclude", "include", "reduced":
	default:
		c.report(base+".warning", "unknown policy %q (want exclude, include or reduced)", cs.Warning)
	}
	if r := cs.Register; r != nil {
		if r.Name != "" && strings.ContainsAny(r.Name, " ./") {
			c.report(base+".register.name", "%q is not a service name (letters, digits and dashes)", r.Name)
		}
		if d := r.CheckInterval.D(); d < 0 || (d > 0 && d < time.Second) {
			c.report(base+".register.check_interval", "must be at least 1s, got %s", d)
		}
		if d := r.DeregisterAfter.D(); d < 0 || (d > 0 && d < time.Minute) {
			c.report(base+".register.deregister_after", "must be at least 1m (Consul's minimum), got %s", d)
		}
		if c.f.HTTPAddr() == "" {
			c.report(base+".register", "the gateway has no listen.http address to register")
		}
	}
	for _, svc := range slices.Sorted(maps.Keys(cs.Failover)) {
		path := keyPath(base+".failover", svc)
		dcs := cs.Failover[svc]
		if len(dcs) == 0 {
			c.report(path, "list at least one datacenter")
		}
		seen := map[string]bool{}
		for i, dc := range dcs {
			switch {
			case dc == "" || strings.ContainsAny(dc, " /?#@"):
				c.report(indexPath(path, i), "%q is not a datacenter name", dc)
			case seen[dc]:
				c.report(indexPath(path, i), "datacenter %q is listed twice", dc)
			}
			seen[dc] = true
		}
	}
}

// checkConsulAddress accepts host:port or an http(s) URL with a host.
func checkConsulAddress(a string) string {
	if strings.Contains(a, "://") {
		u, err := url.Parse(a)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Sprintf("want host:port or an http(s):// URL, got %q", a)
		}
		return ""
	}
	if host, _, err := net.SplitHostPort(a); err != nil || host == "" {
		return fmt.Sprintf("want host:port or an http(s):// URL, got %q", a)
	}
	if err := checkListenAddr(a); err != nil {
		return err.Error()
	}
	return ""
}
