package gateway

import (
	"net/http"
	"strings"
)

// checkRequest refuses requests whose meaning could differ between the gateway and
// an upstream, or that the gateway could not forward as they are. The route
// decision is made on r.URL.Path, and the path sent upstream is that same path
// (minus a stripped prefix), so the path rules (sanitize_path.go) make sure
// there is exactly one way to read it; the field rules (sanitize_fields.go)
// refuse a method, host, header or framing the upstream client would refuse
// or another server would read differently. Both apply to every protocol.
//
// Framing attacks (CL.TE, bad chunking, obs-fold, bad Host) are rejected by
// net/http before a handler runs; tests guard that we never bypass it.
func checkRequest(r *http.Request) *BadRequestError {
	if r.Method == http.MethodConnect {
		return &BadRequestError{Reason: "CONNECT is not proxied: bulwark is not a forward proxy"}
	}
	p := r.URL.Path
	if p == "" || p[0] != '/' {
		return &BadRequestError{Reason: "the request target must be an absolute path"}
	}
	if reason := checkPath(r.URL.EscapedPath(), p); reason != "" {
		return &BadRequestError{Reason: reason}
	}
	if reason := checkFields(r); reason != "" {
		return &BadRequestError{Reason: reason}
	}
	return nil
}

// checkUpgrade allows protocol upgrades only where the route opts in, and only to
// WebSocket. Any other upgrade (h2c above all: forwarded by a proxy it lets a
// client speak HTTP/2 straight to the upstream, past routing, go#80416) is ignored
// as RFC 9110 §7.8 permits: the header is removed and the request proxied as plain
// HTTP/1.1, so `curl --http2 http://...` still works. A WebSocket upgrade on a route
// that does not allow it is refused, since ignoring it would fail the handshake
// with a confusing answer.
func checkUpgrade(r *http.Request, rt *route) *BadRequestError {
	up := r.Header.Get("Upgrade")
	if up == "" {
		return nil
	}
	if !strings.EqualFold(up, "websocket") {
		r.Header.Del("Upgrade")
		return nil
	}
	if !rt.WebSocket {
		return &BadRequestError{Reason: "this route does not allow WebSocket upgrades"}
	}
	return nil
}
