package gateway

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/prometheus/client_golang/prometheus"
)

// heapInUse is the live heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// manyServices is a snapshot of n services with 5 instances each, and the
// routes to them (as bench/consul/run.sh registers them).
func manyServices(t testing.TB, n int) (Config, *discovery.Snapshot) {
	var cfg Config
	list := make([]discovery.StaticService, 0, n)
	for i := range n {
		name := fmt.Sprintf("svc-%04d", i)
		addrs := make([]string, 5)
		for j := range addrs {
			addrs[j] = fmt.Sprintf("127.0.%d.%d:%d", i/250, i%250+1, 9000+j)
		}
		list = append(list, discovery.StaticService{Name: name, Instances: addrs})
		cfg.Routes = append(cfg.Routes, Route{Name: name, Path: "/" + name, Service: name})
	}
	s, err := discovery.NewStatic(list)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, s.Snapshot()
}

// maxHeapPer1000 bounds the heap a gateway holds for 1,000 services of 5
// instances each, their routes and the snapshot they came from (issue 20):
// measured 6.6 MiB after route series became lazy (13.3 MiB before). Heap bytes after a collection do not depend on how
// busy the machine is, so a regression fails here, not in a benchmark.
const maxHeapPer1000 = 10 << 20

// TestHeapOfAThousandServices is that guard; it logs the cost per service
// at 10 and 1,000 services, for bench/RESULTS.md.
func TestHeapOfAThousandServices(t *testing.T) {
	for _, n := range []int{10, 1000} {
		before := heapInUse()
		cfg, snap := manyServices(t, n)
		g := New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
		g.Configure(cfg, snap)
		after := heapInUse()
		runtime.KeepAlive(g)
		g.Close()
		used := after - min(after, before)
		t.Logf("%d services x 5 instances: %.1f MiB, %.1f KiB per service", n, float64(used)/(1<<20), float64(used)/1024/float64(n))
		if n == 1000 && used > maxHeapPer1000 {
			t.Errorf("1,000 services hold %.1f MiB of heap, over the bound of %d MiB: go test -run %s -memprofile shows what grew",
				float64(used)/(1<<20), maxHeapPer1000>>20, t.Name())
		}
	}
}

// bytesPerChange is what one discovery change allocates in a gateway of n
// label-routed services of 5 instances: a check flapping (instances) or a
// service registering and leaving (routes), as BenchmarkUpdate makes them.
func bytesPerChange(t *testing.T, n int, routes bool) float64 {
	services, labels := labelledFleet(n)
	ps, pl := pmap.From(services), pmap.From(labels)
	g := New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	defer g.Close()
	g.Configure(Config{}, &discovery.Snapshot{Services: ps, Labels: pl})
	change := func(i int) {
		if !routes {
			s := ps.Set("svc-0", services["svc-0"][:4+i%2]) // one instance leaves and returns
			g.Update(&discovery.Snapshot{Services: s, Labels: pl, Changed: []string{"svc-0"}})
			return
		}
		s, l := ps, pl
		if i%2 == 0 {
			s = s.Set("probe", services["svc-0"])
			l = l.Set("probe", discovery.Labels{Tags: []string{"bulwark.route=/probe"}})
		}
		g.Update(&discovery.Snapshot{Services: s, Labels: l, Changed: []string{"probe"}})
	}
	for i := range 10 { // first-use allocations (metric series, pools) out of the count
		change(i)
	}
	const changes = 200
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range changes {
		change(i)
	}
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / changes
}

// A change costs the gateway the changed service's work, with a thousand
// services as with ten (issue 20): its allocation may grow with the depth of
// the persistent maps' tries, not with the number of services. Before those,
// an instance change allocated 155 KiB at 1,000 services against 3 KiB at
// 10, and the collections that garbage brought were most of the CPU per
// change. Bytes allocated do not depend on how busy the machine is.
func TestChangeAllocationDoesNotGrowWithServices(t *testing.T) {
	for _, routes := range []bool{false, true} {
		small, large := bytesPerChange(t, 10, routes), bytesPerChange(t, 1000, routes)
		t.Logf("routes changing %v: %.1f KiB per change at 10 services, %.1f KiB at 1,000", routes, small/1024, large/1024)
		if large > 4*small || large > 64<<10 {
			t.Errorf("routes changing %v: a change allocates %.1f KiB at 1,000 services against %.1f KiB at 10 (bound: 4x and 64 KiB)",
				routes, large/1024, small/1024)
		}
	}
}

// labelledFleet is n services of 5 instances, each routed by a label of its
// own, as bench/consul/run.sh registers them.
func labelledFleet(n int) (map[string][]discovery.Instance, map[string]discovery.Labels) {
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
	return services, labels
}
