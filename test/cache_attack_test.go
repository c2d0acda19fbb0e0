package test

// Attacks on the HTTP cache. The property throughout: no client ever receives
// a response that was stored for another request it should not share, whatever
// the attacker sends first: unkeyed headers, other Hosts and request-target
// forms, path spellings, deceptive suffixes, credentials, oversized or partial
// responses. The origin reflects what it received (host, request target,
// suspicious headers, body), so a poisoned entry shows in the victim's body.
// Raw TCP is used wherever net/http would tidy the attack away.

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// victimHost is the Host every victim sends.
const victimHost = "victim.example"

// reflectedHeaders are the request headers a careless origin builds pages from.
var reflectedHeaders = []string{
	"X-Original-URL", "X-Rewrite-URL", "X-Forwarded-Scheme", "X-Forwarded-Port",
	"X-Host", "X-Forwarded-Server", "X-Forwarded-Prefix", "X-HTTP-Method-Override",
	"Cookie", "Authorization", "X-User",
}

// reflecting answers with originBody, every reflected header it received and
// its body, and the given header pairs.
func reflecting(header ...string) originScript {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		var extra []string
		for _, h := range reflectedHeaders {
			if v := r.Header.Values(h); len(v) > 0 {
				extra = append(extra, h+"="+strings.Join(v, ","))
			}
		}
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Add(header[i], header[i+1])
		}
		fmt.Fprintf(w, "%s | %s | body=%s", originBody(r, n), strings.Join(extra, " "), b)
	}
}

// bodyFields reads the URI and host of an originBody ("n=1 GET /x host=h ...").
func bodyFields(body string) (uri, host string) {
	f := strings.Fields(body)
	if len(f) >= 4 {
		uri = f[2]
		host = strings.TrimPrefix(f[3], "host=")
	}
	return uri, host
}

// rawGet is a raw HTTP/1.1 request line and headers (CRLF added), closing the connection.
func rawGet(target string, headers ...string) []byte {
	s := "GET " + target + " HTTP/1.1\r\n"
	for _, h := range headers {
		s += h + "\r\n"
	}
	return []byte(s + "Connection: close\r\n\r\n")
}

func cacheAttackGateway(t *testing.T, extra ...cacheService) (*proc, *cacheOrigin) {
	t.Helper()
	o := newCacheOrigin(t)
	services := append([]cacheService{{Name: "c", Policy: cacheOn(), Routes: []cacheRoute{{Path: "/"}}}}, extra...)
	return startServe(t, renderCacheConfig(o.Addr(), services...)), o
}

// TestCachePoisoningThroughUnkeyedInputs sends the attacker's request first,
// then the victim's plain GET for the same path on victimHost: the victim must
// get a page built for its own request (its host, its path, nothing of the
// attacker's), and a second victim request must be a hit on that page.
func TestCachePoisoningThroughUnkeyedInputs(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	hostH := "Host: " + victimHost
	tests := []struct {
		name   string
		attack func(dir string) []byte // a raw request for the folder's "r"
		// status, when set, is what the attacker must get (a refused request).
		status int
	}{
		{"X-Forwarded-Host from the client", func(d string) []byte { return rawGet(d+"r", hostH, "X-Forwarded-Host: evil.example") }, 0},
		{"X-Original-URL", func(d string) []byte { return rawGet(d+"r", hostH, "X-Original-URL: /evil") }, 0},
		{"X-Rewrite-URL", func(d string) []byte { return rawGet(d+"r", hostH, "X-Rewrite-URL: /evil") }, 0},
		{"X-Forwarded-Scheme and X-Forwarded-Port", func(d string) []byte {
			return rawGet(d+"r", hostH, "X-Forwarded-Scheme: evil", "X-Forwarded-Port: 6666evil")
		}, 0},
		{"X-Host", func(d string) []byte { return rawGet(d+"r", hostH, "X-Host: evil.example") }, 0},
		{"Forwarded: host=", func(d string) []byte { return rawGet(d+"r", hostH, "Forwarded: host=evil.example;proto=https") }, 0},
		{"X-HTTP-Method-Override", func(d string) []byte { return rawGet(d+"r", hostH, "X-HTTP-Method-Override: EVILPOST") }, 0},
		{"a GET with a body (fat GET)", func(d string) []byte {
			return []byte("GET " + d + "r HTTP/1.1\r\n" + hostH + "\r\nContent-Length: 4\r\nConnection: close\r\n\r\nevil")
		}, 0},
		{"another Host", func(d string) []byte { return rawGet(d+"r", "Host: evil.example") }, 0},
		{"the victim's host with another port", func(d string) []byte { return rawGet(d+"r", "Host: "+victimHost+":6666") }, 0},
		{"the victim's host with a trailing dot", func(d string) []byte { return rawGet(d+"r", "Host: "+victimHost+".") }, 0},
		{"absolute-form naming another host, with the victim's Host header", func(d string) []byte {
			return rawGet("http://evil.example"+d+"r", hostH)
		}, 0},
		{"absolute-form naming the victim's host, with another Host header", func(d string) []byte {
			return rawGet("http://"+victimHost+d+"r", "Host: evil.example")
		}, 0},
		{"two Host headers are refused with 400", func(d string) []byte {
			return rawGet(d+"r", hostH, "Host: evil.example")
		}, 400},
		{"a lower-case method is not the GET entry", func(d string) []byte {
			return []byte("get " + d + "r HTTP/1.1\r\n" + hostH + "\r\nConnection: close\r\n\r\n")
		}, 0},
		{"a duplicated query parameter", func(d string) []byte { return rawGet(d+"r?q=v&q=evil", hostH) }, 0},
		{"a query smuggled in an encoded question mark", func(d string) []byte { return rawGet(d+"r%3Fq=evil", hostH) }, 0},
	}
	for i, tt := range tests {
		dir := fmt.Sprintf("/poison/%d/", i+1)
		o.script(dir, reflecting("Cache-Control", "max-age=60"))
		t.Run(tt.name, func(t *testing.T) {
			before := o.count(dir)
			a := rawRequest(t, gw.ports.HTTP, tt.attack(dir))
			if tt.status != 0 {
				if a.Status != tt.status {
					t.Errorf("the attacker got %d, want %d", a.Status, tt.status)
				}
				if o.count(dir) != before {
					t.Errorf("the refused request reached the origin")
				}
			}
			target := dir + "r"
			if strings.Contains(tt.name, "query parameter") {
				target += "?q=v"
			}
			v := do(t, c, "GET", gw.url(target), nil, "Host", victimHost)
			uri, host := bodyFields(v.Body)
			if v.Status != 200 || strings.Contains(strings.ToLower(v.Body), "evil") || uri != target ||
				!strings.EqualFold(host, victimHost) || strings.Contains(v.Body, "6666") {
				t.Errorf("POISONED: the victim's GET %s (Host %s) got %d %q (Cache-Status %q); the attacker got %d %q",
					target, victimHost, v.Status, v.Body, v.Header.Values("Cache-Status"), a.Status, a.Body)
			}
			again := do(t, c, "GET", gw.url(target), nil, "Host", victimHost)
			if again.Body != v.Body || !isHit(again.Header) {
				t.Errorf("the victim's second GET was not a hit on its own page (Cache-Status %q): the test shows nothing", again.Header.Values("Cache-Status"))
			}
		})
	}
}

// TestCachePathConfusion stores what the origin answers for another spelling
// of a path first; the victim's canonical path must get the page the origin
// built for that canonical path.
func TestCachePathConfusion(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	spellings := []string{
		"{d}1;x", "{d}1;", "{d}%31", "{d}1%3bx", "{d}./1", "{d}x/../1", "{d}1/", "{d}1%2f", "{d}1%2F..%2F1",
		"/{d}1", "{d}/1", "{d}1?", "{d}1#frag", "{d}%2e/1", "{d}1%20", "{d}1.", "{d}1%00", "{d}..;/{n}/1",
	}
	for i, sp := range spellings {
		dir := fmt.Sprintf("/pc/%d/", i+1)
		o.script(dir, reflecting("Cache-Control", "max-age=60"))
		target := strings.NewReplacer("{d}", dir, "/{d}", "/"+dir, "{n}", strconv.Itoa(i+1)).Replace(sp)
		t.Run(target+" then "+dir+"1", func(t *testing.T) {
			a := rawRequest(t, gw.ports.HTTP, rawGet(target, "Host: "+victimHost))
			v := do(t, c, "GET", gw.url(dir+"1"), nil, "Host", victimHost)
			if uri, _ := bodyFields(v.Body); v.Status != 200 || uri != dir+"1" {
				t.Errorf("POISONED: GET %s1 got %d %q (Cache-Status %q), after the attacker's %s got %d %q",
					dir, v.Status, v.Body, v.Header.Values("Cache-Status"), target, a.Status, a.Body)
			}
		})
	}
}

// TestCacheWebCacheDeception: a victim with a session follows a link to its
// account page under a static-looking suffix; the attacker then asks for the
// same URL without a session and must not get the victim's page.
func TestCacheWebCacheDeception(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	suffixes := []string{"account/x.css", "account;x.css", "account/..;/x.css", "account%2Fx.css",
		"account/%2e%2e/x.css", "account/x.css?v=1", "account.css", "account/x.js"}
	policies := [][]string{
		nil,
		{"Cache-Control", "private"},
		{"Cache-Control", "no-store"},
		{"Cache-Control", "max-age=60", "Vary", "Cookie"},
		{"Cache-Control", "private, max-age=60", "Set-Cookie", "session=alice"},
	}
	i := 0
	for _, pol := range policies {
		for _, sfx := range suffixes {
			i++
			dir := fmt.Sprintf("/wcd/%d/", i)
			o.script(dir, func(w http.ResponseWriter, r *http.Request, n int) {
				if !strings.Contains(r.Header.Get("Cookie"), "u=") {
					http.Error(w, "sign in", http.StatusUnauthorized)
					return
				}
				reply(w, r, n, 200, pol...)
				fmt.Fprintf(w, " SECRET for %s", r.Header.Get("Cookie"))
			})
			url := dir + sfx
			t.Run(fmt.Sprintf("%s with %v", url, pol), func(t *testing.T) {
				v := rawRequest(t, gw.ports.HTTP, rawGet(url, "Host: "+victimHost, "Cookie: u=alice"))
				a := rawRequest(t, gw.ports.HTTP, rawGet(url, "Host: "+victimHost))
				if strings.Contains(a.Body, "alice") || a.Header.Get("Set-Cookie") != "" {
					t.Errorf("LEAK: the attacker got %d %q Set-Cookie %q (Cache-Status %q); the victim had %d",
						a.Status, a.Body, a.Header.Get("Set-Cookie"), a.Header.Values("Cache-Status"), v.Status)
				}
			})
		}
	}
}

// TestCacheCredentialsDoNotLeakBetweenClients: responses to Alice's
// credentials (cookies, Authorization, Set-Cookie) never reach Bob or an
// anonymous client, whatever the origin's caching headers allow.
func TestCacheCredentialsDoNotLeakBetweenClients(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	alice := map[string][]string{
		"cookie": {"Cookie", "u=alice"},
		"auth":   {"Authorization", "Bearer alice-token"},
		"user":   {"X-User", "alice"},
	}
	bob := map[string][]string{
		"cookie": {"Cookie", "u=bob"},
		"auth":   {"Authorization", "Bearer bob-token"},
		"user":   {"X-User", "bob"},
	}
	// setCookie answers with a Set-Cookie naming the X-User it was asked by.
	setCookie := func(cc string) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Set-Cookie", "session="+r.Header.Get("X-User")+"-secret")
			reflecting("Cache-Control", cc)(w, r, n)
		}
	}
	tests := []struct {
		name    string
		cred    string
		script  originScript
		private bool // the body is Alice's and may reach nobody else
	}{
		{"an Authorization response with max-age", "auth", reflecting("Cache-Control", "max-age=60"), true},
		{"an Authorization response with must-revalidate and Vary: Authorization", "auth", reflecting("Cache-Control", "max-age=60, must-revalidate", "Vary", "Authorization"), true},
		{"an Authorization response with public and Vary: Authorization", "auth", reflecting("Cache-Control", "public, max-age=60", "Vary", "Authorization"), true},
		{"an Authorization response with s-maxage and Vary: Authorization", "auth", reflecting("Cache-Control", "s-maxage=60", "Vary", "Authorization"), true},
		{"a cookie response with public and Vary: Cookie", "cookie", reflecting("Cache-Control", "public, max-age=60", "Vary", "Cookie"), true},
		{"a cookie response with Vary: cookie in lower case", "cookie", reflecting("Cache-Control", "max-age=60", "Vary", "cookie"), true},
		{"a cookie response with private", "cookie", reflecting("Cache-Control", "private, max-age=60"), true},
		{"a Set-Cookie response with max-age", "user", setCookie("max-age=60"), true},
		{"a Set-Cookie response with public (the body may be shared, the cookie not)", "user", setCookie("public, max-age=60"), false},
		{"a Set-Cookie response with s-maxage (the body may be shared, the cookie not)", "user", setCookie("s-maxage=60"), false},
		{"a Set-Cookie response with no-cache=\"Set-Cookie\"", "user", setCookie(`no-cache="Set-Cookie", max-age=60`), false},
	}
	for i, tt := range tests {
		dir := fmt.Sprintf("/cred/%d/", i+1)
		o.script(dir, tt.script)
		t.Run(tt.name, func(t *testing.T) {
			url := gw.url(dir + "r")
			a := do(t, c, "GET", url, nil, alice[tt.cred]...)
			if a.Status != 200 || !strings.Contains(a.Body+a.Header.Get("Set-Cookie"), "alice") {
				t.Fatalf("Alice got %d %q: the origin did not see her credentials", a.Status, a.Body)
			}
			for _, other := range []struct {
				who    string
				header []string
			}{{"Bob", bob[tt.cred]}, {"an anonymous client", nil}} {
				res := do(t, c, "GET", url, nil, other.header...)
				if sc := res.Header.Values("Set-Cookie"); strings.Contains(strings.Join(sc, ";"), "alice") {
					t.Errorf("LEAK: %s got Alice's Set-Cookie %q (Cache-Status %q)", other.who, sc, res.Header.Values("Cache-Status"))
				}
				if tt.private && strings.Contains(res.Body, "alice") {
					t.Errorf("LEAK: %s got Alice's page %q (Cache-Status %q)", other.who, res.Body, res.Header.Values("Cache-Status"))
				}
			}
		})
	}
}

// TestCacheOversizedResponses: bodies past max_entry_bytes stream through
// whole and are not kept; huge headers are delivered intact and still count
// against the byte budget; a response cut short is never stored.
func TestCacheOversizedResponses(t *testing.T) {
	gw, o := cacheAttackGateway(t, cacheService{
		Name: "tiny", Policy: cacheOn("max_bytes: 32KiB", "max_entry_bytes: 8KiB"), Routes: []cacheRoute{{Path: "/tiny"}},
	})
	c := longClient(t)
	big := strings.Repeat("0123456789abcdef", (2<<20)/16) // 2 MiB
	sum := sha256.Sum256([]byte(big))
	o.script("/huge/1/", func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Length", strconv.Itoa(len(big)))
		_, _ = io.WriteString(w, big)
	})
	o.script("/huge/2/", func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Cache-Control", "max-age=60")
		for i := 0; i < len(big); i += 64 << 10 { // chunked: no length known up front
			_, _ = io.WriteString(w, big[i:i+64<<10])
			w.(http.Flusher).Flush()
		}
	})
	for _, dir := range []string{"/huge/1/", "/huge/2/"} {
		t.Run("a 2 MiB body past max_entry_bytes arrives whole twice and is fetched twice: "+dir, func(t *testing.T) {
			for k := 1; k <= 2; k++ {
				res := do(t, c, "GET", gw.url(dir+"r"), nil)
				if res.Status != 200 || sha256.Sum256([]byte(res.Body)) != sum {
					t.Errorf("GET %d: %d, %d bytes; want 200 and the 2 MiB body intact", k, res.Status, len(res.Body))
				}
			}
			if n := o.count(dir); n != 2 {
				t.Errorf("the origin received %d requests, want 2 (the body is too large to keep)", n)
			}
		})
	}

	t.Run("60 KiB of response headers arrive intact and the entry counts against a 32 KiB budget", func(t *testing.T) {
		o.script("/tiny/1/", func(w http.ResponseWriter, r *http.Request, n int) {
			for i := range 60 {
				w.Header().Set(fmt.Sprintf("X-Pad-%02d", i), strings.Repeat(strconv.Itoa(i%10), 1000))
			}
			reply(w, r, n, 200, "Cache-Control", "max-age=60")
		})
		for k := 1; k <= 2; k++ {
			res := do(t, c, "GET", gw.url("/tiny/1/r"), nil)
			if res.Status != 200 || len(res.Header.Get("X-Pad-59")) != 1000 || len(res.Header.Get("X-Pad-00")) != 1000 {
				t.Errorf("GET %d: %d, X-Pad-59 %d bytes; want 200 and every header intact", k, res.Status, len(res.Header.Get("X-Pad-59")))
			}
		}
		m := metrics(t, c, gw)
		if v, ok := labelledMetric(m, "bulwark_cache_bytes", "cache", "tiny"); !ok || v > 32<<10 {
			t.Errorf("bulwark_cache_bytes{cache=tiny} = %v (found %v), want ≤ 32768 after a 60 KiB-header response", v, ok)
		}
	})

	t.Run("a response cut short by the origin is not stored", func(t *testing.T) {
		o.script("/cut/1/", func(w http.ResponseWriter, r *http.Request, n int) {
			if n > 1 {
				reply(w, r, n, 200, "Cache-Control", "max-age=60")
				return
			}
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, "n=1 partial ")
			w.(http.Flusher).Flush()
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		})
		first, err := tryDo(c, "GET", gw.url("/cut/1/r"), nil)
		if err == nil && first.Status == 200 && len(first.Body) < 100000 && first.Body != "" {
			t.Logf("the first client got a short body without an error: %d bytes", len(first.Body))
		}
		second := do(t, c, "GET", gw.url("/cut/1/r"), nil)
		if second.Status != 200 || strings.Contains(second.Body, "partial") || !strings.Contains(second.Body, " GET /cut/1/r ") {
			t.Errorf("the second client got %d %q (Cache-Status %q); want a complete answer from the origin",
				second.Status, second.Body, second.Header.Values("Cache-Status"))
		}
	})
}

// TestCacheRangeAndHeadDoNotPoisonTheFullResponse: a 206 piece or a HEAD's
// empty body is never served as the whole GET.
func TestCacheRangeAndHeadDoNotPoisonTheFullResponse(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	const full = "0123456789abcdefghijklmnopqrstuvwxyz"
	ranged := func(always bool) originScript {
		return func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("ETag", `"r"`)
			w.Header().Set("Accept-Ranges", "bytes")
			if always || r.Header.Get("Range") != "" {
				w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-3/%d", len(full)))
				w.WriteHeader(http.StatusPartialContent)
				_, _ = io.WriteString(w, full[:4])
				return
			}
			_, _ = io.WriteString(w, full)
		}
	}
	o.script("/rg/1/", ranged(false))
	o.script("/rg/2/", ranged(false))
	o.script("/rg/3/", ranged(true))

	t.Run("a 206 to a Range request is not served to a full GET", func(t *testing.T) {
		if res := do(t, c, "GET", gw.url("/rg/1/r"), nil, "Range", "bytes=0-3"); res.Status != 206 || res.Body != full[:4] {
			t.Fatalf("the Range request got %d %q", res.Status, res.Body)
		}
		if res := do(t, c, "GET", gw.url("/rg/1/r"), nil); res.Status != 200 || res.Body != full {
			t.Errorf("POISONED: the full GET got %d %q (Cache-Status %q)", res.Status, res.Body, res.Header.Values("Cache-Status"))
		}
	})
	t.Run("a Range request on a stored full response gets the right bytes or the whole", func(t *testing.T) {
		do(t, c, "GET", gw.url("/rg/2/r"), nil)
		res := do(t, c, "GET", gw.url("/rg/2/r"), nil, "Range", "bytes=2-5")
		switch {
		case res.Status == 206 && res.Body == full[2:6] && res.Header.Get("Content-Range") == fmt.Sprintf("bytes 2-5/%d", len(full)):
		case res.Status == 206 && res.Body == full[:4]: // the origin's own answer (it only serves 0-3)
		case res.Status == 200 && res.Body == full:
		default:
			t.Errorf("Range bytes=2-5 got %d %q Content-Range %q", res.Status, res.Body, res.Header.Get("Content-Range"))
		}
	})
	t.Run("a 206 the origin sends to a plain GET is never served as complete", func(t *testing.T) {
		do(t, c, "GET", gw.url("/rg/3/r"), nil)
		res := do(t, c, "GET", gw.url("/rg/3/r"), nil)
		if res.Status == 200 {
			t.Errorf("a 206 piece was served as a 200: %q", res.Body)
		}
		if n := o.count("/rg/3/"); n != 2 {
			t.Errorf("the origin received %d requests, want 2: a 206 is not stored", n)
		}
	})

	o.script("/hd/1/", answer(200, "Cache-Control", "max-age=60"))
	o.script("/hd/2/", answer(200, "Cache-Control", "max-age=60"))
	t.Run("HEAD first, then GET: the GET gets the whole body", func(t *testing.T) {
		if res := do(t, c, "HEAD", gw.url("/hd/1/r"), nil); res.Status != 200 || res.Body != "" {
			t.Fatalf("HEAD: %d %q", res.Status, res.Body)
		}
		res := do(t, c, "GET", gw.url("/hd/1/r"), nil)
		if res.Status != 200 || !strings.Contains(res.Body, " GET /hd/1/r ") {
			t.Errorf("POISONED: the GET after a HEAD got %d %q (Cache-Status %q)", res.Status, res.Body, res.Header.Values("Cache-Status"))
		}
	})
	t.Run("GET first, then HEAD: the HEAD is answered from the entry with no body", func(t *testing.T) {
		g := do(t, c, "GET", gw.url("/hd/2/r"), nil)
		res := do(t, c, "HEAD", gw.url("/hd/2/r"), nil)
		if res.Status != 200 || res.Body != "" || !isHit(res.Header) {
			t.Errorf("HEAD: %d %q Cache-Status %q; want a bodiless hit", res.Status, res.Body, res.Header.Values("Cache-Status"))
		}
		if cl := res.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(g.Body)) {
			t.Errorf("HEAD Content-Length %s, the GET's body is %d bytes", cl, len(g.Body))
		}
		if n := o.count("/hd/2/"); n != 1 {
			t.Errorf("the origin received %d requests, want 1", n)
		}
	})
}

// TestCacheUnsafeMethodsAndInvalidation: a POST is never answered from the
// cache and invalidates its URI; a Location on another host invalidates
// nothing there, so one host cannot flush another's entries.
func TestCacheUnsafeMethodsAndInvalidation(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	c := newClient(t)
	o.script("/post/1/", func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == "POST" {
			reply(w, r, n, 200, "Cache-Control", "max-age=60")
			return
		}
		reply(w, r, n, 200, "Cache-Control", "max-age=60")
	})
	t.Run("a POST after a stored GET reaches the origin and the next GET is fetched again", func(t *testing.T) {
		do(t, c, "GET", gw.url("/post/1/r"), nil)
		p := do(t, c, "POST", gw.url("/post/1/r"), strings.NewReader("x"))
		if !strings.HasPrefix(p.Body, "n=2 POST") {
			t.Errorf("the POST got %q (Cache-Status %q); want the origin's answer to it", p.Body, p.Header.Values("Cache-Status"))
		}
		if g := do(t, c, "GET", gw.url("/post/1/r"), nil); !strings.HasPrefix(g.Body, "n=3 GET") {
			t.Errorf("the GET after the POST got %q (Cache-Status %q); want a fresh fetch", g.Body, g.Header.Values("Cache-Status"))
		}
	})

	o.script("/xinv/1/", func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Method == "POST" {
			reply(w, r, n, 201, "Location", "http://"+victimHost+"/xinv/1/r", "Content-Location", "http://"+victimHost+"/xinv/1/r")
			return
		}
		reply(w, r, n, 200, "Cache-Control", "max-age=60")
	})
	t.Run("a POST on another host cannot invalidate the victim host's entry through Location", func(t *testing.T) {
		do(t, c, "GET", gw.url("/xinv/1/r"), nil, "Host", victimHost)
		do(t, c, "POST", gw.url("/xinv/1/other"), strings.NewReader("x"), "Host", "evil.example")
		res := do(t, c, "GET", gw.url("/xinv/1/r"), nil, "Host", victimHost)
		if !isHit(res.Header) || !strings.HasPrefix(res.Body, "n=1 ") {
			t.Errorf("the victim's entry was invalidated by another host's POST: %q (Cache-Status %q)", res.Body, res.Header.Values("Cache-Status"))
		}
	})

	t.Run("a request's method is case-sensitive: a raw 'POST' still invalidates, 'post' is not GET", func(t *testing.T) {
		o.script("/post/2/", answer(200, "Cache-Control", "max-age=60"))
		do(t, c, "GET", gw.url("/post/2/r"), nil)
		a := rawRequest(t, gw.ports.HTTP, []byte("post /post/2/r HTTP/1.1\r\nHost: "+gw.ports.HTTP+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
		if a.Status == 200 && strings.HasPrefix(a.Body, "n=1 GET") {
			t.Errorf("a 'post' request was answered with the stored GET: %q", a.Body)
		}
	})
}

// TestCacheDoesNotServeAcrossHosts: the same path on two Hosts are two
// resources, in both orders and on one keep-alive connection.
func TestCacheDoesNotServeAcrossHosts(t *testing.T) {
	gw, o := cacheAttackGateway(t)
	o.script("/hosts/1/", answer(200, "Cache-Control", "max-age=60"))
	conn, err := net.DialTimeout("tcp", gw.ports.HTTP, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	var out []string
	for _, h := range []string{"a.example", "b.example", "a.example", "b.example"} {
		if _, err := fmt.Fprintf(conn, "GET /hosts/1/r HTTP/1.1\r\nHost: %s\r\n\r\n", h); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("reading the answer for %s: %v", h, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if _, host := bodyFields(string(b)); host != h {
			t.Errorf("POISONED: Host %s got the page for %q: %q", h, host, b)
		}
		out = append(out, string(b))
	}
	if out[0] != out[2] || out[1] != out[3] {
		t.Logf("the repeated requests were not hits on their own host's page: %q", out)
	}
}
