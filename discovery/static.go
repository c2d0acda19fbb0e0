package discovery

import (
	"fmt"
	"net"
	"strconv"

	"github.com/bulwark-gw/bulwark/internal/pmap"
)

// StaticService is one service of a static source: a fixed list of instances.
type StaticService struct {
	Name string
	// Instances are host:port addresses, each with weight 1 unless Weights says otherwise.
	Instances []string
	// Weights, when set, has one entry per instance.
	Weights []int
}

// Static is the source whose instances never change: the fallback when there is
// no Consul, and the source `bulwark demo` uses. It has nothing to watch, so it
// is no running Source: each (re)load of the config builds one and merges its
// Snapshot with Consul's. Every instance is reported Passing; passive health
// (outlier ejection) is the gateway's job, not the source's.
type Static struct {
	snap *Snapshot
}

// NewStatic validates the services and builds the source's snapshot.
func NewStatic(services []StaticService) (*Static, error) {
	var b pmap.Builder[string, []Instance]
	for _, s := range services {
		if s.Name == "" {
			return nil, fmt.Errorf("static service: empty name")
		}
		if _, dup := b.Get(s.Name); dup {
			return nil, fmt.Errorf("static service %q: listed twice", s.Name)
		}
		if len(s.Weights) != 0 && len(s.Weights) != len(s.Instances) {
			return nil, fmt.Errorf("static service %q: %d weights for %d instances", s.Name, len(s.Weights), len(s.Instances))
		}
		ins := make([]Instance, 0, len(s.Instances))
		seen := map[string]bool{}
		for i, addr := range s.Instances {
			if err := ValidateAddr(addr); err != nil {
				return nil, fmt.Errorf("static service %q: instance %q: %w", s.Name, addr, err)
			}
			if seen[addr] {
				return nil, fmt.Errorf("static service %q: instance %q listed twice", s.Name, addr)
			}
			seen[addr] = true
			w := 1
			if len(s.Weights) != 0 {
				w = s.Weights[i]
			}
			ins = append(ins, Instance{ID: addr, Addr: addr, Weight: w, Health: Passing})
		}
		sortInstances(ins)
		b.Set(s.Name, ins)
	}
	return &Static{snap: &Snapshot{Services: b.Map(), Source: "static", Version: 1}}, nil
}

// Snapshot returns the source's snapshot.
func (s *Static) Snapshot() *Snapshot { return s.snap }

// ValidateAddr checks that addr is host:port with a numeric port in 1..65535.
func ValidateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not host:port: %w", err)
	}
	if host == "" {
		return fmt.Errorf("missing host")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", port)
	}
	return nil
}
