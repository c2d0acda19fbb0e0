package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"testing"
)

// errDialed marks a request net/http.Transport accepted: it got as far as
// dialing.
var errDialed = errors.New("the transport accepted the request and dialed")

// FuzzTransportAcceptsWhatTheGatewayAccepts is the differential proof of the
// field rules: a request built as net/http's HTTP/2 server builds one (any
// method, header and authority bytes the framing allows) that checkRequest
// accepts must be accepted by net/http.Transport and by Request.Write (the
// HTTP/1 fast path's writer) once the proxy has prepared it. A request the
// transport refuses fails as a 502 that the breaker counts, so every such
// request has to be refused by the gateway first.
func FuzzTransportAcceptsWhatTheGatewayAccepts(f *testing.F) {
	f.Add("GET", "/x", "shop.example.com", "X-A", "1")
	f.Add("GET /x", "/x", "shop.example.com", "X-A", "1")
	f.Add("GET", "/x?a b", "shop.example.com", "X-A", "1")
	f.Add("GET", "/x", "a b", "X-A", "1")
	f.Add("GET", "/x", "shop.example.com", "X A", "1")
	f.Add("GET", "/x", "shop.example.com", "X-A", "a\x00b")
	f.Add("GET", "/x", "shop.example.com", "X-A", "a\r\nb")
	f.Add("POST", "/x%01", "[::1]:80", "Content-Type", "text/plain")
	f.Add("G\u00c9T", "/\u00e9", "xn--e1a.example", "Trailer", "X-T")
	tr := &http.Transport{
		DialContext: func(context.Context, string, string) (net.Conn, error) { return nil, errDialed },
	}
	f.Fuzz(func(t *testing.T, method, target, authority, name, value string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // net/http's servers refuse it before any handler
		}
		r := &http.Request{
			Method: method, URL: u, RequestURI: target, Host: authority,
			Proto: "HTTP/2.0", ProtoMajor: 2, Header: http.Header{},
			Body: http.NoBody, RemoteAddr: "127.0.0.1:1",
		}
		r.Header[http.CanonicalHeaderKey(name)] = []string{value}
		if checkRequest(r) != nil {
			return
		}
		out := r.Clone(context.Background())
		out.RequestURI = ""
		out.URL.Scheme, out.URL.Host, out.Host = "http", "127.0.0.1:1", ""
		removeHopByHop(out.Header)
		removeUntrusted(out.Header, false)
		if _, err := tr.RoundTrip(out); !errors.Is(err, errDialed) {
			t.Fatalf("the gateway accepts %q %q Host %q %q: %q, net/http.Transport refuses it: %v",
				method, target, authority, name, value, err)
		}
		if err := out.Write(io.Discard); err != nil {
			t.Fatalf("the gateway accepts %q %q Host %q %q: %q, Request.Write refuses it: %v",
				method, target, authority, name, value, err)
		}
	})
}
