package gateway

import (
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/bulwark-gw/bulwark/discovery"
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
