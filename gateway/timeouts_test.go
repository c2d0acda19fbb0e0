package gateway

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

// timeoutGateway routes / to one upstream under the given timeouts.
func timeoutGateway(t *testing.T, timeout, try time.Duration, h http.HandlerFunc) (*harness, *upstream) {
	t.Helper()
	up := newUpstream(t, "up", h)
	g := newHarness(t, Config{
		Routes:   []Route{{Name: "r", Path: "/", Service: "svc"}},
		Policies: map[string]policies.Policy{"svc": policy(timeout, try, policies.Balancer{})},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	return g, up
}

// trickle writes n chunks of one line each, every interval, flushing each, until
// the client goes away.
func trickle(contentType string, n int, interval time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		rc := http.NewResponseController(w)
		for i := range n {
			if _, err := fmt.Fprintf(w, "data: %d\n\n", i); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			select {
			case <-time.After(interval):
			case <-r.Context().Done():
				return
			}
		}
	}
}

// The whole-request Timeout bounds a response whose headers came quickly but
// whose body trickles past it: the stream is aborted and the
// failure counted as an upstream timeout.
func TestTimeoutAbortsASlowBody(t *testing.T) {
	t.Parallel()
	const events = 40 // 2 s of body at 50 ms per event, against a 300 ms timeout
	h, _ := timeoutGateway(t, 300*time.Millisecond, 300*time.Millisecond, trickle("text/plain", events, 50*time.Millisecond))

	res, err := h.client.Get(h.url("/slow"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want the upstream's 200", res.StatusCode)
	}
	body, err := io.ReadAll(res.Body)
	if err == nil {
		t.Fatalf("read the whole body (%d events) without error; the timeout should have cut it", strings.Count(string(body), "data:"))
	}
	if n := strings.Count(string(body), "data:"); n >= events {
		t.Errorf("received all %d events", n)
	}
	eventually(t, "the abort to be counted as a timeout", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"service": "svc", "kind": "timeout"})
		return v == 1
	})
}

// try_timeout only bounds the wait for headers: a body that takes longer than
// try_timeout but finishes within Timeout is delivered whole.
func TestTryTimeoutStopsAtTheHeaders(t *testing.T) {
	t.Parallel()
	h, _ := timeoutGateway(t, 3*time.Second, 100*time.Millisecond, trickle("text/plain", 5, 60*time.Millisecond))
	res, body := h.get(t, "/")
	if res.StatusCode != http.StatusOK || strings.Count(string(body), "data:") != 5 {
		t.Fatalf("got %d with %q, want 200 and 5 events", res.StatusCode, body)
	}
}

// Streams are released from Timeout once their headers arrive: an SSE stream
// lasts several times the timeout and ends cleanly.
func TestTimeoutDoesNotCutAnEventStream(t *testing.T) {
	t.Parallel()
	const events = 8 // 800 ms of stream against a 250 ms timeout
	h, _ := timeoutGateway(t, 250*time.Millisecond, 250*time.Millisecond, trickle("text/event-stream", events, 100*time.Millisecond))
	start := time.Now()
	res, body := h.get(t, "/events")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", res.StatusCode)
	}
	if n := strings.Count(string(body), "data:"); n != events {
		t.Fatalf("received %d events, want %d", n, events)
	}
	if elapsed := time.Since(start); elapsed < 250*time.Millisecond {
		t.Fatalf("the stream took %v, not longer than the timeout: the test proves nothing", elapsed)
	}
	if v, ok := metricValue(t, h.reg, "bulwark_upstream_errors_total", nil); ok && v != 0 {
		t.Errorf("a complete stream counted %v upstream errors", v)
	}
}

// The first event reaches the client while the upstream still holds the
// stream open, for SSE and for any chunked response.
func TestStreamsAreFlushedPromptly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
	}{
		{"an SSE event is flushed at once", "text/event-stream"},
		{"an SSE event with a charset is flushed at once", "text/event-stream; charset=utf-8"},
		{"a chunked response without a length is flushed at once", "application/x-ndjson"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			h, _ := timeoutGateway(t, 5*time.Second, 5*time.Second, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				_, _ = io.WriteString(w, "data: first\n\n")
				_ = http.NewResponseController(w).Flush()
				select { // hold the stream open until the client saw the first event
				case <-release:
				case <-r.Context().Done():
					return
				}
				_, _ = io.WriteString(w, "data: second\n\n")
			})
			res, err := h.client.Get(h.url("/"))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()

			first := make(chan string, 1)
			br := bufio.NewReader(res.Body)
			go func() {
				line, _ := br.ReadString('\n')
				first <- line
			}()
			select {
			case line := <-first:
				if line != "data: first\n" {
					t.Fatalf("first line = %q", line)
				}
			case <-time.After(3 * time.Second):
				close(release)
				t.Fatal("the first event did not reach the client while the upstream held the stream")
			}
			close(release)
			rest, err := io.ReadAll(br)
			if err != nil || string(rest) != "\ndata: second\n\n" {
				t.Errorf("rest = %q, %v", rest, err)
			}
		})
	}
}

// A client that leaves in the middle of a stream is a 499, not an upstream failure.
func TestClientLeavingMidStream(t *testing.T) {
	t.Parallel()
	upstreamDone := make(chan struct{})
	h, _ := timeoutGateway(t, 5*time.Second, 5*time.Second, func(w http.ResponseWriter, r *http.Request) {
		defer close(upstreamDone)
		trickle("text/event-stream", 1000, 20*time.Millisecond)(w, r)
	})
	res, err := h.client.Get(h.url("/"))
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(res.Body).ReadString('\n')
	if err != nil || line != "data: 0\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	res.Body.Close() // closes the connection: the body was not read to the end
	select {
	case <-upstreamDone:
	case <-time.After(2 * time.Second):
		t.Fatal("the upstream kept streaming 2 s after the client left")
	}
	eventually(t, "a 499 to be counted", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"code": "499"})
		return v == 1
	})
	for _, l := range metricLabels(t, h.reg, "bulwark_upstream_errors_total") {
		if l["kind"] != "client_gone" {
			t.Errorf("a client leaving mid-stream was counted as upstream error %v", l)
		}
	}
}
