package gateway

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// headerGateway is a gateway with a catch-all route and a strip-prefix route to
// one recording upstream; trusted makes 127.0.0.0/8 a trusted proxy.
func headerGateway(t *testing.T, trusted bool) (*harness, *upstream) {
	t.Helper()
	up := newUpstream(t, "up", nil)
	cfg := Config{Routes: []Route{
		{Name: "all", Path: "/", Service: "svc"},
		{Name: "library", Path: "/library", StripPrefix: true, Service: "svc"},
	}}
	if trusted {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	return newHarness(t, cfg, snapshot(t, map[string][]string{"svc": {up.Addr()}})), up
}

// Hop-by-hop headers are removed from requests, and naming the
// gateway's own headers in Connection does not remove them.
func TestHopByHopRequestHeadersAreRemoved(t *testing.T) {
	t.Parallel()
	h, up := headerGateway(t, false)

	tests := []struct {
		name    string
		headers []string
		absent  []string
		present map[string]string
	}{
		{
			name:    "Connection and every header it names are removed",
			headers: []string{"Connection: X-Secret, X-Other-Secret", "X-Secret: 1", "X-Other-Secret: 2", "X-Public: 3"},
			absent:  []string{"Connection", "X-Secret", "X-Other-Secret"},
			present: map[string]string{"X-Public": "3"},
		},
		{
			name:    "an empty first Connection value does not hide the names after it",
			headers: []string{"Connection: , X-Secret", "X-Secret: 1"},
			absent:  []string{"Connection", "X-Secret"},
		},
		{
			name:    "a header named in a second Connection line is removed",
			headers: []string{"Connection: keep-alive", "Connection: X-Secret", "X-Secret: 1"},
			absent:  []string{"Connection", "X-Secret"},
		},
		{
			name:    "Keep-Alive is removed",
			headers: []string{"Keep-Alive: timeout=5"},
			absent:  []string{"Keep-Alive"},
		},
		{
			name:    "Proxy-Authorization and Proxy-Connection are removed",
			headers: []string{"Proxy-Authorization: Basic Zm9vOmJhcg==", "Proxy-Connection: keep-alive"},
			absent:  []string{"Proxy-Authorization", "Proxy-Connection"},
		},
		{
			name:    "TE other than trailers is removed",
			headers: []string{"TE: gzip"},
			absent:  []string{"Te"},
		},
		{
			name:    "TE: trailers is kept",
			headers: []string{"TE: trailers"},
			present: map[string]string{"Te": "trailers"},
		},
		{
			name:    "an Upgrade other than websocket is removed",
			headers: []string{"Connection: Upgrade", "Upgrade: foo/2"},
			absent:  []string{"Connection", "Upgrade"},
		},
		{
			name: "the gateway's own headers survive being named in Connection",
			headers: []string{
				"Connection: X-Forwarded-For, X-Request-Id, X-Real-Ip, X-Forwarded-Host, X-Forwarded-Proto",
				"X-Request-Id: kept-id-1",
			},
			absent: []string{"Connection"},
			present: map[string]string{
				"X-Forwarded-For": "127.0.0.1", "X-Request-Id": "kept-id-1", "X-Real-Ip": "127.0.0.1",
				"X-Forwarded-Host": "shop.example.com", "X-Forwarded-Proto": "http",
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := fmt.Sprintf("/hop/%d", i)
			res, _ := h.get(t, path, append([]string{"Host: shop.example.com"}, tt.headers...)...)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", res.StatusCode)
			}
			got := up.ByPath(t, path).Header
			for _, name := range tt.absent {
				mustNoHeader(t, got, name)
			}
			for name, want := range tt.present {
				mustHeader(t, got, name, want)
			}
		})
	}
}

// A header named in Connection is removed even on a stripped route, and the
// gateway's X-Forwarded-Prefix stays.
func TestForwardedPrefixSurvivesConnection(t *testing.T) {
	t.Parallel()
	h, up := headerGateway(t, false)
	h.get(t, "/library/book", "Connection: X-Forwarded-Prefix")
	mustHeader(t, up.ByPath(t, "/book").Header, "X-Forwarded-Prefix", "/library")
}

// Hop-by-hop headers are removed from responses too, 1xx responses included
// (go#81319).
func TestHopByHopResponseHeadersAreRemoved(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Link", "</style.css>; rel=preload")
		h.Set("Connection", "X-Hint-Secret")
		h.Set("X-Hint-Secret", "1")
		w.WriteHeader(http.StatusEarlyHints)
		clear(h)
		h.Set("Connection", "X-Resp-Secret")
		h.Set("X-Resp-Secret", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", `Basic realm="x"`)
		h.Set("Upgrade", "foo/2")
		h.Set("X-Resp-Public", "2")
		_, _ = io.WriteString(w, "ok")
	})
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))

	var (
		mu    sync.Mutex
		hints []http.Header
	)
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, hdr textproto.MIMEHeader) error {
		mu.Lock()
		defer mu.Unlock()
		if code == http.StatusEarlyHints {
			hints = append(hints, http.Header(hdr).Clone())
		}
		return nil
	}}
	req := newRequest(t, "GET", h.url("/"), nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	res, body := h.do(t, req)
	if res.StatusCode != http.StatusOK || string(body) != "ok" {
		t.Fatalf("got %d %q", res.StatusCode, body)
	}
	for _, name := range []string{"Connection", "X-Resp-Secret", "Keep-Alive", "Proxy-Authenticate", "Upgrade"} {
		mustNoHeader(t, res.Header, name)
	}
	mustHeader(t, res.Header, "X-Resp-Public", "2")

	mu.Lock()
	defer mu.Unlock()
	if len(hints) != 1 {
		t.Fatalf("the client received %d 103 responses, want 1", len(hints))
	}
	mustHeader(t, hints[0], "Link", "</style.css>; rel=preload")
	mustNoHeader(t, hints[0], "Connection")
	mustNoHeader(t, hints[0], "X-Hint-Secret")
}

// Spoofed forwarding headers are replaced for an untrusted peer
// and kept (X-Forwarded-For extended) for a trusted one.
func TestForwardingHeadersTrust(t *testing.T) {
	t.Parallel()
	spoofed := []string{
		"Host: shop.example.com",
		"X-Forwarded-For: 203.0.113.9",
		"X-Forwarded-Host: evil.example",
		"X-Forwarded-Proto: https",
		"X-Forwarded-Prefix: /evil",
		"Forwarded: for=203.0.113.9;host=evil.example;proto=https",
		"X-Real-Ip: 203.0.113.9",
	}
	tests := []struct {
		name    string
		trusted bool
		path    string
		extra   []string
		want    map[string]string // "" means absent
	}{
		{
			name: "an untrusted peer's forwarding headers are replaced", path: "/fwd/1",
			want: map[string]string{
				"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "shop.example.com", "X-Forwarded-Proto": "http",
				"X-Forwarded-Prefix": "", "Forwarded": "", "X-Real-Ip": "127.0.0.1",
			},
		},
		{
			name: "an untrusted peer's prefix is replaced by the stripped one", path: "/library/fwd/2",
			want: map[string]string{"X-Forwarded-Prefix": "/library", "X-Forwarded-For": "127.0.0.1"},
		},
		{
			name: "a trusted peer's forwarding headers are kept and X-Forwarded-For extended", trusted: true, path: "/fwd/3",
			want: map[string]string{
				"X-Forwarded-For": "203.0.113.9, 127.0.0.1", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https",
				"X-Forwarded-Prefix": "/evil", "X-Real-Ip": "203.0.113.9",
				// The gateway speaks X-Forwarded-*, not RFC 7239: Forwarded never goes upstream.
				"Forwarded": "",
			},
		},
		{
			name: "a trusted peer's prefix is extended by the stripped one", trusted: true, path: "/library/fwd/4",
			want: map[string]string{"X-Forwarded-Prefix": "/evil/library"},
		},
		{
			name: "the real IP behind a trusted peer is the right-most X-Forwarded-For entry", trusted: true, path: "/fwd/5",
			extra: []string{"X-Forwarded-For: 198.51.100.1, 198.51.100.2"},
			want: map[string]string{
				"X-Forwarded-For": "203.0.113.9, 198.51.100.1, 198.51.100.2, 127.0.0.1",
				"X-Real-Ip":       "198.51.100.2",
			},
		},
		{
			name: "a trusted peer's unknown X-Forwarded-Proto is not kept", trusted: true, path: "/fwd/6",
			extra: []string{"X-Forwarded-Proto: gopher"}, // Get returns the first value: https
			want:  map[string]string{"X-Forwarded-Proto": "https"},
		},
	}
	gateways := map[bool]*harness{}
	upstreams := map[bool]*upstream{}
	for _, trusted := range []bool{false, true} {
		gateways[trusted], upstreams[trusted] = headerGateway(t, trusted)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, up := gateways[tt.trusted], upstreams[tt.trusted]
			res, _ := h.get(t, tt.path, append(append([]string{}, spoofed...), tt.extra...)...)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", res.StatusCode)
			}
			path := strings.TrimPrefix(tt.path, "/library")
			got := up.ByPath(t, path).Header
			for name, want := range tt.want {
				if want == "" {
					mustNoHeader(t, got, name)
				} else {
					mustHeader(t, got, name, want)
				}
			}
		})
	}

	t.Run("a trusted peer's unknown X-Forwarded-Proto alone is replaced", func(t *testing.T) {
		t.Parallel()
		h, up := gateways[true], upstreams[true]
		h.get(t, "/fwd/7", "X-Forwarded-Proto: gopher")
		mustHeader(t, up.ByPath(t, "/fwd/7").Header, "X-Forwarded-Proto", "http")
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	h, up := headerGateway(t, false)
	tests := []struct {
		name     string
		inbound  []string
		want     string // "" means a new 32-hex ID
		wantKept bool
	}{
		{name: "a valid inbound ID is kept", inbound: []string{"X-Request-Id: abc-123_x.y:Z"}, want: "abc-123_x.y:Z"},
		{name: "a missing ID is generated"},
		{name: "an ID with an unsafe character is replaced", inbound: []string{"X-Request-Id: abc<script>"}},
		{name: "an ID with a space is replaced", inbound: []string{"X-Request-Id: abc def"}},
		{name: "an ID longer than 128 bytes is replaced", inbound: []string{"X-Request-Id: " + strings.Repeat("a", 129)}},
		{name: "an ID of exactly 128 bytes is kept", inbound: []string{"X-Request-Id: " + strings.Repeat("b", 128)}, want: strings.Repeat("b", 128)},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := fmt.Sprintf("/rid/%d", i)
			res, _ := h.get(t, path, tt.inbound...)
			sent := up.ByPath(t, path).Header.Values("X-Request-Id")
			returned := res.Header.Values("X-Request-Id")
			if len(sent) != 1 || len(returned) != 1 || sent[0] != returned[0] {
				t.Fatalf("upstream got X-Request-Id %q, client got %q; want one equal value", sent, returned)
			}
			if tt.want != "" {
				if sent[0] != tt.want {
					t.Errorf("X-Request-Id = %q, want %q", sent[0], tt.want)
				}
			} else if !hex32.MatchString(sent[0]) {
				t.Errorf("X-Request-Id = %q, want 32 hex digits", sent[0])
			}
		})
	}

	t.Run("generated IDs differ between requests", func(t *testing.T) {
		t.Parallel()
		a, _ := h.get(t, "/rid/a")
		b, _ := h.get(t, "/rid/b")
		if a.Header.Get("X-Request-Id") == b.Header.Get("X-Request-Id") {
			t.Errorf("two requests got the same ID %q", a.Header.Get("X-Request-Id"))
		}
	})
}

func TestProxiedRequestDetails(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Server-Timing", "db;dur=5")
		_, _ = io.WriteString(w, "ok")
	})
	h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))

	t.Run("Server-Timing reports the gateway and the upstream after the upstream's own entries", func(t *testing.T) {
		t.Parallel()
		res, _ := h.get(t, "/timing")
		got := res.Header.Values("Server-Timing")
		re := regexp.MustCompile(`^gateway;dur=\d+\.\d{3}, upstream;dur=\d+\.\d{3}$`)
		if len(got) != 2 || got[0] != "db;dur=5" || !re.MatchString(got[1]) {
			t.Errorf("Server-Timing = %q, want [db;dur=5, gateway;dur=N.NNN, upstream;dur=N.NNN]", got)
		}
	})

	t.Run("trace context passes through unchanged", func(t *testing.T) {
		t.Parallel()
		const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		h.get(t, "/trace", "traceparent: "+tp, "tracestate: congo=t61rcWkgMzE")
		got := up.ByPath(t, "/trace").Header
		mustHeader(t, got, "Traceparent", tp)
		mustHeader(t, got, "Tracestate", "congo=t61rcWkgMzE")
	})

	t.Run("the upstream Host header is the instance address", func(t *testing.T) {
		t.Parallel()
		h.get(t, "/host", "Host: shop.example.com")
		if got := up.ByPath(t, "/host").Host; got != up.Addr() {
			t.Errorf("upstream Host = %q, want the instance address %q", got, up.Addr())
		}
	})

	t.Run("method and body are forwarded", func(t *testing.T) {
		t.Parallel()
		h.do(t, newRequest(t, "PUT", h.url("/body"), strings.NewReader(`{"name":"rex"}`), "Content-Type: application/json"))
		got := up.ByPath(t, "/body")
		if got.Method != "PUT" || string(got.Body) != `{"name":"rex"}` || got.Header.Get("Content-Type") != "application/json" {
			t.Errorf("upstream got %s %q (%s)", got.Method, got.Body, got.Header.Get("Content-Type"))
		}
	})

	// The gateway makes no decision on the query, and forwards
	// a parseable one byte for byte; ReverseProxy drops parameters it cannot
	// parse (";"), so the upstream never acts on a parameter the gateway did not see.
	queries := []struct {
		name, raw, want string
	}{
		{"a raw query is forwarded byte-identical, order and escapes kept", "b=%20&a=1&a=2&c=%2f&d=&e&f=a+b", "b=%20&a=1&a=2&c=%2f&d=&e&f=a+b"},
		{"an encoded semicolon is forwarded as is", "a=1&b=%3B", "a=1&b=%3B"},
		{"a parameter with a raw semicolon is dropped, the rest forwarded", "a=1&a=2&b=%20;c", "a=1&a=2"},
	}
	for i, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			t.Parallel()
			path := fmt.Sprintf("/query/%d", i)
			res, _ := rawExchange(t, h.addr(), "GET "+path+"?"+q.raw+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status = %d", res.StatusCode)
			}
			if got := up.ByPath(t, path).RawQuery; got != q.want {
				t.Errorf("upstream raw query = %q, want %q", got, q.want)
			}
		})
	}

	t.Run("the path is forwarded as written, with its escapes", func(t *testing.T) {
		t.Parallel()
		res, _ := rawExchange(t, h.addr(), "GET /esc/a%20b/caf%C3%A9/x;y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d", res.StatusCode)
		}
		got := up.ByPath(t, "/esc/a b/café/x;y")
		if got.RawPath != "/esc/a%20b/caf%C3%A9/x;y" {
			t.Errorf("upstream path = %q, want /esc/a%%20b/caf%%C3%%A9/x;y", got.RawPath)
		}
	})
}
