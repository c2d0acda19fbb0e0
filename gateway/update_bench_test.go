package gateway

import (
	"fmt"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkUpdate measures what one discovery change costs the gateway with n
// services of 5 instances, each routed by a label: an instance change (the
// common event: a check flaps) and a route change (a service registers).
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		services, labels := labelledFleet(n)
		g := New(Options{Registerer: prometheus.NewRegistry()})
		// Persistent maps, as discovery's Consul source makes them: a
		// snapshot costs the path to its change, as it does there.
		ps, pl := pmap.From(services), pmap.From(labels)
		g.Configure(Config{}, &discovery.Snapshot{Services: ps, Labels: pl})
		b.Run(fmt.Sprintf("instance/services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				s := ps.Set("svc-0", services["svc-0"][:4+i%2]) // one instance leaves and returns
				g.Update(&discovery.Snapshot{Services: s, Labels: pl, Changed: []string{"svc-0"}})
			}
		})
		b.Run(fmt.Sprintf("route/services=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := range b.N {
				s, l := ps, pl
				if i%2 == 0 { // a probe service registers, then leaves
					s = s.Set("probe", services["svc-0"])
					l = l.Set("probe", discovery.Labels{Tags: []string{"bulwark.route=/probe"}})
				}
				g.Update(&discovery.Snapshot{Services: s, Labels: l, Changed: []string{"probe"}})
			}
		})
		g.Close()
	}
}
