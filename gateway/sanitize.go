package gateway

import (
	"net/http"
	"strings"
)

// checkRequest refuses requests whose meaning could differ between the gateway and
// an upstream (USERS.md attack cases 10, 12–15). The route decision is made on
// r.URL.Path, and the path sent upstream is that same path (minus a stripped
// prefix), so the checks make sure there is exactly one way to read it:
//   - encoded separators and controls (%2F %5C %00 %3B %3F %23) are refused, since
//     upstreams disagree on whether to decode them before routing;
//   - dot segments ("/a/../admin") and empty segments ("//admin") are refused
//     rather than cleaned, so no decision is taken on a different path than the
//     one the upstream will see;
//   - a backslash or NUL in the decoded path is refused (Windows-style separators).
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
	if reason := checkEscapes(r.URL.EscapedPath()); reason != "" {
		return &BadRequestError{Reason: reason}
	}
	if strings.ContainsAny(p, "\\\x00") {
		return &BadRequestError{Reason: "the path contains a backslash or NUL"}
	}
	if reason := checkSegments(p); reason != "" {
		return &BadRequestError{Reason: reason}
	}
	return nil
}

// forbiddenEscapes are percent-encodings of characters that change a path's
// structure when an upstream decodes them.
var forbiddenEscapes = [...]string{"2f", "5c", "00", "3b", "3f", "23"}

func checkEscapes(escaped string) string {
	for i := strings.IndexByte(escaped, '%'); i >= 0; {
		if i+2 < len(escaped) {
			code := strings.ToLower(escaped[i+1 : i+3])
			for _, f := range forbiddenEscapes {
				if code == f {
					return "the path contains an encoded separator or control character (%" + code + ")"
				}
			}
		}
		next := strings.IndexByte(escaped[i+1:], '%')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return ""
}

func checkSegments(p string) string {
	rest := p[1:]
	for {
		seg, tail, more := strings.Cut(rest, "/")
		switch {
		case seg == "." || seg == "..":
			return "the path contains a dot segment"
		case seg == "" && more:
			return "the path contains an empty segment (//)"
		}
		if !more {
			return ""
		}
		rest = tail
	}
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
