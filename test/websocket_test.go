package test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newEchoUpstream answers a WebSocket-style upgrade with 101 and then echoes every
// byte back on the hijacked connection until either side closes it. The framing
// is irrelevant to the gateway, which tunnels bytes after the 101.
func newEchoUpstream(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
		_, _ = io.Copy(conn, rw)
	}))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestAWebSocketIsTunnelledAndClosedAtShutdown: the upgrade is
// proxied on a route that allows it, bytes flow both ways, and SIGTERM closes the
// tunnel instead of letting it hold the process past the grace period.
func TestAWebSocketIsTunnelledAndClosedAtShutdown(t *testing.T) {
	echo := newEchoUpstream(t)
	gw := startServe(t, configOptions{
		Routes:   []routeSpec{{Path: "/ws", Service: "echo", Addr: echo, WebSocket: true}},
		Shutdown: "  grace: 3s\n",
	}.render)

	conn, err := net.DialTimeout("tcp", gw.ports.HTTP, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("reading the upgrade response: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", res.StatusCode)
	}

	if _, err := io.WriteString(conn, "ping"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 4)
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo through the tunnel = %q, %v; want ping", got, err)
	}

	// The echo upstream never ends the tunnel, so only the gateway can: left
	// open, it would stay open for ever. The read's deadline is therefore
	// generous (the 3s grace plus 27 s for a busy machine) and what is
	// asserted is who ended the read: the gateway closing the tunnel (EOF or
	// a reset), never our deadline.
	const closeWithin = 30 * time.Second
	gw.signal(syscall.SIGTERM)
	_ = conn.SetDeadline(time.Now().Add(closeWithin))
	switch _, err := br.ReadByte(); {
	case err == nil:
		t.Error("the tunnel sent a byte after SIGTERM; want it closed")
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Errorf("the tunnel was still open %v after SIGTERM (3s grace): the gateway never closed it", closeWithin)
	}
	if code := gw.waitExit(closeWithin); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
	gw.checkNoRace()
}

// TestAWebSocketUpgradeOnARouteWithoutItIsRefused: only routes that opt in tunnel.
func TestAWebSocketUpgradeOnARouteWithoutItIsRefused(t *testing.T) {
	echo := newEchoUpstream(t)
	gw := startServe(t, configOptions{Routes: []routeSpec{{Path: "/ws", Service: "echo", Addr: echo}}}.render)
	res := rawRequest(t, gw.ports.HTTP, []byte("GET /ws HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	if res.Err != nil || res.Status != http.StatusBadRequest {
		t.Errorf("got %d (err %v), want 400", res.Status, res.Err)
	}
}
