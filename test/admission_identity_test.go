package test

// Identity spoofing and credential handling through the binary, and the
// cache behind authentication. The properties: the upstream learns who the
// caller is only from the gateway (whatever spelling or number of identity
// headers a client sends), the credential goes no further than the gateway
// unless keep_credential says so, the rest of the request arrives byte for
// byte, and a private answer for one consumer is never served to another.

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func identityGateway(t *testing.T, up *recorder, keys map[string]string) *proc {
	t.Helper()
	var consumers strings.Builder
	for name, key := range keys {
		fmt.Fprintf(&consumers, "  %s:\n    api_keys: [%q]\n", name, apiKeyHash(key))
	}
	return startServe(t, admissionConfig(false, fmt.Sprintf(`discovery:
  static:
    - service: keys
      instances: [%[1]q]
    - service: keep
      instances: [%[1]q]
    - service: cached
      instances: [%[1]q]
routes:
  - path: /k
    service: keys
  - path: /keep
    service: keep
  - path: /c
    service: cached
services:
  keys:
    auth:
      api_keys: {enabled: true, query: key}
  keep:
    auth:
      api_keys: {enabled: true, query: key}
      keep_credential: true
  cached:
    cache: {enabled: true}
    auth:
      api_keys: {enabled: true}
consumers:
%[2]s`, up.Addr(), consumers.String())))
}

func TestAdmissionIdentityCannotBeSpoofed(t *testing.T) {
	up := newRecorder(t, nil)
	const keyA, keyB = "key-A-0123456789abcdef", "key-B-0123456789abcdef"
	// The hashes in these configs are what `bulwark hash api-key` prints.
	if h := hashWithBinary(t, "api-key", keyA); h != apiKeyHash(keyA) {
		t.Fatalf("bulwark hash api-key printed %q, the tests write %q", h, apiKeyHash(keyA))
	}
	gw := identityGateway(t, up, map[string]string{"alice": keyA, "bob": keyB})
	c := newClient(t)

	// Through net/http: a key for alice and a header naming bob.
	r := do(t, c, "GET", gw.url("/k/1"), nil, "X-Api-Key", keyA, "X-Consumer", "bob")
	if r.Status != 200 {
		t.Fatalf("alice's key: %d %s", r.Status, r.Body)
	}
	if got := up.Last().Header.Values("X-Consumer"); len(got) != 1 || got[0] != "alice" {
		t.Errorf("alice's key with X-Consumer: bob: the upstream received X-Consumer %q, want [alice]", got)
	}
	before := up.count.Load()
	if r := do(t, c, "GET", gw.url("/k/1"), nil, "X-Consumer", "alice"); r.Status != 401 {
		t.Errorf("X-Consumer: alice and no key: %d, want 401", r.Status)
	}
	if up.count.Load() != before {
		t.Errorf("a request without a credential reached the upstream")
	}

	// Raw bytes: spellings and repetitions net/http would tidy up.
	spoofs := []string{
		"x-consumer: bob",
		"X-CONSUMER: bob",
		"X-Consumer: bob\r\nX-Consumer: carol",
		"X-Consumer:bob",
		"X-Consumer: bob\r\nx-consumer: carol\r\nX-Consumer: ",
	}
	for _, spoof := range spoofs {
		raw := "GET /k/raw HTTP/1.1\r\nHost: gw.test\r\nX-Api-Key: " + keyA + "\r\n" + spoof + "\r\nConnection: close\r\n\r\n"
		res := rawRequest(t, gw.ports.HTTP, []byte(raw))
		if res.Status != 200 {
			t.Errorf("%q with alice's key: %d %s", spoof, res.Status, res.Body)
			continue
		}
		got := up.Last().Header
		if v := got.Values("X-Consumer"); len(v) != 1 || v[0] != "alice" {
			t.Errorf("%q: the upstream received X-Consumer %q, want exactly [alice]", spoof, v)
		}
	}
	// A header a CGI/WSGI upstream reads as X-Consumer (HTTP_X_CONSUMER).
	res := rawRequest(t, gw.ports.HTTP, []byte("GET /k/raw HTTP/1.1\r\nHost: gw.test\r\nX-Api-Key: "+keyA+"\r\nX_Consumer: bob\r\nConnection: close\r\n\r\n"))
	if res.Status == 200 {
		for name, v := range up.Last().Header {
			if strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "X-Consumer") && name != "X-Consumer" {
				t.Logf("NOTE: the upstream received %s: %q (an underscore spelling of the identity header, which CGI/WSGI upstreams read as X-Consumer)", name, v)
			}
		}
	}

	// A key in the query is removed; every other parameter arrives as sent.
	for _, q := range []string{
		"a=1&key=" + keyA + "&b=%2f+x&c=&d=%C3%A9&a=2",
		"key=" + keyA,
		"z=%7E~&key=" + keyA,
	} {
		r := do(t, c, "GET", gw.url("/k/q?"+q), nil)
		if r.Status != 200 {
			t.Errorf("?%s: %d %s", q, r.Status, r.Body)
			continue
		}
		want := "/k/q"
		if rest := strings.Trim(strings.Replace(q, "key="+keyA, "", 1), "&"); rest != "" {
			want += "?" + strings.ReplaceAll(rest, "&&", "&")
		}
		if got := up.Last(); got.URI != want || got.Header.Get("X-Consumer") != "alice" {
			t.Errorf("?%s: the upstream received %q as %q, want %q as alice", q, got.URI, got.Header.Get("X-Consumer"), want)
		}
	}
	// Two keys in the query: whatever the verdict, neither reaches the upstream.
	r = do(t, c, "GET", gw.url("/k/q?key="+keyA+"&key="+keyB), nil)
	if r.Status == 200 && strings.Contains(up.Last().URI, "key=") {
		t.Errorf("two query keys, admitted as %q: the upstream received %q", up.Last().Header.Get("X-Consumer"), up.Last().URI)
	}
	// keep_credential: true passes the key on.
	if r := do(t, c, "GET", gw.url("/keep/q?a=1&key="+keyB), nil); r.Status != 200 {
		t.Errorf("keep: %d", r.Status)
	} else if got := up.Last(); got.URI != "/keep/q?a=1&key="+keyB || got.Header.Get("X-Consumer") != "bob" {
		t.Errorf("keep_credential: the upstream received %q as %q, want the key kept, as bob", got.URI, got.Header.Get("X-Consumer"))
	}
	if r := do(t, c, "GET", gw.url("/keep/h"), nil, "X-Api-Key", keyB, "X-Consumer", "alice"); r.Status != 200 {
		t.Errorf("keep with a header key: %d", r.Status)
	} else if got := up.Last(); got.Header.Get("X-Api-Key") != keyB || got.Header.Get("X-Consumer") != "bob" {
		t.Errorf("keep_credential: the upstream received X-Api-Key %q as %q, want bob's key as bob", got.Header.Get("X-Api-Key"), got.Header.Get("X-Consumer"))
	}
	gw.checkNoRace()
}

func TestAdmissionCacheNeverServesOneConsumersPrivateAnswerToAnother(t *testing.T) {
	up := newRecorder(t, func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasPrefix(r.UserAgent(), "bulwark-catalog/") {
			return false
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/c/private"):
			w.Header().Set("Cache-Control", "max-age=60")
		case strings.HasPrefix(r.URL.Path, "/c/public"):
			w.Header().Set("Cache-Control", "public, max-age=60")
		default:
			return false
		}
		fmt.Fprintf(w, "for %s", r.Header.Get("X-Consumer"))
		return true
	})
	const keyA, keyB = "key-A-0123456789abcdef", "key-B-0123456789abcdef"
	gw := identityGateway(t, up, map[string]string{"alice": keyA, "bob": keyB})
	c := newClient(t)

	for i := range 3 { // three rounds: a later one would be a hit if any were stored for sharing
		for _, who := range []struct{ name, key string }{{"alice", keyA}, {"bob", keyB}} {
			r := do(t, c, "GET", gw.url("/c/private/1"), nil, "X-Api-Key", who.key)
			if r.Status != 200 || r.Body != "for "+who.name {
				t.Errorf("round %d: %s got %d %q from /c/private/1, want %q", i, who.name, r.Status, r.Body, "for "+who.name)
			}
		}
	}
	before := up.count.Load()
	a := do(t, c, "GET", gw.url("/c/public/1"), nil, "X-Api-Key", keyA)
	b := do(t, c, "GET", gw.url("/c/public/1"), nil, "X-Api-Key", keyB)
	if a.Status != 200 || b.Status != 200 || b.Body != a.Body {
		t.Errorf("a public answer: alice got %d %q, bob %d %q; want bob served alice's stored copy", a.Status, a.Body, b.Status, b.Body)
	}
	if n := up.count.Load() - before; n != 1 {
		t.Errorf("a public answer for two consumers took %d upstream requests, want 1 (shared)", n)
	}
	// The cache comes after admission: no credential, no cached answer.
	if r := do(t, c, "GET", gw.url("/c/public/1"), nil); r.Status != 401 {
		t.Errorf("the cached public answer without a key: %d %q, want 401", r.Status, r.Body)
	}
	if r := do(t, c, "GET", gw.url("/c/public/1"), nil, "X-Api-Key", "not-a-key"); r.Status != 401 {
		t.Errorf("the cached public answer with a wrong key: %d %q, want 401", r.Status, r.Body)
	}
	gw.checkNoRace()
}

// TestAdmissionSecondCredentialIsNotPassedOn: a request admitted on one
// credential slot of the route (alice's key in X-Api-Key) that also fills
// another (bob's key in ?key=) must not carry bob's key to the upstream,
// which would then hold a credential naming another consumer than the
// X-Consumer the gateway vouches for.
func TestAdmissionSecondCredentialIsNotPassedOn(t *testing.T) {
	up := newRecorder(t, nil)
	const keyA, keyB = "key-A-0123456789abcdef", "key-B-0123456789abcdef"
	gw := identityGateway(t, up, map[string]string{"alice": keyA, "bob": keyB})
	c := newClient(t)
	var r response
	// Header and query keys of two consumers: one consumer, no key passed on.
	r = do(t, c, "GET", gw.url("/k/q?key="+keyB), nil, "X-Api-Key", keyA)
	if r.Status == 200 {
		got := up.Last()
		if strings.Contains(got.URI, "key=") || got.Header.Get("X-Api-Key") != "" || len(got.Header.Values("X-Consumer")) != 1 {
			t.Errorf("alice's header key with bob's query key: the upstream received %q, X-Api-Key %q, X-Consumer %q",
				got.URI, got.Header.Get("X-Api-Key"), got.Header.Values("X-Consumer"))
		}
	}

	if r.Status != 200 {
		t.Errorf("two keys: %d %s", r.Status, r.Body)
	}
}
