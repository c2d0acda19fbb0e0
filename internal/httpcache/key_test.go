package httpcache

import (
	"strings"
	"testing"
)

func TestKey(t *testing.T) {
	tests := []struct {
		name                              string
		method, scheme, host, path, query string
		want                              string
	}{
		{"HEAD shares GET's key (RFC 9111 §4.3.5)", "HEAD", "http", "example.com", "/a", "", "GET http://example.com/a"},
		{"host and scheme are case-insensitive (RFC 3986 §6.2.2.1)", "GET", "HTTPS", "Example.COM", "/a", "", "GET https://example.com/a"},
		{"the scheme's default port is dropped (§6.2.3)", "GET", "http", "example.com:80", "/a", "", "GET http://example.com/a"},
		{"another scheme's default port is kept", "GET", "http", "example.com:443", "/a", "", "GET http://example.com:443/a"},
		{"IPv6 literal keeps its brackets", "GET", "https", "[::1]:443", "/", "", "GET https://[::1]/"},
		{"escapes are kept as sent, even of unreserved characters", "GET", "http", "h", "/%7Euser/%41", "q=%2d", "GET http://h/%7Euser/%41?q=%2d"},
		{"escapes keep their case", "GET", "http", "h", "/a%2fb", "x=%c3%a9", "GET http://h/a%2fb?x=%c3%a9"},
		{"an empty path is '/'", "GET", "http", "h", "", "", "GET http://h/"},
		{"query order is kept", "GET", "http", "h", "/", "b=1&a=2", "GET http://h/?b=1&a=2"},
		{"a raw '?' in a path cannot forge a query", "GET", "http", "h", "/a?b", "", "GET http://h/a%%3Fb"},
		{"a '/' in a host cannot forge a path", "GET", "http", "h/x", "/a", "", "GET http://h%%2Fx/a"},
		{"other methods keep their own key", "POST", "http", "h", "/", "", "POST http://h/"},
		{"a stray '%' is not its escape", "GET", "http", "h", "/", "q=50%off", "GET http://h/?q=50%%25off"},
		{"an escape as sent stays one", "GET", "http", "h", "/", "q=50%25off", "GET http://h/?q=50%25off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Key(tt.method, tt.scheme, tt.host, tt.path, tt.query); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// refNormalise is an independent statement of what makes two requests the
// same resource: component by component, a valid %XX escape as sent, and a
// byte that may not appear raw as itself, never as an escape.
func refNormalise(method, scheme, host, path, query string) [5]string {
	if method == "HEAD" {
		method = "GET"
	}
	scheme = strings.ToLower(scheme)
	host = dropDefaultPort(scheme, strings.ToLower(host))
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return [5]string{method, scheme, refComponent(host, hostByte), refComponent(path, pathByte), refComponent(query, queryByte)}
}

func refComponent(s string, raw func(byte) bool) string {
	var out []string
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) {
			if _, ok := unhex(s[i+1]); ok {
				if _, ok := unhex(s[i+2]); ok {
					out = append(out, s[i:i+3])
					i += 2
					continue
				}
			}
		}
		if raw(c) {
			out = append(out, string(c))
		} else {
			out = append(out, "raw"+string(c))
		}
	}
	return strings.Join(out, "\x00")
}

func FuzzKey(f *testing.F) {
	f.Add("GET", "http", "example.com", "/a", "b=1", "HEAD", "HTTP", "EXAMPLE.com:80", "/%61", "b=1")
	f.Add("GET", "http", "h", "/a?b", "", "GET", "http", "h", "/a", "b")
	f.Add("GET", "http", "h/x", "/a", "", "GET", "http", "h", "/x/a", "")
	f.Add("GET", "https", "[::1]:443", "/%2f", "%", "GET", "https", "[::1]", "/%2F", "%25")
	f.Fuzz(func(t *testing.T, m1, s1, h1, p1, q1, m2, s2, h2, p2, q2 string) {
		k1, k2 := Key(m1, s1, h1, p1, q1), Key(m2, s2, h2, p2, q2)
		if k1 != Key(m1, s1, h1, p1, q1) {
			t.Fatal("Key is not deterministic")
		}
		// Methods and schemes are tokens in real requests; the key does not
		// escape them, so only compare keys where they contain no separators.
		for _, s := range []string{m1, s1, m2, s2} {
			if strings.ContainsAny(s, " :/?%") {
				return
			}
		}
		r1, r2 := refNormalise(m1, s1, h1, p1, q1), refNormalise(m2, s2, h2, p2, q2)
		if (k1 == k2) != (r1 == r2) {
			t.Fatalf("key equality %v but reference equality %v:\n%q\n%q", k1 == k2, r1 == r2, k1, k2)
		}
	})
}
