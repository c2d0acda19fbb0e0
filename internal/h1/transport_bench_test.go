package h1

import (
	"io"
	"net/http"
	"testing"
)

// The direct path's own cost per request, without the gateway around it, next
// to http.Transport's: one client, sequential keep-alive GETs to a raw upstream
// that answers at once. The idle check (conn.usable) is in every iteration.
func benchmarkTransport(b *testing.B, tr http.RoundTripper) {
	h := newHostile(b, everyRequest(func(c *hostileConn, id, _ string) bool {
		c.write(answerTo(id))
		return true
	}))
	req, err := http.NewRequest(http.MethodGet, h.url("bench"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		res, err := tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	b.StopTimer()
	if n := h.accepted.Load(); n != 1 {
		b.Fatalf("%d connections, want 1 reused throughout", n)
	}
}

func BenchmarkDirectTransportRoundTrip(b *testing.B) {
	cl := newDiffClients(b)
	benchmarkTransport(b, cl.direct)
}

func BenchmarkHTTPTransportRoundTrip(b *testing.B) {
	cl := newDiffClients(b)
	benchmarkTransport(b, cl.std)
}
