package gateway

import (
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// benchBody is a 1 KiB JSON document.
var benchBody = `{"items":[` + strings.TrimSuffix(strings.Repeat(`{"id":1234,"name":"rex","kind":"dog"},`, 26), ",") + `]}`

func benchUpstream(b *testing.B) *upstream {
	return newStreamingUpstream(b, "bench", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	})
}

func benchClient(b *testing.B) *http.Client {
	tr := &http.Transport{MaxIdleConnsPerHost: 4 * runtime.GOMAXPROCS(0)}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func runBench(b *testing.B, client *http.Client, url string) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchBody)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("status %d", res.StatusCode)
				return
			}
		}
	})
}

// BenchmarkGatewayProxy measures a request through the gateway to a 1 KiB JSON
// upstream; compare with BenchmarkDirect for the gateway's own cost.
func BenchmarkGatewayProxy(b *testing.B) {
	up := benchUpstream(b)
	h := newHarness(b, Config{Routes: []Route{{Name: "pets", Path: "/pets", Service: "pets"}}},
		snapshot(b, map[string][]string{"pets": {up.Addr()}}))
	runBench(b, benchClient(b), h.url("/pets/1"))
}

// BenchmarkDirect is the baseline: the same client straight to the upstream.
func BenchmarkDirect(b *testing.B) {
	up := benchUpstream(b)
	runBench(b, benchClient(b), up.URL+"/pets/1")
}
