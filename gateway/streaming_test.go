package gateway

import (
	"bufio"
	"crypto/sha1" //nolint:gosec // RFC 6455 mandates SHA-1 for the accept key
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-gw/bulwark/policies"
)

const wsKey = "dGhlIHNhbXBsZSBub25jZQ=="

func wsAccept(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")) //nolint:gosec
	return base64.StdEncoding.EncodeToString(h[:])
}

// wsUpstream accepts a WebSocket handshake by hand, greets with "hello\n" and
// then echoes every line as "echo: LINE\n" until the connection closes. (The
// frames are not WebSocket frames: the gateway tunnels bytes, whatever they are.)
func wsUpstream(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		http.Error(w, "not a websocket handshake", http.StatusBadRequest)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = io.WriteString(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Accept: "+wsAccept(r.Header.Get("Sec-WebSocket-Key"))+"\r\n\r\nhello\n")
	if brw.Flush() != nil {
		return
	}
	for {
		line, err := brw.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := io.WriteString(brw, "echo: "+line); err != nil || brw.Flush() != nil {
			return
		}
	}
}

// wsDial performs the client side of the handshake on a raw connection.
func wsDial(t *testing.T, addr, path string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: chat.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: "+wsKey+"\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, &http.Request{Method: "GET"})
	if err != nil {
		t.Fatal(err)
	}
	return c, br, res
}

func wsGateway(t *testing.T, timeout time.Duration) (*harness, *upstream) {
	t.Helper()
	up := newUpstream(t, "ws", wsUpstream)
	h := newHarness(t, Config{
		Routes: []Route{
			{Name: "ws", Path: "/ws", WebSocket: true, Service: "svc"},
			{Name: "plain", Path: "/plain", Service: "svc"},
		},
		Policies: map[string]policies.Policy{"svc": policy(timeout, timeout, policies.Balancer{})},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	return h, up
}

// A WebSocket upgrade on a route that opts in is proxied, and
// bytes flow both ways for longer than the route's timeout.
func TestWebSocketTunnel(t *testing.T) {
	t.Parallel()
	h, up := wsGateway(t, 300*time.Millisecond)

	c, br, res := wsDial(t, h.addr(), "/ws/room")
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake status = %d, want 101", res.StatusCode)
	}
	if got := res.Header.Get("Sec-WebSocket-Accept"); got != wsAccept(wsKey) {
		t.Errorf("Sec-WebSocket-Accept = %q, want %q", got, wsAccept(wsKey))
	}
	mustHeader(t, res.Header, "Upgrade", "websocket")
	seenByUp := up.Last(t)
	mustHeader(t, seenByUp.Header, "Upgrade", "websocket")
	mustHeader(t, seenByUp.Header, "Sec-Websocket-Key", wsKey)

	if line, err := br.ReadString('\n'); err != nil || line != "hello\n" {
		t.Fatalf("upstream → client: %q, %v", line, err)
	}
	for i, msg := range []string{"ping", "after the timeout"} {
		if i == 1 {
			time.Sleep(400 * time.Millisecond) // past the route's 300 ms timeout
		}
		if _, err := io.WriteString(c, msg+"\n"); err != nil {
			t.Fatal(err)
		}
		if line, err := br.ReadString('\n'); err != nil || line != "echo: "+msg+"\n" {
			t.Fatalf("client → upstream → client: %q, %v", line, err)
		}
	}
	eventually(t, "the tunnel to be counted in flight", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": "ws"})
		return v == 1
	})
	c.Close()
	eventually(t, "the closed tunnel to be counted as a 101", func() bool {
		v, _ := metricValue(t, h.reg, "bulwark_requests_total", map[string]string{"route": "ws", "code": "101"})
		return v == 1
	})
	if v, _ := metricValue(t, h.reg, "bulwark_requests_in_flight", map[string]string{"route": "ws"}); v != 0 {
		t.Errorf("in flight after the tunnel closed = %v, want 0", v)
	}
}

// WebSocket upgrades only where a route opts in.
func TestWebSocketRefusedOnOtherRoutes(t *testing.T) {
	t.Parallel()
	h, up := wsGateway(t, 5*time.Second)
	_, br, res := wsDial(t, h.addr(), "/plain")
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d, want 400", res.StatusCode)
	}
	body, _ := io.ReadAll(io.LimitReader(br, int64(max(res.ContentLength, 0))))
	p := problemOf(t, res, body)
	if !strings.Contains(p.Detail, "WebSocket") {
		t.Errorf("detail = %q, want it to name WebSocket", p.Detail)
	}
	if n := up.Count(); n != 0 {
		t.Errorf("the upstream received %d requests, want 0", n)
	}
}

// An h2c upgrade is never forwarded (go#80416); the request
// goes upstream as plain HTTP/1.1 without Upgrade, Connection or HTTP2-Settings.
func TestH2CUpgradeIsNotForwarded(t *testing.T) {
	t.Parallel()
	h, up := wsGateway(t, 5*time.Second)
	for _, path := range []string{"/plain/h2c", "/ws/h2c"} {
		res, body := rawExchange(t, h.addr(), "GET "+path+" HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"+
			"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
		// wsUpstream answers a plain request with 400 "not a websocket handshake":
		// that answer proves the request went upstream as plain HTTP/1.1.
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "not a websocket handshake") {
			t.Fatalf("GET %s = %d %q, want the upstream's plain answer", path, res.StatusCode, body)
		}
		got := up.ByPath(t, path).Header
		for _, name := range []string{"Upgrade", "Connection", "Http2-Settings"} {
			mustNoHeader(t, got, name)
		}
	}
}
