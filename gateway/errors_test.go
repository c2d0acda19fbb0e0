package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/discovery"
	"github.com/bulwark-gw/bulwark/internal/h1"
	"github.com/bulwark-gw/bulwark/internal/pmap"
	"github.com/bulwark-gw/bulwark/policies"
)

func TestErrorStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"no route is 404", ErrNoRoute, 404},
		{"a wrong method is 405", ErrMethodNotAllowed, 405},
		{"a refused request is 400", &BadRequestError{Reason: "x"}, 400},
		{"no healthy instance is 503", ErrNoHealthyInstance, 503},
		{"a client that went away is 499", ErrClientGone, 499},
		{"the upstream timeout is 504", ErrUpstreamTimeout, 504},
		{"a wrapped deadline is 504", fmt.Errorf("dial: %w", context.DeadlineExceeded), 504},
		{"a network timeout is 504", &net.OpError{Op: "read", Err: timeoutErr{}}, 504},
		{"a refused connection is 502", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, 502},
		{"any other upstream error is 502", errors.New("malformed HTTP response"), 502},
		{"a response the direct path refuses is 502", fmt.Errorf("proxying: %w", h1.ErrMalformedResponse), 502},
		{"a connection the direct path found stale is 502", fmt.Errorf("%w: %w", h1.ErrStaleConn, io.EOF), 502},
		{"a stale connection whose wait timed out is 504", fmt.Errorf("%w: %w", h1.ErrStaleConn, &net.OpError{Op: "read", Err: timeoutErr{}}), 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorStatus(tt.err); got != tt.want {
				t.Errorf("ErrorStatus(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// A dial or protocol error is 502, a timeout 504, no instance 503
// with Retry-After; each answer is a problem document naming the service, never
// the instance.
func TestUpstreamFailureMapping(t *testing.T) {
	t.Parallel()
	good := newUpstream(t, "good", nil)
	hung := newUpstream(t, "hung", func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // accepts, never answers
	})
	garbage := rawServer(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			_, _ = io.WriteString(c, "HELLO\r\n\r\n")
		}
	})
	bigHeaders := newUpstream(t, "big", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 8<<10))
		_, _ = io.WriteString(w, "too big")
	})
	refused := closedAddr(t)

	snap := &discovery.Snapshot{Source: "test", Version: 1, Services: pmap.From(map[string][]discovery.Instance{
		"good":     {{ID: "g", Addr: good.Addr(), Health: discovery.Passing}},
		"hung":     {{ID: "h", Addr: hung.Addr(), Health: discovery.Passing}},
		"garbage":  {{ID: "x", Addr: garbage, Health: discovery.Passing}},
		"big":      {{ID: "b", Addr: bigHeaders.Addr(), Health: discovery.Passing}},
		"refused":  {{ID: "r", Addr: refused, Health: discovery.Passing}},
		"empty":    {},
		"critical": {{ID: "c", Addr: good.Addr(), Health: discovery.Critical}},
	})}
	// try_timeout (200ms) ends the hung case; the whole timeout is long
	// enough (30 s) that a 504 from it, not from try_timeout, cannot pass
	// for one: the hung case asserts it came in under half of it.
	const tryTimeout, wholeTimeout = 200 * time.Millisecond, 30 * time.Second
	fast := policy(wholeTimeout, tryTimeout, policies.Balancer{})
	cfg := Config{
		Routes:    []Route{},
		Policies:  map[string]policies.Policy{},
		Transport: TransportConfig{MaxResponseHeaderBytes: 4096},
	}
	for _, name := range []string{"good", "hung", "garbage", "big", "refused", "empty", "critical", "unknown"} {
		cfg.Routes = append(cfg.Routes, Route{Name: name, Path: "/" + name, Service: name})
		cfg.Policies[name] = fast
	}
	h := newHarness(t, cfg, snap)

	tests := []struct {
		name   string
		path   string
		status int
		kind   string // upstream error kind counted, "" for none
	}{
		{"a refused connection is 502", "/refused", 502, "connect_refused"},
		{"an upstream that never answers is 504 after try_timeout", "/hung", 504, "timeout"},
		{"an upstream answering garbage is 502", "/garbage", 502, "protocol"},
		{"upstream headers beyond MaxResponseHeaderBytes are 502", "/big", 502, "protocol"},
		{"a service without instances is 503", "/empty", 503, ""},
		{"a service whose instances are all critical is 503", "/critical", 503, ""},
		{"a service missing from the snapshot is 503", "/unknown", 503, ""},
	}
	t.Run("each failure maps to one status", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				res, body := h.get(t, tt.path)
				elapsed := time.Since(start)
				if res.StatusCode != tt.status {
					t.Fatalf("GET %s = %d %q, want %d", tt.path, res.StatusCode, body, tt.status)
				}
				p := problemOf(t, res, body)
				service := strings.TrimPrefix(tt.path, "/")
				if p.Service != service || p.Title != http.StatusText(tt.status) || p.RequestID != res.Header.Get("X-Request-Id") {
					t.Errorf("problem = %+v with X-Request-Id %q, want service %q, title %q and the same ID", p, res.Header.Get("X-Request-Id"), service, http.StatusText(tt.status))
				}
				if !hex32.MatchString(p.RequestID) {
					t.Errorf("problem request_id = %q, want a generated ID", p.RequestID)
				}
				for _, addr := range []string{refused, hung.Addr(), garbage, bigHeaders.Addr(), good.Addr()} {
					if strings.Contains(string(body), addr) {
						t.Errorf("the problem reveals the instance address %s: %s", addr, body)
					}
				}
				if tt.status == http.StatusServiceUnavailable {
					mustHeader(t, res.Header, "Retry-After", "1")
				} else {
					mustNoHeader(t, res.Header, "Retry-After")
				}
				// Never before try_timeout (a timer does not fire early, so
				// this holds on any machine), and far from the whole
				// timeout: the bound is half of it, not a latency claim.
				if tt.status == http.StatusGatewayTimeout && (elapsed < tryTimeout || elapsed >= wholeTimeout/2) {
					t.Errorf("504 after %v, want it from the %v try_timeout, not the %v timeout", elapsed, tryTimeout, wholeTimeout)
				}
				if tt.kind != "" {
					eventually(t, "the upstream error to be counted", func() bool {
						v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"service": service, "kind": tt.kind})
						return v == 1
					})
				}
			})
		}
	})

	t.Run("after every failure a good upstream still answers", func(t *testing.T) {
		// Runs after the parallel group above has finished.
		for _, path := range []string{"/garbage", "/big", "/refused"} {
			h.get(t, path)
			res, body := h.get(t, "/good")
			if res.StatusCode != http.StatusOK || string(body) != "good" {
				t.Fatalf("after GET %s, GET /good = %d %q", path, res.StatusCode, body)
			}
		}
	})
}

// A service left out of Config.Policies gets policies.Defaults(), whose zero
// TryTimeout means "the whole Timeout", not "time out at once".
func TestServiceWithoutPolicyUsesTheDefaults(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(20 * time.Millisecond)
		_, _ = io.WriteString(w, "ok")
	})
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	if res, body := h.get(t, "/"); res.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d %q, want 200", res.StatusCode, body)
	}
}

// A client that goes away cancels the upstream request, is
// logged and counted as 499, and is not an upstream failure.
func TestClientDisconnectCancelsTheUpstream(t *testing.T) {
	t.Parallel()
	started, cancelled := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	})
	h := newHarness(t, Config{Routes: []Route{{Name: "slow", Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		req := newRequest(t, "GET", h.url("/slow"), nil).WithContext(ctx)
		res, err := h.client.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the cancelled request succeeded")
	}
	select {
	case <-cancelled:
	case <-time.After(2 * time.Second):
		t.Fatal("the upstream request was not cancelled within 2s of the client leaving")
	}

	eventually(t, "a 499 to be counted", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "slow", "service": "svc", "code": "499"})
		return v == 1
	})
	for _, l := range metricLabels(t, h.reg, "bulwark_upstream_errors_total") {
		if l["kind"] != "client_gone" {
			t.Errorf("a client disconnect was counted as upstream error %v", l)
		}
	}
	if v, _ := metricValue(t, h.reg, "bulwark_upstream_errors_total", map[string]string{"kind": "client_gone"}); v != 1 {
		t.Errorf("client_gone count = %v, want 1", v)
	}
	if v, _ := metricValue(t, h.reg, "bulwark_requests_total", nil); v != 1 {
		t.Errorf("requests counted = %v, want 1 (the 499 only)", v)
	}
}

// An upstream that dies mid-body: the client sees an aborted response (the
// gateway cannot change a status it already sent), and the gateway carries on.
func TestUpstreamFailingMidBody(t *testing.T) {
	t.Parallel()
	broken := rawServer(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\n0123456789")
		}
	})
	good := newUpstream(t, "good", nil)
	h := newHarness(t, Config{
		Routes: []Route{
			{Name: "broken", Path: "/broken", Service: "broken"},
			{Name: "good", Path: "/good", Service: "good"},
		},
	}, snapshot(t, map[string][]string{"broken": {broken}, "good": {good.Addr()}}))

	for range 3 {
		// The gateway aborts the connection: depending on whether its buffered
		// header was flushed, the client sees no response or a truncated body,
		// never a complete one.
		res, err := h.client.Get(h.url("/broken"))
		if err == nil {
			body, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want the upstream's 200", res.StatusCode)
			}
			if rerr == nil || len(body) >= 100 {
				t.Fatalf("read %d bytes with error %v, want a truncated body and an error", len(body), rerr)
			}
		}
		res2, body2 := h.get(t, "/good")
		if res2.StatusCode != http.StatusOK || string(body2) != "good" {
			t.Fatalf("GET /good after an aborted response = %d %q", res2.StatusCode, body2)
		}
	}
}
