package gateway

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// The in-process attack and fault cases. Framing attacks
// (CL.TE, chunking, obs-fold, slowloris, HTTP/2 floods) are net/http's job and
// are tested end to end over raw sockets outside this package.

// attackGateway routes every path to one recording upstream, and /library with
// strip_prefix, so that any path the gateway does not refuse would be proxied.
func attackGateway(t *testing.T) (*harness, *upstream) {
	t.Helper()
	up := newUpstream(t, "up", nil)
	h := newHarness(t, Config{Routes: []Route{
		{Name: "all", Path: "/", Service: "svc"},
		{Name: "library", Path: "/library", StripPrefix: true, Service: "svc"},
	}}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	return h, up
}

func rawGet(target string) string {
	return "GET " + target + " HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n"
}

// Traversal and encoded separators are refused with
// 400 and nothing reaches the upstream.
func TestUnsafePathsAreRefused(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	tests := []struct {
		name   string
		target string
	}{
		{"a dot-dot segment", "/a/../admin"},
		{"a dot-dot segment at the end", "/a/.."},
		{"a dot segment", "/a/./admin"},
		{"an encoded dot-dot segment", "/a/%2e%2e/admin"},
		{"an upper-case encoded dot-dot segment", "/a/%2E%2E/admin"},
		{"a half-encoded dot-dot segment", "/a/.%2e/admin"},
		{"an encoded slash", "/admin%2F"},
		{"a lower-case encoded slash", "/a%2fb"},
		{"an encoded backslash", "/a%5Cb"},
		{"a raw backslash", `/a\b`},
		{"an encoded NUL", "/a%00b"},
		{"an encoded semicolon", "/a%3Bb"},
		{"a lower-case encoded semicolon", "/a%3bb"},
		{"an encoded question mark", "/a%3Fb"},
		{"an encoded hash", "/a%23b"},
		{"a raw hash", "/a#b"},
		{"a leading empty segment", "//admin"},
		{"an empty segment inside", "/a//b"},
		{"a dot-dot hidden behind a stripped prefix", "/library/../admin"},
		{"an encoded slash behind a stripped prefix", "/library/..%2Fadmin"},
		{"an encoded dot-dot behind a stripped prefix", "/library/%2e%2e/admin"},
	}
	t.Run("each is refused", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				res, body := rawExchange(t, h.addr(), rawGet(tt.target))
				if res.StatusCode != http.StatusBadRequest {
					t.Fatalf("GET %s = %d %q, want 400", tt.target, res.StatusCode, body)
				}
				if p := problemOf(t, res, body); p.Detail == "" {
					t.Errorf("the problem does not say why: %+v", p)
				}
			})
		}
	})
	if n := up.Count(); n != 0 {
		t.Errorf("the upstream received %d requests: %v", n, up.Requests())
	}
}

// The path the route decision is made on is the path the
// upstream receives, byte for byte (minus a stripped prefix).
func TestAcceptedPathsReachTheUpstreamUnchanged(t *testing.T) {
	t.Parallel()
	h, up := attackGateway(t)
	tests := []struct {
		name    string
		target  string
		wantRaw string
	}{
		{"a plain path", "/a/b", "/a/b"},
		{"a trailing slash", "/a/b/", "/a/b/"},
		{"an encoded space", "/sp/a%20b", "/sp/a%20b"},
		{"encoded UTF-8", "/utf/caf%C3%A9", "/utf/caf%C3%A9"},
		{"a raw semicolon (a matrix parameter, not a separator)", "/m/a;b=c", "/m/a;b=c"},
		{"an encoded letter", "/enc/%41", "/enc/%41"},
		{"a double-encoded letter stays encoded", "/dbl/%2541/x", "/dbl/%2541/x"},
		{"a stripped prefix keeps the escapes after it", "/library/sp/a%20b", "/sp/a%20b"},
		{"an encoded prefix is stripped on the decoded path", "/%6Cibrary/enc-prefix", "/enc-prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, body := rawExchange(t, h.addr(), rawGet(tt.target))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s = %d %q", tt.target, res.StatusCode, body)
			}
			var found bool
			for _, r := range up.Requests() {
				if r.RawPath == tt.wantRaw {
					found = true
					if r.RequestURI != tt.wantRaw {
						t.Errorf("request line target %q, want %q", r.RequestURI, tt.wantRaw)
					}
				}
			}
			if !found {
				t.Errorf("no upstream request for %s; received %v", tt.wantRaw, up.Requests())
			}
		})
	}
}

// CONNECT and absolute-form targets: bulwark is no forward proxy.
func TestForwardProxyRequestsGoNowhere(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", nil)
	h := newHarness(t, Config{Routes: []Route{{Host: "api.example.com", Service: "svc"}}},
		snapshot(t, map[string][]string{"svc": {up.Addr()}}))

	t.Run("CONNECT is refused", func(t *testing.T) {
		res, body := rawExchange(t, h.addr(), "CONNECT "+up.Addr()+" HTTP/1.1\r\nHost: "+up.Addr()+"\r\n\r\n")
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("CONNECT = %d %q, want 400", res.StatusCode, body)
		}
		problemOf(t, res, body)
	})
	t.Run("CONNECT to a routed host is refused too", func(t *testing.T) {
		res, _ := rawExchange(t, h.addr(), "CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n")
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("CONNECT = %d, want 400", res.StatusCode)
		}
	})
	t.Run("an absolute-form target for a host not in the table is 404", func(t *testing.T) {
		res, body := rawExchange(t, h.addr(), "GET http://"+up.Addr()+"/admin HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("absolute-form GET = %d %q, want 404", res.StatusCode, body)
		}
	})
	t.Run("OPTIONS * never reaches an upstream", func(t *testing.T) {
		// net/http answers it itself; the count below checks nothing was proxied.
		rawExchange(t, h.addr(), "OPTIONS * HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
	})
	if n := up.Count(); n != 0 {
		t.Fatalf("the upstream received %d requests: %v", n, up.Requests())
	}

	// RFC 9112 §3.2.2: an absolute-form target's authority replaces Host. It is
	// routed like that Host would be, and the upstream gets origin-form.
	t.Run("an absolute-form target is routed on its authority and sent in origin-form", func(t *testing.T) {
		res, body := rawExchange(t, h.addr(), "GET http://api.example.com/pets?x=1 HTTP/1.1\r\nHost: api.example.com\r\nConnection: close\r\n\r\n")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status = %d %q", res.StatusCode, body)
		}
		got := up.Last(t)
		if got.RequestURI != "/pets?x=1" || got.Host != up.Addr() {
			t.Errorf("upstream got target %q with Host %q, want /pets?x=1 with Host %s", got.RequestURI, got.Host, up.Addr())
		}
	})
}

// Requests with Expect: 100-continue (go#67555) that the
// upstream answers with a final status, without reading the body, leave no
// state behind: 100 such requests, then 100 normal ones, all succeed, and the
// upstream sees exactly 200 requests with the right bodies.
func TestExpectContinueAnsweredWithAFinalStatus(t *testing.T) {
	t.Parallel()
	for _, wait := range []bool{true, false} {
		name := "a client that waits for 100 Continue"
		if !wait {
			name = "a client that sends the body at once"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var badBodies sync.Map
			up := newStreamingUpstream(t, "up", func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/reject" {
					w.WriteHeader(http.StatusForbidden) // final status, body unread
					return
				}
				body, err := io.ReadAll(r.Body)
				if err != nil || string(body) != r.Header.Get("X-Want-Body") {
					badBodies.Store(r.URL.Path, fmt.Sprintf("%q (%v)", body, err))
				}
				_, _ = w.Write(body)
			})
			h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
				snapshot(t, map[string][]string{"svc": {up.Addr()}}))
			tr := &http.Transport{MaxIdleConnsPerHost: 4}
			if wait {
				tr.ExpectContinueTimeout = 5 * time.Second
			}
			client := &http.Client{Transport: tr}
			t.Cleanup(tr.CloseIdleConnections)

			big := bytes.Repeat([]byte("x"), 64<<10)
			for i := range 100 {
				req := newRequest(t, "POST", h.url("/reject"), bytes.NewReader(big), "Expect: 100-continue")
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("expect request %d: %v", i, err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusForbidden {
					t.Fatalf("expect request %d = %d, want the upstream's 403", i, res.StatusCode)
				}
			}
			for i := range 100 {
				want := fmt.Sprintf("body-%d-%s", i, strings.Repeat("y", i))
				req := newRequest(t, "POST", h.url(fmt.Sprintf("/echo/%d", i)), strings.NewReader(want), "X-Want-Body: "+want)
				res, err := client.Do(req)
				if err != nil {
					t.Fatalf("normal request %d: %v", i, err)
				}
				got, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK || string(got) != want {
					t.Fatalf("normal request %d = %d %q (%v), want 200 %q", i, res.StatusCode, got, err, want)
				}
			}
			if n := up.Count(); n != 200 {
				t.Errorf("the upstream saw %d requests, want exactly 200", n)
			}
			badBodies.Range(func(k, v any) bool {
				t.Errorf("upstream %s received body %s", k, v)
				return true
			})
		})
	}
}

// An upstream header block beyond MaxResponseHeaderBytes is a
// 502, and the request is not sent again.
func TestOversizedUpstreamHeadersAre502AndNotRetried(t *testing.T) {
	t.Parallel()
	up := newUpstream(t, "up", func(w http.ResponseWriter, _ *http.Request) {
		for i := range 16 {
			w.Header().Set(fmt.Sprintf("X-Big-%d", i), strings.Repeat("a", 512))
		}
		_, _ = io.WriteString(w, "never seen")
	})
	h := newHarness(t, Config{
		Routes:    []Route{{Path: "/", Service: "svc"}},
		Transport: TransportConfig{MaxResponseHeaderBytes: 4096},
	}, snapshot(t, map[string][]string{"svc": {up.Addr()}}))
	res, body := h.get(t, "/big")
	if res.StatusCode != http.StatusBadGateway || strings.Contains(string(body), "never seen") {
		t.Fatalf("status = %d %q, want 502", res.StatusCode, body)
	}
	problemOf(t, res, body)
	if n := up.Count(); n != 1 {
		t.Errorf("the upstream received %d requests, want 1 (no retry)", n)
	}
}

// The gateway reuses upstream connections.
func TestUpstreamConnectionsAreReused(t *testing.T) {
	t.Parallel()

	t.Run("sequential requests share one connection", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, "up", nil)
		h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
			snapshot(t, map[string][]string{"svc": {up.Addr()}}))
		for i := range 500 {
			if res, _ := h.get(t, "/"); res.StatusCode != http.StatusOK {
				t.Fatalf("request %d = %d", i, res.StatusCode)
			}
		}
		if n := up.conns.Load(); n > 3 {
			t.Errorf("500 sequential requests opened %d upstream connections, want at most 3", n)
		}
	})

	t.Run("concurrent requests reuse at least 95% of connections", func(t *testing.T) {
		t.Parallel()
		up := newUpstream(t, "up", nil)
		h := newHarness(t, Config{Routes: []Route{{Path: "/", Service: "svc"}}},
			snapshot(t, map[string][]string{"svc": {up.Addr()}}))
		h.client.Transport.(*http.Transport).MaxIdleConnsPerHost = 16
		const workers, each = 8, 100
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				for range each {
					res, err := h.client.Get(h.url("/"))
					if err != nil {
						errs <- err
						return
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := up.conns.Load(); n > workers*each/20 {
			t.Errorf("%d requests opened %d upstream connections, more than 5%%", workers*each, n)
		}
	})
}
