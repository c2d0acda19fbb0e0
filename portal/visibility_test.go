package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHiddenAddressesBecomeLabels checks the visibility step on its own: each
// known address, however it is written, becomes its label; an address that
// only starts or ends like a known one is left alone; the addresses Go's
// network errors name are hidden too; and text a viewer sends is said back
// the same whether or not it is an instance's address.
func TestHiddenAddressesBecomeLabels(t *testing.T) {
	p := &portal{opts: Options{Map: func() []MapService {
		return []MapService{{Name: "pets", Instances: []MapInstance{{Addr: "10.0.0.7:8080"}, {Addr: "[fd00::7]:80"}}},
			{Name: "orders", Instances: []MapInstance{{Addr: "orders-1.internal:9000"}}}}
	}}}
	h := p.hider()
	for _, tt := range []struct{ name, in, want string }{
		{"a bare address", `"instance": "10.0.0.7:8080"`, `"instance": "instance 1"`},
		{"an instance's URL in an error", `Get "http://10.0.0.7:8080/openapi.json": dial tcp 10.0.0.7:8080: connect: connection refused`,
			`Get "instance 1/openapi.json": dial tcp instance 1: connect: connection refused`},
		{"escaped for HTML", `Get &#34;http://orders-1.internal:9000/x&#34;`, `Get &#34;instance 1/x&#34;`},
		{"percent-encoded", `/services?i=10.0.0.7%3A8080`, `/services?i=instance 1`},
		{"IPv6", `from [fd00::7]:80 and [FD00::7]:80`, `from instance 2 and instance 2`},
		{"a longer address that starts the same", `10.0.0.7:80801 and 110.0.0.7:8080`, `10.0.0.7:80801 and 110.0.0.7:8080`},
		{"the address a host name resolved to", `dial tcp 192.0.2.1:9000: i/o timeout`, `dial tcp an address: i/o timeout`},
		{"both ends of a connection", `read tcp 127.0.0.1:51234->192.0.2.1:9000: read: connection reset`, `read tcp an address->an address: read: connection reset`},
		{"a resolver", `dial tcp: lookup orders-2.internal on 10.0.0.53:53: no such host`, `dial tcp: lookup orders-2.internal on an address: no such host`},
		{"a URL in an escaped error", `"error": "Get \"http://192.0.2.9:81/openapi.json\": EOF"`, `"error": "Get \"http://an address/openapi.json\": EOF"`},
		{"an example address in a document", `"example": "192.0.2.1:9000"`, `"example": "192.0.2.1:9000"`},
	} {
		if got := string(h.apply([]byte(tt.in))); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	known, unknown := p.echo("10.0.0.7:8080"), p.echo("10.9.9.9:8080")
	if known != unknown || strings.Contains(known, "10.") {
		t.Errorf("a search for an instance's address says back %q, for another %q", known, unknown)
	}
}

// TestARedirectDoesNotSayBackAnAddress: ServeMux answers a path with "//" by
// a redirect naming the path; through the visibility step it would come back
// labelled when it names an instance, so it is refused whatever it names.
func TestARedirectDoesNotSayBackAnAddress(t *testing.T) {
	srv := siteWith(t, func(o *Options) {})
	for _, path := range []string{"/portal/services//127.0.0.1:4101", "/portal/services//127.0.0.1:4999"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
			t.Errorf("GET %s: %d, Location %q", path, res.StatusCode, res.Header.Get("Location"))
		}
	}
	rec := httptest.NewRecorder()
	Handler(Options{Path: "/portal"}).ServeHTTP(rec, httptest.NewRequest("GET", "/portal", nil))
	if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/portal/" {
		t.Errorf("GET /portal: %d to %q, want the portal's own redirect", rec.Code, rec.Header().Get("Location"))
	}
}
