package httpcache

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCacheControl(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  Directives
	}{
		{"names are case-insensitive (RFC 9111 §5.2)", []string{"No-Store, MAX-AGE=5"},
			Directives{NoStore: true, MaxAge: Delta{5, true, true}}},
		{"directives combine across field lines", []string{"public", "max-age=10"},
			Directives{Public: true, MaxAge: Delta{10, true, true}}},
		{"quoted delta-seconds are accepted from recipients (§5.2)", []string{`max-age="7"`},
			Directives{MaxAge: Delta{7, true, true}}},
		{"the first of duplicate max-age wins (§4.2.1)", []string{"max-age=5, max-age=100"},
			Directives{MaxAge: Delta{5, true, true}}},
		{"a non-numeric max-age is present but invalid (§4.2.1)", []string{"max-age=abc"},
			Directives{MaxAge: Delta{0, true, false}}},
		{"a negative max-age is invalid", []string{"max-age=-1"},
			Directives{MaxAge: Delta{0, true, false}}},
		{"max-age without argument is invalid", []string{"max-age"},
			Directives{MaxAge: Delta{0, true, false}}},
		{"overflowing delta-seconds clamp to 2^31 (MUST, §1.2.2)", []string{"s-maxage=99999999999999999999999"},
			Directives{SMaxAge: Delta{1 << 31, true, true}}},
		{"qualified private lists fields; commas inside quotes stay", []string{`private="set-cookie, x-user", max-age=3`},
			Directives{PrivateFields: []string{"Set-Cookie", "X-User"}, MaxAge: Delta{3, true, true}}},
		{"unqualified no-cache", []string{"no-cache"}, Directives{NoCache: true}},
		{"a private list naming no valid field is unqualified private", []string{`private="a b, "`}, Directives{Private: true}},
		{"qualified no-cache in token form", []string{"no-cache=Foo"}, Directives{NoCacheFields: []string{"Foo"}}},
		// A field the cache itself reads cannot be left out: the list is unqualified.
		{"no-cache naming Cache-Control is unqualified", []string{`no-cache="x-a, cache-control"`},
			Directives{NoCache: true, NoCacheFields: []string{"X-A", "Cache-Control"}}},
		{"private naming ETag is unqualified", []string{`private="ETag"`}, Directives{Private: true, PrivateFields: []string{"Etag"}}},
		{"max-stale without value accepts any staleness (§5.2.1.2)", []string{"max-stale"}, Directives{MaxStaleAny: true}},
		{"request directives", []string{"min-fresh=4, only-if-cached, max-stale=9"},
			Directives{MinFresh: Delta{4, true, true}, OnlyIfCached: true, MaxStale: Delta{9, true, true}}},
		{"RFC 5861 directives", []string{"stale-while-revalidate=30, stale-if-error=60"},
			Directives{StaleWhileRevalidate: Delta{30, true, true}, StaleIfError: Delta{60, true, true}}},
		{"unknown extensions and junk are ignored", []string{`foo="bar, baz", ,, =x, must-revalidate`},
			Directives{MustRevalidate: true}},
		{"whitespace around '=' is tolerated", []string{"max-age = 8"}, Directives{MaxAge: Delta{8, true, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ParseCacheControl(tt.lines); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// refFlags is a deliberately naive reference: it finds bare directive names
// by splitting on commas, for inputs without quotes.
func refFlags(line string) map[string]bool {
	m := map[string]bool{}
	for p := range strings.SplitSeq(line, ",") {
		name, _, _ := strings.Cut(p, "=")
		m[strings.ToLower(strings.TrimSpace(name))] = true
	}
	return m
}

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{
		"max-age=60", "no-store", `private="a,b"`, "s-maxage=1, max-age=2", `no-cache="x`, `max-age="`,
		"max-stale", "max-age=99999999999999999999", "\"", "=,=,", `a="\"`, "stale-while-revalidate=1,stale-if-error=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		d := ParseCacheControl([]string{line})
		// Round trip: formatting and parsing again is a fixed point.
		again := ParseCacheControl([]string{d.String()})
		if !reflect.DeepEqual(d.String(), again.String()) {
			t.Fatalf("round trip %q: %q != %q", line, d.String(), again.String())
		}
		// Against the reference: without quotes, every flag the parser sets
		// was spelled out in the input.
		if !strings.Contains(line, `"`) {
			ref := refFlags(line)
			for name, on := range map[string]bool{"no-store": d.NoStore, "no-cache": d.NoCache, "private": d.Private,
				"public": d.Public, "must-revalidate": d.MustRevalidate, "only-if-cached": d.OnlyIfCached} {
				if on && !ref[name] {
					t.Fatalf("%q: %s set but not in input", line, name)
				}
			}
		}
		for _, v := range []Delta{d.MaxAge, d.SMaxAge, d.MaxStale, d.MinFresh} {
			if v.Secs < 0 || v.Secs > maxDelta {
				t.Fatalf("%q: delta out of range %+v", line, v)
			}
		}
	})
}
