package httpcache

import (
	"testing"
	"time"
)

func TestRFC9111_4_3_1_SendingAValidationRequest(t *testing.T) {
	tests := []struct {
		name     string
		lines    []string
		inm, ims string
	}{
		// §4.3.1: the stored entity tag goes in If-None-Match (MUST use the stored one).
		{"ETag", []string{`Etag: "v1"`}, `"v1"`, ""},
		{"weak ETag", []string{`Etag: W/"v1"`}, `W/"v1"`, ""},
		{"Last-Modified", []string{"Last-Modified: " + httpDate(at(-10))}, "", httpDate(at(-10))},
		{"both", []string{`Etag: "v1"`, "Last-Modified: " + httpDate(at(-10))}, `"v1"`, httpDate(at(-10))},
		{"neither", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := ConditionalHeaders(stored(tt.lines...))
			if h.Get("If-None-Match") != tt.inm || h.Get("If-Modified-Since") != tt.ims {
				t.Errorf("got %v", h)
			}
		})
	}
}

func TestRFC9111_4_3_4_Freshening(t *testing.T) {
	base := []string{"Cache-Control: max-age=10", `Etag: "v1"`, "Last-Modified: " + httpDate(at(-100)),
		"Content-Length: 4", "X-Old: 1", "Age: 5"}
	tests := []struct {
		name   string
		stored []string
		res    []string
		sole   bool
		want   bool
	}{
		// §4.3.4: a strong validator selects stored responses with the same one.
		{"strong ETag matches", base, []string{`Etag: "v1"`}, false, true},
		{"strong ETag differs", base, []string{`Etag: "v2"`}, true, false},
		// §4.3.4: a weak one or Last-Modified selects by that.
		{"weak ETag matches", base, []string{`Etag: W/"v1"`}, false, true},
		{"Last-Modified matches", base, []string{"Last-Modified: " + httpDate(at(-100))}, false, true},
		{"Last-Modified differs", base, []string{"Last-Modified: " + httpDate(at(-50))}, true, false},
		// §4.3.4: no validator selects the one stored response only if it has none either.
		{"no validators anywhere, sole", []string{"Cache-Control: max-age=10"}, nil, true, true},
		{"no validators anywhere, variants", []string{"Cache-Control: max-age=10"}, nil, false, false},
		{"no validator in the 304, stored has one", base, nil, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Selects304(stored(tt.stored...), newRes(304, tt.res...), tt.sole); got != tt.want {
				t.Errorf("Selects304 = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("the 304's fields replace the stored ones, except Content-Length", func(t *testing.T) {
		old := stored(base...)
		res := newRes(304, `Etag: "v1"`, "Cache-Control: max-age=100", "X-Old: 2", "X-New: 3",
			"Content-Length: 0", "Date: "+httpDate(at(50)), "Connection: close")
		n := Freshen(old, res, at(50), at(50))
		// §3.2 MUST add each field of the response, replacing present values.
		for f, want := range map[string]string{"X-Old": "2", "X-New": "3", "Cache-Control": "max-age=100", "Content-Length": "4"} {
			if got := n.Header.Get(f); got != want {
				t.Errorf("%s = %q, want %q", f, got, want)
			}
		}
		// §3.1: fields never stored are not stored by freshening either.
		if n.Header.Get("Connection") != "" {
			t.Error("Connection was stored")
		}
		// The exchange's times restart age and lifetime.
		if !n.Fresh(at(140)) || n.Fresh(at(151)) {
			t.Errorf("freshened entry: lifetime %v age at 140s %v", n.Lifetime(), n.Age(at(140)))
		}
		// Entries are immutable: the old one is as it was.
		if old.Header.Get("X-Old") != "1" || old.Lifetime() != 10*time.Second {
			t.Error("Freshen modified the stored entry")
		}
	})

	t.Run("a field the stored no-cache lists is not stored from the 304", func(t *testing.T) {
		old := stored(`Cache-Control: max-age=10, no-cache="X-Session"`, `Etag: "v1"`)
		n := Freshen(old, newRes(304, `Etag: "v1"`, "X-Session: s2"), at(20), at(20))
		if got := n.Header.Get("X-Session"); got != "" {
			t.Errorf("X-Session %q was stored from the 304: a later hit would reuse it unvalidated", got)
		}
	})

	t.Run("a 304 without Date or Age does not carry the old ones over", func(t *testing.T) {
		old := stored(base...)
		n := Freshen(old, newRes(304, `Etag: "v1"`), at(1000), at(1000))
		if got := n.Age(at(1000)); got != 0 {
			t.Errorf("age right after freshening %v, want 0", got)
		}
	})
}

func TestRFC9111_4_3_5_FresheningWithHead(t *testing.T) {
	base := []string{"Cache-Control: max-age=10", `Etag: "v1"`, "Content-Length: 4"}
	tests := []struct {
		name string
		res  []string
		ok   bool
	}{
		{"same validators freshen", []string{`Etag: "v1"`, "Content-Length: 4", "Cache-Control: max-age=99"}, true},
		// §4.3.5: a differing Content-Length, ETag or Last-Modified means the stored response is outdated.
		{"different ETag", []string{`Etag: "v2"`}, false},
		{"different Content-Length", []string{`Etag: "v1"`, "Content-Length: 5"}, false},
		{"different Last-Modified", []string{"Last-Modified: " + httpDate(at(1))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := FreshenHead(stored(base...), newRes(200, tt.res...), at(20), at(20))
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if ok && n.Header.Get("Cache-Control") != "max-age=99" {
				t.Errorf("header not updated: %v", n.Header)
			}
		})
	}
}

func TestRFC9111_4_3_4_FreshenEverySelectedVariant(t *testing.T) {
	s := newStore(t, StoreConfig{})
	key := Key("GET", "http", "example.com", "/v", "")
	put(t, s, "/v", []string{"Accept: a"}, []string{"Cache-Control: max-age=1", "Vary: Accept", `Etag: "same"`})
	put(t, s, "/v", []string{"Accept: b"}, []string{"Cache-Control: max-age=1", "Vary: Accept", `Etag: "same"`})
	put(t, s, "/v", []string{"Accept: c"}, []string{"Cache-Control: max-age=1", "Vary: Accept", `Etag: "other"`})
	// §4.3.4 MUST update each stored response the 304 selects, and only those.
	got := s.FreshenStored(key, newRes(304, `Etag: "same"`, "Cache-Control: max-age=100"), at(5), at(5))
	if len(got) != 2 {
		t.Fatalf("freshened %d variants, want 2", len(got))
	}
	for _, v := range s.Variants(key) {
		want := v.VaryValues[0] != "c"
		if v.Fresh(at(50)) != want {
			t.Errorf("variant %q fresh=%v, want %v", v.VaryValues[0], !want, want)
		}
	}
}
