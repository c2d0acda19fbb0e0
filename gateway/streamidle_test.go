package gateway

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// streamGateway routes / to an upstream answering with h, with the stream
// idle timeout set.
func streamGateway(t *testing.T, idle time.Duration, h http.HandlerFunc) *harness {
	t.Helper()
	up := newUpstream(t, "up", h)
	p := policy(250*time.Millisecond, 250*time.Millisecond, policies.Balancer{})
	p.StreamIdleTimeout = idle
	return newHarness(t, Config{
		Routes:   []Route{{Name: "r", Path: "/", Service: "svc"}},
		Policies: map[string]policies.Policy{"svc": p},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
}

// An SSE upstream that goes silent mid-stream is cut off after the idle
// timeout: the client has its events so far, then the stream ends.
func TestAStreamThatGoesSilentIsCutAtTheIdleTimeout(t *testing.T) {
	t.Parallel()
	h := streamGateway(t, 200*time.Millisecond, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 2 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			http.NewResponseController(w).Flush()
		}
		<-r.Context().Done() // silent until the gateway gives up
	})
	start := time.Now()
	res, err := h.client.Get(h.url("/events"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	took := time.Since(start)
	if err == nil {
		t.Fatalf("the silent stream ended cleanly after %v; it should have been cut", took)
	}
	if n := strings.Count(string(body), "data:"); n != 2 {
		t.Errorf("received %d events before the cut, want 2", n)
	}
	// Never before the idle timeout; the upper bound only tells a cut from a
	// stream left hanging, with room for a busy machine.
	if took < 200*time.Millisecond || took > 30*time.Second {
		t.Errorf("cut after %v, want after the 200ms idle timeout (and not left hanging)", took)
	}
	eventually(t, "the cut to be counted as an upstream timeout", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"service": "svc", "kind": "timeout"})
		return v == 1
	})
}

// A stream that keeps talking is never cut, however long it lasts: 80 events
// 50 ms apart outlast the 3 s idle timeout (and by far the 250 ms
// whole-request timeout), while each gap is a sixtieth of it, so only a pause
// of the whole machine longer than 3 s would look like silence (a 1 s timeout
// with 100 ms gaps was cut once on a machine with a load of 12 on 2 cores).
func TestAStreamThatKeepsSendingOutlivesTheIdleTimeout(t *testing.T) {
	t.Parallel()
	const events = 80
	h := streamGateway(t, 3*time.Second, trickle("text/event-stream", events, 50*time.Millisecond))
	res, body := h.get(t, "/events")
	if res.StatusCode != http.StatusOK || strings.Count(string(body), "data:") != events {
		t.Fatalf("got %d with %d events, want all %d over 4 s against a 3 s idle timeout",
			res.StatusCode, strings.Count(string(body), "data:"), events)
	}
}
