package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
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

// BenchmarkBareReverseProxy is the second baseline: a tuned httputil.ReverseProxy
// (pooled buffers, a sized idle pool) with no routing, policy or observability,
// what the gateway is measured against in bench/RESULTS.md.
func BenchmarkBareReverseProxy(b *testing.B) {
	up := benchUpstream(b)
	target, err := url.Parse(up.URL)
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 512}
	b.Cleanup(tr.CloseIdleConnections)
	rp := &httputil.ReverseProxy{
		Rewrite:    func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		Transport:  tr,
		BufferPool: bufferPool{},
	}
	srv := httptest.NewServer(rp)
	b.Cleanup(srv.Close)
	runBench(b, benchClient(b), srv.URL+"/pets/1")
}
