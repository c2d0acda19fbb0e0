package gateway

import (
	"net/http"
	"testing"
)

// Headers that servers behind a proxy read as the proxy's own: a client that is
// not a trusted proxy cannot make the upstream believe them, whatever the
// spelling or protocol. Underscore names and Proxy-* never pass.
func TestHeadersAnUpstreamWouldTrustAreRemovedUnlessTheClientIsTrusted(t *testing.T) {
	t.Parallel()
	always := [][2]string{
		{"x_forwarded_for", "6.6.6.6"}, {"x_real_ip", "6.6.6.6"}, {"x-forwarded_host", "evil"},
		{"proxy", "http://6.6.6.6:3128"}, {"proxy-foo", "1"}, {"proxy-authorization", "Basic eA=="},
		{"forwarded", "for=6.6.6.6;proto=https"}, // ReverseProxy's Rewrite drops it too
	}
	untrusted := [][2]string{
		{"x-original-url", "/admin"}, {"x-rewrite-url", "/admin"}, {"true-client-ip", "6.6.6.6"},
		{"x-forwarded-port", "443"}, {"x-client-ip", "6.6.6.6"},
		{"x-http-method-override", "DELETE"}, {"x-original-host", "admin.internal"},
		{"cf-connecting-ip", "6.6.6.6"},
	}
	for _, trusted := range []bool{false, true} {
		h, up := headerGateway(t, trusted)
		h2 := serveH2C(t, h)
		send := func(proto string, fields [][2]string) {
			t.Helper()
			if proto == "HTTP/2" {
				if got := rawH2(t, h2, h2Get("GET", "/hdr", fields...)); got.status != http.StatusOK {
					t.Fatalf("HTTP/2: status %d %q", got.status, got.body)
				}
				return
			}
			raw := "GET /hdr HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n"
			for _, f := range fields {
				raw += f[0] + ": " + f[1] + "\r\n"
			}
			if res, body := rawExchange(t, h.addr(), raw+"\r\n"); res.StatusCode != http.StatusOK {
				t.Fatalf("HTTP/1.1: status %d %q", res.StatusCode, body)
			}
		}
		for _, proto := range []string{"HTTP/1.1", "HTTP/2"} {
			send(proto, append(append([][2]string{}, always...), untrusted...))
			got := up.Last(t).Header
			for _, f := range always {
				if v, ok := got[http.CanonicalHeaderKey(f[0])]; ok {
					t.Errorf("trusted=%v %s: %s reached the upstream: %q", trusted, proto, f[0], v)
				}
			}
			for _, f := range untrusted {
				_, ok := got[http.CanonicalHeaderKey(f[0])]
				if ok != trusted {
					t.Errorf("trusted=%v %s: %s reached the upstream = %v, want %v", trusted, proto, f[0], ok, trusted)
				}
			}
			if xff := got.Get("X-Forwarded-For"); xff != "127.0.0.1" {
				t.Errorf("trusted=%v %s: X-Forwarded-For = %q, want the peer alone", trusted, proto, xff)
			}
		}
	}
}
