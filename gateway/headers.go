package gateway

import (
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// isTrusted reports whether the peer is a configured trusted proxy, whose
// X-Forwarded-* headers are kept; anyone else's are replaced, so a client
// cannot spoof its address. Nobody is trusted by default.
func isTrusted(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// setForwarded removes the headers an upstream could mistake for the gateway's
// (removeUntrusted), then sets X-Forwarded-For/Host/Proto (as
// httputil.ProxyRequest.SetXForwarded does), X-Forwarded-Prefix and
// X-Real-Ip. From an untrusted peer the inbound values are discarded; from a
// trusted one, X-Forwarded-For is extended and Host/Proto/Prefix are kept.
//
// The values share one backing array (outValues): Header.Set allocates a
// slice per header, and these are set on every proxied request.
func setForwarded(pr *httputil.ProxyRequest, ex *exchange, vals *outValues) {
	in, out := pr.In.Header, pr.Out.Header
	removeUntrusted(out, ex.trusted)
	var prior []string
	if ex.trusted {
		prior = in.Values("X-Forwarded-For")
	}
	if peer, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
		if len(prior) > 0 {
			peer = strings.Join(prior, ", ") + ", " + peer
		}
		vals.set(out, "X-Forwarded-For", peer)
	} else {
		delete(out, "X-Forwarded-For")
	}
	proto, host, prefix := forwardedView(pr.In, ex)
	vals.set(out, "X-Forwarded-Host", host)
	vals.set(out, "X-Forwarded-Proto", proto)
	if prefix != "" {
		vals.set(out, "X-Forwarded-Prefix", prefix)
	} else {
		delete(out, "X-Forwarded-Prefix") // ReverseProxy keeps it; an untrusted one must go
	}
	vals.set(out, "X-Real-Ip", clientIP(pr.In, ex.trusted))
}

// forwardedView is the scheme, host and base path the upstream is told the
// request came with (X-Forwarded-Proto, X-Forwarded-Host,
// X-Forwarded-Prefix): a trusted proxy's where it sent them, else the
// gateway's own; a route that strips its prefix adds it to the base. The
// upstream builds its answer for these, so the cache keys on them too.
func forwardedView(in *http.Request, ex *exchange) (proto, host, prefix string) {
	host, proto = in.Host, "http"
	if in.TLS != nil {
		proto = "https"
	}
	if ex.trusted {
		if v := in.Header.Get("X-Forwarded-Host"); v != "" {
			host = v
		}
		if v := in.Header.Get("X-Forwarded-Proto"); v == "http" || v == "https" {
			proto = v
		}
		prefix = strings.TrimSuffix(in.Header.Get("X-Forwarded-Prefix"), "/")
	}
	if ex.route.StripPrefix {
		prefix += ex.route.Prefix
	}
	return proto, host, prefix
}

// outValues is one backing array for the single values the gateway sets on
// an outbound request. Each header gets a slice of it capped at its length,
// so a later Add to one header copies rather than writing into the next.
type outValues struct{ v []string }

// newOutValues has room for n values before set allocates again.
func newOutValues(n int) outValues { return outValues{v: make([]string, 0, n)} }

// set is Header.Set for a canonical key, without a slice of its own.
func (o *outValues) set(h http.Header, key, value string) {
	o.v = append(o.v, value)
	n := len(o.v)
	h[key] = o.v[n-1 : n : n]
}

// clientIP is the peer's address, or for a trusted peer the right-most address in
// X-Forwarded-For (the one its proxy appended; those further left are client-made).
func clientIP(r *http.Request, trusted bool) string {
	peer, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		peer = r.RemoteAddr
	}
	if !trusted {
		return peer
	}
	xff := r.Header.Values("X-Forwarded-For")
	if len(xff) == 0 {
		return peer
	}
	last := xff[len(xff)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	if ip, err := netip.ParseAddr(strings.TrimSpace(last)); err == nil {
		return ip.String()
	}
	return peer
}

// requestID keeps a well-formed inbound X-Request-Id (so a trace started upstream
// of the gateway continues) and creates one otherwise. Only short IDs of safe
// characters are kept: the ID goes into logs and headers verbatim.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	return newRequestID()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// newRequestID returns 32 random hex digits. The IDs correlate logs; they are not
// secrets, so the fast per-goroutine generator of math/rand/v2 suffices.
func newRequestID() string {
	var b [32]byte
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := 0; i < 16; i++ {
		b[i] = hexDigits[hi>>(60-4*i)&0xf]
		b[16+i] = hexDigits[lo>>(60-4*i)&0xf]
	}
	return string(b[:])
}

// serverTiming reports the gateway's own time and the upstream's time to first
// header, in milliseconds, so a client can tell where latency comes from.
func serverTiming(ex *exchange) string {
	upstream := ex.headers.Sub(ex.sentAt)
	gw := ex.headers.Sub(ex.start) - upstream
	var buf [64]byte // formatted on the stack: one allocation, for the result
	b := append(buf[:0], "gateway;dur="...)
	b = appendMillis(b, gw)
	b = append(b, ", upstream;dur="...)
	b = appendMillis(b, upstream)
	return string(b)
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'f', 3, 64)
}

// hopHeaders are the hop-by-hop headers ReverseProxy removes (RFC 9110 §7.6.1).
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// removeHopByHop deletes the hop-by-hop headers and every header named in
// Connection, as ReverseProxy does for final responses.
func removeHopByHop(h http.Header) {
	for _, f := range h["Connection"] {
		for name := range strings.SplitSeq(f, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for _, name := range hopHeaders {
		h.Del(name)
	}
}

// spoofable are request headers that servers and frameworks behind a proxy
// commonly read as set by that proxy: the client's address, the original URL or
// host, the scheme and port, or a method override that would bypass a route's
// method rules. From a client that is not a trusted proxy they are removed;
// the gateway sets its own X-Forwarded-* and X-Real-Ip after that.
var spoofable = map[string]bool{
	"Forwarded": true, "X-Forwarded-Port": true, "X-Forwarded-Server": true,
	"X-Forwarded-Ssl": true, "X-Forwarded-Scheme": true, "X-Forwarded-Uri": true,
	"X-Forwarded-Path": true, "X-Original-Url": true, "X-Rewrite-Url": true,
	"X-Original-Uri": true, "X-Original-Host": true, "X-Original-Forwarded-For": true,
	"X-Host": true, "True-Client-Ip": true, "X-Client-Ip": true, "Client-Ip": true,
	"X-Cluster-Client-Ip": true, "Cf-Connecting-Ip": true, "Fastly-Client-Ip": true,
	"X-Proxyuser-Ip": true, "X-Envoy-External-Address": true,
	"X-Http-Method-Override": true, "X-Http-Method": true, "X-Method-Override": true,
}

// removeUntrusted deletes, in one pass over the outbound headers: names with an
// underscore (nginx drops them by default, since CGI-style servers read
// X_Forwarded_For as X-Forwarded-For), "Proxy" and every "Proxy-*" name
// (httpoxy: CGI maps Proxy to HTTP_PROXY; the rest are for proxies, not
// origins), and, unless the peer is a trusted proxy, the spoofable headers.
func removeUntrusted(h http.Header, trusted bool) {
	for name := range h {
		switch {
		case strings.IndexByte(name, '_') >= 0,
			name == "Proxy", strings.HasPrefix(name, "Proxy-"),
			!trusted && spoofable[name]:
			delete(h, name)
		}
	}
}
