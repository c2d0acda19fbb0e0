package catalog

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/openapi"
)

// BenchmarkCatalog100 builds a catalog of 100 services from the real
// documents in ../openapi/testdata (loading and normalizing each, then
// indexing), and measures search latency over it. It reports the build time,
// the heap it holds, and search p50/p99.
func BenchmarkCatalog100(b *testing.B) {
	files := []string{"swagger2-uber.json", "swagger2-petstore-formdata.yaml", "swagger2-docker-engine.yaml",
		"oas30-petstore-expanded.yaml", "oas30-link-example.yaml", "oas31-museum.yaml", "oas30-twilio-messaging-v1.json"}
	var docs [][]byte
	for _, f := range files {
		d, err := os.ReadFile(filepath.Join("..", "openapi", "testdata", f))
		if err != nil {
			b.Fatal(err)
		}
		docs = append(docs, d)
	}
	queries := []string{"pet", "GET estimates", "container list", "message", "delete", "schema", "find by status", "x"}
	for range b.N {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		// Loaded 4 at a time, as the catalog's refresh does.
		entries := map[string]*Entry{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 4)
		for i := range 100 {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				doc, err := openapi.Load(context.Background(), docs[i%len(docs)], openapi.Options{RoutePrefix: fmt.Sprintf("/s%d", i)})
				if err != nil {
					b.Error(err)
					return
				}
				name := fmt.Sprintf("svc-%03d", i)
				mu.Lock()
				entries[name] = &Entry{Service: name, Doc: doc, Kind: string(doc.Kind)}
				mu.Unlock()
			})
		}
		wg.Wait()
		ix := (&view{}).with(slog.New(slog.DiscardHandler), slices.Collect(maps.Values(entries)))
		build := time.Since(start)
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		var lat []time.Duration
		for j := range 1000 {
			t0 := time.Now()
			ix.search(queries[j%len(queries)], 50)
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(build.Seconds(), "build-s")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "search-p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "search-p99-µs")
		items := 0
		for _, e := range ix.entries {
			items += len(e.items)
		}
		b.ReportMetric(float64(items), "items")
		runtime.KeepAlive(entries)
	}
}
