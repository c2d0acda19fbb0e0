package hal

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestInstanceLinksArePointedAtTheGateway(t *testing.T) {
	instances := []string{"http://127.0.0.1:9101", "http://127.0.0.1:9102/"}
	tests := []struct {
		name, href, to, prefix, want string
	}{
		{"an instance link gets the gateway base and the stripped prefix",
			"http://127.0.0.1:9101/books/1", "https://api.example.com", "/library", "https://api.example.com/library/books/1"},
		{"every instance of the service is rewritten",
			"http://127.0.0.1:9102/books/1", "https://api.example.com", "/library", "https://api.example.com/library/books/1"},
		{"a route that forwards the whole path adds no prefix",
			"http://127.0.0.1:9101/pets/1", "https://api.example.com", "", "https://api.example.com/pets/1"},
		{"the prefix may be folded into the base instead",
			"http://127.0.0.1:9101/books/1", "https://api.example.com/library/", "", "https://api.example.com/library/books/1"},
		{"slashes around the prefix do not double",
			"http://127.0.0.1:9101/books", "https://api.example.com/", "/library/", "https://api.example.com/library/books"},
		{"a query and a fragment are kept",
			"http://127.0.0.1:9101/books?page=2&q=a#top", "https://gw", "/library", "https://gw/library/books?page=2&q=a#top"},
		{"a bare origin becomes the route's root",
			"http://127.0.0.1:9101", "https://gw", "/library", "https://gw/library/"},
		{"a query straight after the origin gets a root path",
			"http://127.0.0.1:9101?x=1", "https://gw", "/library", "https://gw/library/?x=1"},
		{"a template keeps its expressions",
			"http://127.0.0.1:9101/books{?q,page}", "https://gw", "/library", "https://gw/library/books{?q,page}"},
		{"a template straight after the origin keeps its expression",
			"http://127.0.0.1:9101{/id}", "https://gw", "/library", "https://gw/library{/id}"},
		{"scheme and host compare without case, and the default port is no port",
			"HTTP://LOCALHOST/x", "https://gw", "/l", "https://gw/l/x"},
		{"an explicit default port matches an origin without one",
			"http://localhost:80/x", "https://gw", "/l", "https://gw/l/x"},
		{"userinfo is dropped along with the instance origin",
			"http://user:pw@127.0.0.1:9101/x", "https://gw", "", "https://gw/x"},
		{"a network-path link to an instance is rewritten",
			"//127.0.0.1:9101/books", "https://gw", "/library", "https://gw/library/books"},
		{"a path base gives links relative to the gateway",
			"http://127.0.0.1:9101/books", "", "/library", "/library/books"},
		{"another host is left alone",
			"https://chatty42.herokuapp.com/api/users", "https://gw", "/library", "https://chatty42.herokuapp.com/api/users"},
		{"the same host on another port is left alone",
			"http://127.0.0.1:9999/books", "https://gw", "/library", "http://127.0.0.1:9999/books"},
		{"the same host and port over https is another origin",
			"https://127.0.0.1:9101/books", "https://gw", "/library", "https://127.0.0.1:9101/books"},
		{"a host that merely starts with the instance's is left alone",
			"http://127.0.0.1:91010/books", "https://gw", "/library", "http://127.0.0.1:91010/books"},
		{"an instance address in userinfo does not make the link the instance's",
			"http://127.0.0.1:9101@evil.example/x", "https://gw", "/library", "http://127.0.0.1:9101@evil.example/x"},
		{"a root-relative link is left alone",
			"/books/1", "https://gw", "/library", "/books/1"},
		{"a relative link is left alone",
			"books/1", "https://gw", "/library", "books/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Document{Links: map[string][]Link{"x": {{Href: tt.href}}}}
			n := RewriteOrigins(d, append([]string{"http://localhost"}, instances...), tt.to, tt.prefix)
			got := d.Links["x"][0].Href
			if got != tt.want {
				t.Errorf("href = %q, want %q", got, tt.want)
			}
			if wantN := boolInt(got != tt.href); n != wantN {
				t.Errorf("RewriteOrigins = %d, want %d", n, wantN)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestRewritingReachesEveryURLOfTheDocument(t *testing.T) {
	const in = "http://10.0.0.7:8080"
	doc := strings.ReplaceAll(`{
	  "_links": {"self": {"href": "IN/orders", "profile": "IN/profiles/orders", "deprecation": "IN/deprecations/1"},
	             "curies": [{"name": "ex", "href": "IN/rels/{rel}", "templated": true}],
	             "ex:find": {"href": "IN/orders{?status}", "templated": true},
	             "about": {"href": "https://example.org/about"}},
	  "_embedded": {"ex:orders": [{"_links": {"self": {"href": "IN/orders/1"}},
	                               "_embedded": {"ex:lines": {"_links": {"self": {"href": "IN/orders/1/lines/1"}}}}}]},
	  "_templates": {"default": {"method": "POST", "target": "IN/orders",
	    "properties": [{"name": "status", "options": {"link": {"href": "IN/statuses"}}}]}}
	}`, "IN", in)
	d := mustParse(t, doc)
	if n := RewriteOrigins(d, []string{in}, "https://shop.example.com", "/orders-api"); n != 9 {
		t.Errorf("rewrote %d URLs, want 9", n)
	}
	out, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), in) {
		t.Errorf("the instance address is still in the document: %s", out)
	}
	if u, ok := d.Embedded["ex:orders"][0].ResolveRel("ex:lines"); !ok || u != "https://shop.example.com/orders-api/rels/lines" {
		t.Errorf("the rewritten CURIE resolves to %q, %v", u, ok)
	}
	if l, _ := d.Link("about"); l.Href != "https://example.org/about" {
		t.Errorf("another host's link changed to %q", l.Href)
	}
	if again := RewriteOrigins(d, []string{in}, "https://shop.example.com", "/orders-api"); again != 0 {
		t.Errorf("a second rewrite changed %d URLs, want 0 (rewriting must be idempotent)", again)
	}
	out2, _ := d.Encode()
	if string(out2) != string(out) {
		t.Errorf("a second rewrite changed the document:\n%s\n%s", out, out2)
	}
}

func TestRewriterRefusesArgumentsThatWouldMisroute(t *testing.T) {
	tests := []struct {
		name string
		r    Rewriter
		want string // "" for valid
	}{
		{"an origin and a gateway URL are valid", Rewriter{From: []string{"http://127.0.0.1:9101"}, To: "https://gw.example.com/base", StripPrefix: "/library"}, ""},
		{"a path base is valid", Rewriter{From: []string{"http://[::1]:9101/"}, To: "/"}, ""},
		{"an origin with a path is refused", Rewriter{From: []string{"http://127.0.0.1:9101/api"}, To: "https://gw"}, "instance origin"},
		{"an origin without a scheme is refused", Rewriter{From: []string{"127.0.0.1:9101"}, To: "https://gw"}, "instance origin"},
		{"a gateway base with another scheme is refused", Rewriter{From: []string{"http://a"}, To: "javascript:alert(1)"}, "gateway base"},
		{"a protocol-relative gateway base is refused", Rewriter{From: []string{"http://a"}, To: "//evil.example"}, "gateway base"},
		{"a gateway base with a query is refused", Rewriter{From: []string{"http://a"}, To: "https://gw/?x=1"}, "gateway base"},
		{"a gateway base that is an instance is refused", Rewriter{From: []string{"http://gw:80"}, To: "http://GW/base"}, "is one of the instance origins"},
		{"a strip prefix without a leading slash is refused", Rewriter{From: []string{"http://a"}, To: "https://gw", StripPrefix: "library"}, "strip prefix"},
		{"a strip prefix starting with // is refused", Rewriter{From: []string{"http://a"}, To: "", StripPrefix: "//evil.example"}, "strip prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Validate()
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Validate = %v, want %q", err, tt.want)
			}
			if tt.want != "" {
				d := &Document{Links: map[string][]Link{"self": {{Href: "http://a/x"}}}}
				if n := tt.r.Rewrite(d); n != 0 || d.Links["self"][0].Href != "http://a/x" {
					t.Errorf("an invalid Rewriter rewrote %d links", n)
				}
			}
		})
	}
}

func TestRewritingANilDocumentDoesNothing(t *testing.T) {
	if n := RewriteOrigins(nil, []string{"http://a"}, "https://gw", ""); n != 0 {
		t.Errorf("RewriteOrigins(nil) = %d", n)
	}
	var d Document
	if n := RewriteOrigins(&d, []string{"http://a"}, "https://gw", ""); n != 0 {
		t.Errorf("RewriteOrigins(empty) = %d", n)
	}
	if out, err := json.Marshal(&d); err != nil || string(out) != "{}" {
		t.Errorf("an empty document encodes to %s, %v", out, err)
	}
}
