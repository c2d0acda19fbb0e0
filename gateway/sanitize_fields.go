package gateway

import (
	"net/http"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// The request-line and header rules. A request the gateway could not forward
// as it is must be refused here, before routing: once it reaches the upstream
// client, net/http.Transport refuses it with an error that looks like an
// upstream failure (a 502 counted by the breaker), so a stranger could open a
// service's breaker for everyone. net/http's HTTP/1 server already refuses
// most of these; its HTTP/2 server does not check the method, so every rule
// is applied on every protocol. The rules are those Transport.RoundTrip and
// Request.Write apply to the outbound request.

// checkFields returns why the request line or headers must be refused, or "".
func checkFields(r *http.Request) string {
	// A method is a token, as a field name is.
	if r.Method == "" || !httpguts.ValidHeaderFieldName(r.Method) {
		return "the method is not a valid token"
	}
	if r.Host != "" && !httpguts.ValidHostHeader(r.Host) {
		return "the Host (or :authority) is not a valid host"
	}
	// HTTP/2 and 3 carry the host twice, in :authority and maybe a Host field;
	// routing reads r.Host (:authority), so two different values could route
	// one way and be read another (RFC 9113 §8.3.1: treat as malformed).
	if hosts := r.Header["Host"]; r.ProtoMajor > 1 && len(hosts) > 0 &&
		(len(hosts) > 1 || !strings.EqualFold(hosts[0], r.Host)) {
		return "the Host header differs from :authority"
	}
	if reason := checkTarget(r.RequestURI); reason != "" {
		return "the request target " + reason
	}
	if reason := checkTarget(r.URL.RawQuery); reason != "" {
		return "the query " + reason
	}
	if reason := checkHeaderFields(r.Header); reason != "" {
		return reason
	}
	for name := range r.Trailer { // declared trailers become outbound header fields
		if !httpguts.ValidHeaderFieldName(name) {
			return "a declared trailer name is not a valid token"
		}
	}
	return checkHTTP10Framing(r)
}

// checkHeaderFields refuses header names and values the upstream client would
// refuse.
func checkHeaderFields(h http.Header) string {
	for name, values := range h {
		if !httpguts.ValidHeaderFieldName(name) {
			return "a header name is not a valid token"
		}
		for _, v := range values {
			if !httpguts.ValidHeaderFieldValue(v) {
				return "the value of header " + name + " contains a control character"
			}
		}
	}
	return ""
}

// checkTarget refuses bytes that a request target may not hold and that would
// split or end the request line when the query is written upstream verbatim:
// HTTP/2 carries :path as a header value, where a space passes net/http, but
// HTTP/1 separates the request line with it.
func checkTarget(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return "contains a space or control character"
		}
	}
	return ""
}

// bodyMethods are the methods whose requests carry a body by definition.
var bodyMethods = map[string]bool{http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true}

// checkHTTP10Framing refuses an HTTP/1.0 request that announces a body without
// a Content-Length. net/http ignores (and deletes) Transfer-Encoding on
// HTTP/1.0 requests, reading such a body as empty and the bytes that follow
// as the next request; RFC 9112 §6.1 calls such framing faulty. HTTP/1.0
// requires Content-Length on requests with a body (RFC 1945 §7.2.2), so
// POST, PUT and PATCH without it are refused; for every other HTTP/1.0
// request the connection is closed after the response (see closeHTTP10),
// so bytes hidden after its head are never read as a request.
func checkHTTP10Framing(r *http.Request) string {
	if r.ProtoMajor != 1 || r.ProtoMinor != 0 {
		return ""
	}
	if bodyMethods[strings.ToUpper(r.Method)] && r.Header.Get("Content-Length") == "" {
		return "an HTTP/1.0 request with a body must have a Content-Length (Transfer-Encoding is not HTTP/1.0)"
	}
	return ""
}

// closeHTTP10 asks net/http to close an HTTP/1.0 connection after this
// response: its framing cannot be trusted to delimit a following request.
func closeHTTP10(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 && r.ProtoMinor == 0 {
		w.Header().Set("Connection", "close")
	}
}
