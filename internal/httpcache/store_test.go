package httpcache

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func newStore(t testing.TB, cfg StoreConfig) *Store {
	t.Helper()
	s, err := NewStore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// put stores a GET response for the given URL path and request header lines.
func put(t testing.TB, s *Store, path string, reqLines, resLines []string) *Entry {
	t.Helper()
	res := newRes(200, append([]string{"Date: " + httpDate(t0)}, resLines...)...)
	e := NewEntry(Key("GET", "http", "example.com", path, ""), newReq("GET", reqLines...), res, []byte("b"), t0, t0, Options{})
	if err := s.Put(e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRFC9111_4_1_Vary(t *testing.T) {
	s := newStore(t, StoreConfig{})
	key := Key("GET", "http", "example.com", "/v", "")
	gz := put(t, s, "/v", []string{"Accept-Encoding: gzip, br"}, []string{"Cache-Control: max-age=60", "Vary: Accept-Encoding"})
	id := put(t, s, "/v", nil, []string{"Cache-Control: max-age=60", "Vary: Accept-Encoding"})
	tests := []struct {
		name  string
		lines []string
		want  *Entry
		fwd   Fwd
	}{
		// §4.1 MUST NOT use a stored response unless the selecting header fields match.
		{"same value", []string{"Accept-Encoding: gzip, br"}, gz, FwdNone},
		// §4.1 MAY normalise: combined lines and whitespace.
		{"whitespace and lines normalised", []string{"Accept-Encoding: gzip ,br"}, gz, FwdNone},
		{"across lines", []string{"Accept-Encoding: gzip", "Accept-Encoding: br"}, gz, FwdNone},
		{"codings are case-insensitive", []string{"Accept-Encoding: GZIP, br"}, gz, FwdNone},
		// §4.1: a field absent from both matches.
		{"absent in both", nil, id, FwdNone},
		{"different value", []string{"Accept-Encoding: br"}, nil, FwdVaryMiss},
		{"a subset is not a match", []string{"Accept-Encoding: gzip"}, nil, FwdVaryMiss},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, fwd := s.Lookup(key, newReq("GET", tt.lines...))
			if e != tt.want || fwd != tt.fwd {
				t.Errorf("Lookup = %p %q, want %p %q", e, fwd, tt.want, tt.fwd)
			}
		})
	}
	if _, fwd := s.Lookup(Key("GET", "http", "example.com", "/other", ""), newReq("GET")); fwd != FwdURIMiss {
		t.Errorf("other URI: %q", fwd)
	}
	t.Run("a new response for the same selecting values replaces the old", func(t *testing.T) {
		n := put(t, s, "/v", []string{"Accept-Encoding: gzip,br"}, []string{"Cache-Control: max-age=60", "Vary: Accept-Encoding"})
		if got := len(s.Variants(key)); got != 2 {
			t.Errorf("%d variants, want 2", got)
		}
		if e, _ := s.Lookup(key, newReq("GET", "Accept-Encoding: gzip, br")); e != n {
			t.Error("the newest variant was not selected")
		}
	})
	t.Run("values are case-sensitive for other fields", func(t *testing.T) {
		put(t, s, "/c", []string{"X-Tenant: Acme"}, []string{"Cache-Control: max-age=60", "Vary: x-tenant"})
		if _, fwd := s.Lookup(Key("GET", "http", "example.com", "/c", ""), newReq("GET", "X-Tenant: acme")); fwd != FwdVaryMiss {
			t.Errorf("got %q", fwd)
		}
	})
}

func TestRFC9111_4_4_Invalidation(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		status   int
		resLines []string
		gone     []string // paths whose entries must be removed
		kept     []string
	}{
		// §4.4 MUST invalidate the target URI after a non-error response to an unsafe method.
		{"POST invalidates the target", "POST", 200, nil, []string{"/a"}, []string{"/b", "/c"}},
		{"DELETE invalidates the target", "DELETE", 204, nil, []string{"/a"}, []string{"/b"}},
		{"a redirect is not an error", "PUT", 303, nil, []string{"/a"}, nil},
		{"an error response does not", "POST", 500, nil, nil, []string{"/a"}},
		{"a safe method does not", "GET", 200, nil, nil, []string{"/a"}},
		// §4.4 MAY invalidate Location and Content-Location on the same host.
		{"Location and Content-Location", "POST", 201, []string{"Location: /b", "Content-Location: http://example.com/c"}, []string{"/a", "/b", "/c"}, nil},
		// §4.4 MUST NOT invalidate URIs of another host.
		{"another host's Location is kept", "POST", 201, []string{"Location: http://evil.example/b"}, []string{"/a"}, []string{"/b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, StoreConfig{})
			for _, p := range []string{"/a", "/b", "/c"} {
				put(t, s, p, nil, []string{"Cache-Control: max-age=60"})
			}
			req := httpRequest(tt.method, "http://example.com/a")
			s.InvalidateAfter("http", req.Host, "", req, newRes(tt.status, tt.resLines...))
			for _, p := range tt.gone {
				if s.Variants(Key("GET", "http", "example.com", p, "")) != nil {
					t.Errorf("%s still stored", p)
				}
			}
			for _, p := range tt.kept {
				if s.Variants(Key("GET", "http", "example.com", p, "")) == nil {
					t.Errorf("%s was removed", p)
				}
			}
		})
	}
}

func httpRequest(method, url string) *http.Request {
	r, _ := http.NewRequest(method, url, nil)
	return r
}

func TestStorePurge(t *testing.T) {
	s := newStore(t, StoreConfig{})
	put(t, s, "/static/a", nil, []string{"Cache-Control: max-age=60", "Surrogate-Key: product-1 all"})
	put(t, s, "/static/b", nil, []string{"Cache-Control: max-age=60", "Cache-Tag: product-2, all"})
	put(t, s, "/api/c", nil, []string{"Cache-Control: max-age=60", "Surrogate-Key: product-1"})
	if n := s.PurgeTag("product-1"); n != 2 {
		t.Errorf("PurgeTag removed %d, want 2", n)
	}
	if got := s.Keys(""); len(got) != 1 || !strings.HasSuffix(got[0], "/static/b") {
		t.Errorf("left %v", got)
	}
	put(t, s, "/static/d", nil, []string{"Cache-Control: max-age=60"})
	if n := s.PurgePrefix("GET http://example.com/static/"); n != 2 {
		t.Errorf("PurgePrefix removed %d, want 2", n)
	}
	if n := s.PurgeTag("all"); n != 0 {
		t.Errorf("a purged entry was purged again: %d", n)
	}
	e := put(t, s, "/x", nil, []string{"Cache-Control: max-age=60", "Cache-Tag: t"})
	if v := s.Inspect(e.Key, at(5)); len(v) != 1 || v[0].TTL.Seconds() != 55 || v[0].Tags[0] != "t" {
		t.Errorf("Inspect = %+v", v)
	}
	if n := s.Delete(e.Key); n != 1 {
		t.Errorf("Delete removed %d", n)
	}
}

func TestStoreRefusesLargeEntries(t *testing.T) {
	s := newStore(t, StoreConfig{MaxBytes: 1 << 20, MaxEntryBytes: 1000})
	res := newRes(200, "Cache-Control: max-age=60")
	e := NewEntry("k", newReq("GET"), res, make([]byte, 2000), t0, t0, Options{})
	if err := s.Put(e); err != ErrTooLarge {
		t.Errorf("Put = %v", err)
	}
	if s.Stats().Refused != 1 {
		t.Error("refusal not counted")
	}
}

func TestStoreStaysWithinBudget(t *testing.T) {
	s := newStore(t, StoreConfig{MaxBytes: 64 << 10})
	for i := range 500 {
		res := newRes(200, "Cache-Control: max-age=60")
		e := NewEntry(fmt.Sprint("k", i), newReq("GET"), res, make([]byte, 1000), t0, t0, Options{})
		if err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	s.cache.CleanUp()
	if st := s.Stats(); st.Bytes > 64<<10 || st.Evictions == 0 {
		t.Errorf("stats %+v: want at most 64 KiB held and some evictions", st)
	}
}

func TestStoreConcurrentUse(t *testing.T) {
	s := newStore(t, StoreConfig{MaxBytes: 1 << 20})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				p := fmt.Sprintf("/p%d", i%20)
				put(t, s, p, []string{fmt.Sprint("Accept: a", g%3)}, []string{"Cache-Control: max-age=60", "Vary: Accept", "Cache-Tag: t" + fmt.Sprint(i%5)})
				s.Lookup(Key("GET", "http", "example.com", p, ""), newReq("GET", "Accept: a1"))
				if i%50 == 0 {
					s.PurgeTag("t1")
					s.PurgePrefix("GET http://example.com/p1")
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkLookupHit(b *testing.B) {
	s := newStore(b, StoreConfig{})
	put(b, s, "/v", []string{"Accept-Encoding: gzip, br"}, []string{"Cache-Control: max-age=60", "Vary: Accept-Encoding"})
	key := Key("GET", "http", "example.com", "/v", "")
	req := newReq("GET", "Accept-Encoding: gzip, br")
	b.ReportAllocs()
	for b.Loop() {
		if e, _ := s.Lookup(key, req); e == nil {
			b.Fatal("miss")
		}
	}
}
