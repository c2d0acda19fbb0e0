package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Paths that some upstream reads as leaving their segment: "..;" is ".." to
// Tomcat, Jetty and Spring; "%252e" is "." to a server that decodes twice;
// overlong UTF-8 and Unicode full stops are dots to lenient decoders. Each is
// refused on HTTP/1.1 and HTTP/2 alike, and none reaches the upstream.
var readAsDotSegments = []struct{ name, target string }{
	{"dot-dot with an empty matrix parameter", "/a/..;/admin"},
	{"dot-dot with a matrix parameter", "/a/..;x=1/admin"},
	{"encoded dot-dot with a matrix parameter", "/a/%2e%2e;/admin"},
	{"half-encoded dot-dot with a matrix parameter", "/a/.%2E;jsessionid=1/admin"},
	{"dot with a matrix parameter", "/a/.;/admin"},
	{"dot-dot with a matrix parameter behind a stripped prefix", "/library/..;/admin"},
	{"dot-dot with a matrix parameter at the end", "/a/..;"},
	{"a segment empty once its matrix parameter is removed", "/a/;x/b"},
	{"a double-encoded dot-dot", "/a/%252e%252e/admin"},
	{"a triple-encoded dot-dot", "/a/%25252e%25252e/admin"},
	{"a double-encoded dot-dot with a matrix parameter", "/a/%252e%252e%253b/admin"},
	{"a double-encoded slash", "/a/b%252fc"},
	{"a double-encoded backslash", "/a/b%255cc"},
	{"three dots", "/a/.../admin"},
	{"dot-dot and a trailing space (Windows)", "/a/..%20/admin"},
	{"overlong UTF-8 dots", "/a/%c0%ae%c0%ae/admin"},
	{"fullwidth full stops", "/a/%ef%bc%8e%ef%bc%8e/admin"},
	{"a two dot leader", "/a/%e2%80%a5/admin"},
	{"a fullwidth solidus after dot-dot", "/a/..%ef%bc%8fadmin"},
	{"a fullwidth reverse solidus", "/a/b%ef%bc%bcc"},
	{"a thin space, an empty segment once normalised and trimmed", "/a/%e2%80%89/admin"},
	{"a fullwidth semicolon, an empty segment once normalised", "/a/%ef%bc%9bx/admin"},
	{"double-encoded fullwidth full stops", "/a/%25ef%25bc%258e%25ef%25bc%258e/admin"},
	{"double-encoded overlong UTF-8", "/a/%25c0%25ae%25c0%25ae/admin"},
	{"an en space, a space once normalised, as a whole segment", "/a/%e2%80%82/admin"},
	{"a no-break space, a space once normalised, as a whole segment", "/a/%c2%a0/admin"},
	{"dot-dot and an ideographic space", "/a/..%e3%80%80/admin"},
	{"a tab after dot-dot", "/a/..%09/admin"},
	{"a decoded control character", "/a/b%01c"},
}

// Paths with dots and semicolons that no reading resolves as a dot segment
// reach the upstream byte for byte.
var notDotSegments = []string{
	"/a/v1.2/x", "/a/a..b", "/a/.well-known/x", "/a/file.txt;v=1", "/a/100%25",
	"/a/..a", "/a/x;y=..", "/a/b;", "/a/%2e%2ex", "/a/caf%C3%A9", "/a/%E2%80%A6x", "/a/%ef%bc%a1",
}

func TestDotSegmentsInAnyReadingAreRefused(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	h2 := serveH2C(t, h)
	for _, tt := range readAsDotSegments {
		t.Run("HTTP/1.1 "+tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := rawExchange(t, h.addr(), rawGet(tt.target))
			if res.StatusCode != http.StatusBadRequest {
				t.Fatalf("GET %s = %d %q, want 400", tt.target, res.StatusCode, body)
			}
			if p := problemOf(t, res, body); p.Detail == "" {
				t.Errorf("the problem does not say why: %+v", p)
			}
		})
		t.Run("HTTP/2 "+tt.name, func(t *testing.T) {
			t.Parallel()
			if got := rawH2(t, h2, h2Get("GET", tt.target)); got.status != http.StatusBadRequest && !got.reset {
				t.Fatalf("GET %s over HTTP/2 = %d %q, want 400 or a reset", tt.target, got.status, got.body)
			}
		})
	}
	t.Cleanup(func() {
		if n := up.Count(); n != 0 {
			t.Errorf("the upstream received %d requests: %v", n, up.Requests())
		}
	})
}

func TestPathsWithHarmlessDotsAndSemicolonsPassUnchanged(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	for _, target := range notDotSegments {
		res, body := rawExchange(t, h.addr(), rawGet(target))
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200", target, res.StatusCode, body)
			continue
		}
		if got := up.Last(t).RequestURI; got != target {
			t.Errorf("GET %s reached the upstream as %q", target, got)
		}
	}
}

// A request the upstream client would refuse is the client's fault: a 400
// before routing on every protocol, never a 502 counted by the breaker. Over
// HTTP/2 a method with a space in it was once routed, failed in the
// transport, and five of them opened the breaker for everyone.
func TestUnforwardableRequestsAre400AndNeverCountAgainstTheUpstream(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	h2 := serveH2C(t, h)
	cases := []struct {
		name   string
		fields [][2]string
	}{
		{"a method with a space", h2Get("GET /x", "/x")},
		{"a method with a tab", h2Get("GE\tT", "/x")},
		{"a method with a colon", h2Get("GET:", "/x")},
		{"a method with a non-ASCII byte", h2Get("GÉT", "/x")},
		{"a header name with a space", h2Get("GET", "/x", [2]string{"x bad", "1"})},
		{"a header name with a colon", h2Get("GET", "/x", [2]string{"x:bad", "1"})},
		{"a header value with a NUL", h2Get("GET", "/x", [2]string{"x-bad", "a\x00b"})},
		{"a header value with a line feed", h2Get("GET", "/x", [2]string{"x-bad", "a\nb"})},
		{"a header value with a carriage return", h2Get("GET", "/x", [2]string{"x-bad", "a\rb"})},
		{"an authority with a space", [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "a b"}, {":path", "/x"}}},
		{"an authority with a slash", [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "a/b"}, {":path", "/x"}}},
		{"a Host field that differs from :authority", h2Get("GET", "/x", [2]string{"host", "admin.internal"})},
		{"two Host fields", h2Get("GET", "/x", [2]string{"host", "shop.example.com"}, [2]string{"host", "admin.internal"})},
		{"a path with a space in the query", h2Get("GET", "/x?a b")},
		{"a path with a space", h2Get("GET", "/x y")},
		{"a path that is not absolute", h2Get("GET", "x")},
		{"a path with a fragment", h2Get("GET", "/x#y")},
	}
	// Twice the breaker's threshold of each: any of them counted as an
	// upstream failure would open it.
	for range 2 {
		for _, tc := range cases {
			for range 6 {
				got := rawH2(t, h2, tc.fields)
				if got.status != http.StatusBadRequest && !got.reset {
					t.Fatalf("%s: status %d %q, want 400 or a reset", tc.name, got.status, got.body)
				}
			}
		}
	}
	if n := up.Count(); n != 0 {
		t.Errorf("the upstream received %d requests: %v", n, up.Requests())
	}
	if got := rawH2(t, h2, h2Get("GET", "/ok")); got.status != http.StatusOK {
		t.Fatalf("a good request after the bad ones = %d %q: the bad ones counted against the upstream", got.status, got.body)
	}
}

// HTTP/1.0 has no chunked encoding: net/http reads an HTTP/1.0 request's
// Transfer-Encoding body as empty and what follows as the next request. The
// gateway refuses such a request with a body, closes every HTTP/1.0
// connection after its response, and forwards nothing hidden in it.
func TestHTTP10TransferEncodingIsRefusedAndTheConnectionClosed(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: shop.example.com\r\n\r\n"
	cases := []struct {
		name       string
		raw        string
		wantStatus int
	}{
		{"POST with chunked", "POST /h10/post HTTP/1.0\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n" + "0\r\n\r\n" + smuggled, http.StatusBadRequest},
		{"PUT with chunked and a body", "PUT /h10/put HTTP/1.0\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n" + "5\r\nhello\r\n0\r\n\r\n" + smuggled, http.StatusBadRequest},
		{"GET with chunked", "GET /h10/get HTTP/1.0\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n" +
			"Transfer-Encoding: chunked\r\n\r\n" + smuggled, http.StatusOK},
		{"POST with chunked and a Content-Length", "POST /h10/cl HTTP/1.0\r\nHost: shop.example.com\r\nConnection: keep-alive\r\n" +
			"Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n" + smuggled, http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", h.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, tc.raw); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", res.StatusCode, tc.wantStatus)
			}
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Errorf("the connection stayed open or answered again: %q, %v", rest, err)
			}
		})
	}
	for _, r := range up.Requests() {
		if r.Path == "/smuggled" || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			t.Errorf("the upstream received a request hidden in an HTTP/1.0 body: %+v", r)
		}
	}
}

// Tomcat, Jetty and Spring drop matrix parameters before routing: a path that
// takes another of the gateway's routes once they are dropped is refused, so
// "/library;x/admin" cannot take the catch-all route past the /library route's
// rules while the upstream serves "/library/admin".
func TestMatrixParametersCannotChangeTheRoute(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	h2 := serveH2C(t, h)
	for _, target := range []string{"/library;x/admin", "/library;jsessionid=1", "/%6Cibrary;/x"} {
		if res, body := rawExchange(t, h.addr(), rawGet(target)); res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %d %q, want 400", target, res.StatusCode, body)
		}
		if got := rawH2(t, h2, h2Get("GET", target)); got.status != http.StatusBadRequest {
			t.Errorf("GET %s over HTTP/2 = %d %q, want 400", target, got.status, got.body)
		}
	}
	if n := up.Count(); n != 0 {
		t.Errorf("the upstream received %d requests: %v", n, up.Requests())
	}
	for _, target := range []string{"/m/a;b=c", "/library/a;b=c/d"} {
		if res, body := rawExchange(t, h.addr(), rawGet(target)); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200: its matrix parameters do not change the route", target, res.StatusCode, body)
		}
	}
}
