package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// statusWriter is a ResponseWriter that keeps nothing but the status: the
// guard below counts the gateway's allocations, not a recorder's.
type statusWriter struct {
	h      http.Header
	status int
}

func (w *statusWriter) Header() http.Header         { return w.h }
func (w *statusWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *statusWriter) WriteHeader(status int)      { w.status = status }

// maxProxiedGETAllocs is the allocation budget of one proxied GET of a
// 1 KiB JSON answer with every default on (metrics, access log, breaker,
// bulkhead, retries, outlier ejection), the in-process upstream's own
// net/http allocations included. Allocation counts do not depend on how
// busy the machine is, so this is the deterministic guard issue 19 asks for:
// a change that makes the hot path allocate more fails here, and lowering
// the number is how an allocation removed is kept removed.
const maxProxiedGETAllocs = 91

// TestProxiedGETAllocations is that guard.
func TestProxiedGETAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("counts allocations over many requests")
	}
	up := newStreamingUpstream(t, "pets", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, benchBody)
	})
	g := New(Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry()})
	t.Cleanup(g.Close)
	g.Configure(Config{Routes: []Route{{Name: "pets", Path: "/pets", Service: "pets"}}},
		snapshot(t, map[string][]string{"pets": {up.Addr()}}))
	serve := func() {
		r := httptest.NewRequest(http.MethodGet, "http://gw.test/pets/1", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		w := &statusWriter{h: http.Header{}}
		g.ServeHTTP(w, r)
		if w.status != http.StatusOK {
			t.Fatalf("status %d", w.status)
		}
	}
	for range 50 {
		serve() // connections, pools and lazily built state
	}
	// The fewest of three counts: AllocsPerRun counts the whole process, and
	// a goroutine an earlier test left (a timer, a refresh) only ever adds.
	allocs := testing.AllocsPerRun(300, serve)
	for range 2 {
		allocs = min(allocs, testing.AllocsPerRun(300, serve))
	}
	budget := float64(maxProxiedGETAllocs + raceAllocs)
	t.Logf("%.1f allocations per proxied GET (budget %.0f)", allocs, budget)
	if allocs > budget {
		t.Errorf("%.1f allocations per proxied GET, over the budget of %.0f: find the new one (go test -bench GatewayProxy -memprofile)", allocs, budget)
	}
}

// TestHandOverIsCopyHeader: moving the upstream's header into the client's
// gives what ReverseProxy's copy gives (values appended to the client's own,
// order kept), leaves the upstream's empty, and a later Add to one header
// never writes into the array another header's values live in.
func TestHandOverIsCopyHeader(t *testing.T) {
	backing := []string{"a=1", "b=2", "Accept-Encoding"}
	src := http.Header{"Set-Cookie": backing[0:2], "Vary": backing[2:3], "X-Empty": {}}
	want := http.Header{"Vary": {"Origin"}}
	for k, vv := range src {
		for _, v := range vv {
			want.Add(k, v)
		}
	}
	dst := http.Header{"Vary": {"Origin"}}
	handOver(dst, src)
	if len(src) != 0 {
		t.Errorf("the upstream's header keeps %v", src)
	}
	for k := range want {
		if strings.Join(dst[k], "|") != strings.Join(want[k], "|") {
			t.Errorf("%s: %q, want %q", k, dst[k], want[k])
		}
	}
	dst.Add("Set-Cookie", "c=3")
	if backing[2] != "Accept-Encoding" {
		t.Errorf("an Add to Set-Cookie wrote into Vary's array: %q", backing)
	}
}
