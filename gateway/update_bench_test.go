package gateway

import (
	"fmt"
	"maps"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkUpdate measures what one discovery change costs the gateway with n
// services of 5 instances, each routed by a label: an instance change (the
// common event: a check flaps) and a route change (a service registers).
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		services := map[string][]discovery.Instance{}
		labels := map[string]discovery.Labels{}
		for i := range n {
			name := fmt.Sprintf("svc-%d", i)
			for j := range 5 {
				addr := fmt.Sprintf("127.0.0.%d:%d", j+1, 10000+i)
				services[name] = append(services[name], discovery.Instance{ID: addr, Addr: addr, Health: discovery.Passing})
			}
			labels[name] = discovery.Labels{Tags: []string{"bulwark.route=/" + name}}
		}
		g := New(Options{Registerer: prometheus.NewRegistry()})
		g.Configure(Config{}, &discovery.Snapshot{Services: services, Labels: labels})
		b.Run(fmt.Sprintf("instance/services=%d", n), func(b *testing.B) {
			for i := range b.N {
				s := maps.Clone(services)
				s["svc-0"] = services["svc-0"][:4+i%2] // one instance leaves and returns
				g.Update(&discovery.Snapshot{Services: s, Labels: labels, Changed: []string{"svc-0"}})
			}
		})
		b.Run(fmt.Sprintf("route/services=%d", n), func(b *testing.B) {
			for i := range b.N {
				s, l := maps.Clone(services), maps.Clone(labels)
				if i%2 == 0 { // a probe service registers, then leaves
					s["probe"] = services["svc-0"]
					l["probe"] = discovery.Labels{Tags: []string{"bulwark.route=/probe"}}
				}
				g.Update(&discovery.Snapshot{Services: s, Labels: l, Changed: []string{"probe"}})
			}
		})
		g.Close()
	}
}
