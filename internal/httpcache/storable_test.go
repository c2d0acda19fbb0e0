package httpcache

import (
	"net/http"
	"testing"
	"time"
)

func TestRFC9111_3_Storing(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		reqLines []string
		status   int
		lines    []string
		opts     Options
		want     bool
	}{
		{"a fresh 200 is stored", "GET", nil, 200, []string{"Cache-Control: max-age=60"}, Options{}, true},
		// §3: the request method must be understood; only GET is stored.
		{"POST is not stored", "POST", nil, 200, []string{"Cache-Control: max-age=60"}, Options{}, false},
		{"HEAD is not stored (it only freshens, §4.3.5)", "HEAD", nil, 200, []string{"Cache-Control: max-age=60"}, Options{}, false},
		// §3: the status code must be final and understood; 206 and 304 are not stored.
		{"206 is not stored", "GET", nil, 206, []string{"Cache-Control: max-age=60"}, Options{}, false},
		{"304 is not stored", "GET", nil, 304, []string{"Cache-Control: max-age=60"}, Options{}, false},
		{"an unknown final status with max-age is stored", "GET", nil, 299, []string{"Cache-Control: max-age=60"}, Options{}, true},
		{"an unknown status without explicit freshness is not", "GET", nil, 299, []string{"Etag: \"a\""}, Options{}, false},
		// §5.2.2.5 MUST NOT store with no-store.
		{"response no-store", "GET", nil, 200, []string{"Cache-Control: max-age=60, no-store"}, Options{}, false},
		// §5.2.1.5 MUST NOT store with request no-store.
		{"request no-store", "GET", []string{"Cache-Control: no-store"}, 200, []string{"Cache-Control: max-age=60"}, Options{}, false},
		// §5.2.2.3: must-understand with an understood status ignores no-store.
		{"must-understand with a known status overrides no-store", "GET", nil, 200, []string{"Cache-Control: max-age=60, no-store, must-understand"}, Options{}, true},
		{"must-understand with an unknown status", "GET", nil, 299, []string{"Cache-Control: max-age=60, no-store, must-understand"}, Options{}, false},
		// §5.2.2.7 MUST NOT: a shared cache does not store private.
		{"private", "GET", nil, 200, []string{"Cache-Control: private, max-age=60"}, Options{}, false},
		{"qualified private is stored without the fields", "GET", nil, 200, []string{`Cache-Control: private="X-User", max-age=60`}, Options{}, true},
		// §3: some permission is needed: explicit freshness, public, or a heuristically cacheable status.
		{"a 200 with only an ETag is stored to revalidate", "GET", nil, 200, []string{"Etag: \"a\""}, Options{}, true},
		{"a 500 with only an ETag is not", "GET", nil, 500, []string{"Etag: \"a\""}, Options{}, false},
		{"a 500 with max-age is", "GET", nil, 500, []string{"Cache-Control: max-age=5"}, Options{}, true},
		{"a 302 with Expires is", "GET", nil, 302, []string{"Expires: " + httpDate(at(60))}, Options{}, true},
		{"nothing to go on, heuristics off", "GET", nil, 200, nil, Options{}, false},
		{"nothing to go on, default TTL on", "GET", nil, 200, nil, Options{DefaultTTL: time.Minute}, true},
		{"nothing to go on, heuristics on", "GET", nil, 404, nil, Options{Heuristic: true}, true},
		{"public alone", "GET", nil, 302, []string{"Cache-Control: public", "Etag: \"x\""}, Options{}, true},
		// §4.1: Vary: * can never be selected.
		{"Vary: * is not stored", "GET", nil, 200, []string{"Cache-Control: max-age=60", "Vary: Accept, *"}, Options{}, false},
		// Gateway safety: Set-Cookie only when meant for everyone.
		{"Set-Cookie without public", "GET", nil, 200, []string{"Cache-Control: max-age=60", "Set-Cookie: a=b"}, Options{}, false},
		{"Set-Cookie with public", "GET", nil, 200, []string{"Cache-Control: public, max-age=60", "Set-Cookie: a=b"}, Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := Storable(newReq(tt.method, tt.reqLines...), newRes(tt.status, tt.lines...), tt.opts)
			if ok != tt.want {
				t.Errorf("Storable = %v (%s), want %v", ok, reason, tt.want)
			}
			if !ok && reason == "" {
				t.Error("a refusal gives no reason")
			}
		})
	}
}

func TestRFC9111_3_1_StoringHeaderFields(t *testing.T) {
	e := stored("Cache-Control: max-age=60, private=\"X-User\"", "Connection: close, X-Hop", "X-Hop: 1",
		"Keep-Alive: timeout=5", "Transfer-Encoding: chunked", "Proxy-Authenticate: Basic", "Set-Cookie: s=1",
		"X-User: alice", "X-Custom: kept")
	// §3.1 MUST NOT store Connection, the fields it names, and the hop-by-hop
	// and proxy fields; §5.2.2.7 MUST NOT store the fields private names.
	for _, f := range []string{"Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Proxy-Authenticate", "Set-Cookie", "X-User"} {
		if _, ok := e.Header[http.CanonicalHeaderKey(f)]; ok {
			t.Errorf("%s was stored", f)
		}
	}
	// §5.2.2.4 MUST NOT reuse the fields a qualified no-cache lists
	// without revalidation: they are not stored.
	e = stored(`Cache-Control: no-cache="X-Session, X-Trace", max-age=60`, "X-Session: s1", "X-Trace: t1", "X-Custom: kept")
	for _, f := range []string{"X-Session", "X-Trace"} {
		if _, ok := e.Header[f]; ok {
			t.Errorf("%s, listed by no-cache, was stored", f)
		}
	}
	// §3.1 MUST include all other received fields, unrecognised ones too.
	if e.Header.Get("X-Custom") != "kept" {
		t.Error("an unrecognised field was dropped")
	}
}

func TestRFC9111_3_5_Authorization(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		// §3.5 MUST NOT store a response to a request with Authorization...
		{"max-age alone is not enough", []string{"Cache-Control: max-age=60"}, false},
		// ...unless the response has one of these directives.
		{"public", []string{"Cache-Control: public, max-age=60"}, true},
		{"s-maxage", []string{"Cache-Control: s-maxage=60"}, true},
		{"must-revalidate", []string{"Cache-Control: must-revalidate, max-age=60"}, true},
		{"private still wins", []string{"Cache-Control: public, private, max-age=60"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, reason := Storable(newReq("GET", "Authorization: Bearer x"), newRes(200, tt.lines...), Options{})
			if ok != tt.want {
				t.Errorf("Storable = %v (%s), want %v", ok, reason, tt.want)
			}
		})
	}
}

// FuzzStoredHeaderKeepsCacheFields: whatever a Cache-Control line lists in a
// qualified private or no-cache, the stored header keeps every field the
// cache's own rules read (cacheFields), and a list naming one reads as the
// unqualified directive. Leaving one out would let a response change the
// cache's decisions about itself: no-cache="Cache-Control" with max-age=0
// and a future Expires was once fresh for an hour.
func FuzzStoredHeaderKeepsCacheFields(f *testing.F) {
	for _, s := range []string{`no-cache="Cache-Control"`, `private="Age, X-A"`, `no-cache=Etag, max-age=0`,
		`no-cache="x-a", no-cache="cdn-cache-control"`, `private="content-type"`, `no-cache="X-Session"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		h := http.Header{"Cache-Control": {line}, "X-Other": {"1"}}
		for name := range cacheFields {
			if name != "Cache-Control" {
				h.Set(name, "1")
			}
		}
		stored := storedHeader(h)
		for name := range cacheFields {
			if _, ok := stored[name]; !ok {
				t.Fatalf("Cache-Control %q: the stored header lost %s", line, name)
			}
		}
		cc := ParseCacheControl([]string{line})
		for _, name := range cc.NoCacheFields {
			if cacheFields[name] && !cc.NoCache {
				t.Fatalf("Cache-Control %q: no-cache lists %s and is still qualified", line, name)
			}
		}
		for _, name := range cc.PrivateFields {
			if cacheFields[name] && !cc.Private {
				t.Fatalf("Cache-Control %q: private lists %s and is still qualified", line, name)
			}
		}
	})
}
