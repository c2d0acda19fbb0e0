package config

import (
	"fmt"
	"maps"
	"slices"

	"github.com/bulwark-gw/bulwark/discovery"
)

// staticServices checks discovery.static: what discovery.NewStatic would refuse,
// reported with positions, and all of it rather than the first.
func (c *checker) staticServices() {
	names := map[string]string{} // service -> path of its first entry
	for i, s := range c.f.Discovery.Static {
		p := indexPath("discovery.static", i)
		switch first, dup := names[s.Service]; {
		case s.Service == "":
			c.missing(p+".service", p, "service (the name) is required")
		case dup:
			c.report(p+".service", "%q is already listed%s", s.Service, c.atLine(first))
		default:
			names[s.Service] = p + ".service"
		}
		if len(s.Instances) == 0 {
			// An empty list is a forgotten edit more often than a wish for 503s.
			c.report(p+".instances", "a static service needs at least one instance")
		}
		listed := map[string]string{} // address -> path of its first listing
		for j, addr := range s.Instances {
			ip := indexPath(p+".instances", j)
			if first, dup := listed[addr]; dup {
				c.report(ip, "%q is already listed%s", addr, c.atLine(first))
				continue
			}
			listed[addr] = ip
			if err := discovery.ValidateAddr(addr); err != nil {
				c.report(ip, "%q is not a valid instance address: %v", addr, err)
			}
		}
		for _, addr := range slices.Sorted(maps.Keys(s.Weights)) {
			wp := keyPath(p+".weights", addr)
			if _, ok := listed[addr]; !ok {
				c.report(wp, "%q is not one of this service's instances", addr)
			}
			if w := s.Weights[addr]; w < 1 {
				c.report(wp, "weight must be at least 1, got %d", w)
			}
		}
	}
}

// knownServices returns the services that some discovery source lists, and
// whether that list is complete. With Consul it is not: Consul adds services at
// run time, so a name missing from the file may well be there, and
// serviceReferences stays quiet.
func (f *File) knownServices() (names map[string]bool, complete bool) {
	names = make(map[string]bool, len(f.Discovery.Static))
	for _, s := range f.Discovery.Static {
		names[s.Service] = true
	}
	return names, f.Discovery.Consul == nil
}

// serviceReferences checks that every service the file names is one discovery
// knows: a route to a service nobody lists would answer 503 forever, and a
// services: block for one is usually a typo. It is the only check that depends
// on what discovery knows, so it stands apart and is skipped when that is open.
func (c *checker) serviceReferences() {
	known, complete := c.f.knownServices()
	if !complete {
		return
	}
	routed := map[string]bool{}
	for i, r := range c.f.Routes {
		if r.Service == "" {
			continue // reported by routes
		}
		routed[r.Service] = true
		if !known[r.Service] {
			c.report(indexPath("routes", i)+".service", "unknown service %q: no discovery source lists it%s",
				r.Service, didYouMean(r.Service, known))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.f.Services)) {
		if name != "" && !known[name] && !routed[name] {
			c.report(keyPath("services", name), "unknown service %q: no route names it and no discovery source lists it%s",
				name, didYouMean(name, known))
		}
	}
}

// didYouMean formats a suggestion from names, or "" when none is close.
func didYouMean(s string, names map[string]bool) string {
	if best := suggest(s, slices.Collect(maps.Keys(names))); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}
